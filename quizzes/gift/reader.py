"""Reading GIFT text into question dicts of the YAML shape (quizzes.spec validates them).

Each construct maps onto one of our types or raises Unsupported with its line; see the
GIFT table in docs/QUIZZES.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import unquote

from courses.content_errors import ContentError
from quizzes.gift.text import (
    Unsupported,
    html_to_markdown,
    number,
    plain_number,
    protect,
    restore,
)
from quizzes.spec import DIFFICULTIES, DOMAINS

COLDSTART_COMMENT = "// coldstart:"


@dataclass
class GiftDefaults:
    domain: str = ""
    difficulty: str = ""
    lessons: list[str] = field(default_factory=list)


# --- reading a file into question blocks -------------------------------------------------------


@dataclass
class _Block:
    text: str  # protected (escapes replaced), lines joined with "\n"
    line: int
    category: str
    meta: dict[str, str]
    meta_line: int | None


def read_blocks(text: str, errors: list[ContentError], filename: str) -> list[_Block]:
    blocks: list[_Block] = []
    category = ""
    current: list[str] = []
    start = 0
    meta: dict[str, str] = {}
    meta_line = None

    def flush() -> None:
        nonlocal current, meta, meta_line
        body = "\n".join(current).strip()
        if body:
            blocks.append(_Block(protect(body), start, category, meta, meta_line))
        elif meta:
            errors.append(
                ContentError(
                    filename,
                    meta_line,
                    "a '// coldstart:' comment is not followed by a question",
                    "put it on the line just before the question",
                )
            )
        current, meta, meta_line = [], {}, None

    for lineno, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith(COLDSTART_COMMENT):
            if current:
                flush()
            meta = _read_meta(stripped[len(COLDSTART_COMMENT) :], lineno, filename, errors)
            meta_line = lineno
            continue
        if stripped.startswith("//"):
            continue
        if not stripped:
            flush()
            continue
        if stripped.startswith("$CATEGORY:") and not current:
            category = stripped[len("$CATEGORY:") :].strip()
            continue
        if not current:
            start = lineno
        current.append(raw)
    flush()
    return blocks


def _read_meta(text: str, line: int, filename: str, errors: list[ContentError]) -> dict:
    meta = {}
    for part in text.split():
        key, sep, value = part.partition("=")
        if not sep:
            errors.append(
                ContentError(filename, line, f"'{part}' in a coldstart comment is not key=value")
            )
            continue
        meta[key] = unquote(value)
    return meta


# --- one question ----------------------------------------------------------------------------


@dataclass
class _Answer:
    kind: str  # "=" or "~"
    weight: Decimal | None
    text: str
    feedback: str
    line: int


class GiftQuestion:
    """One question block of a GIFT file, read into the YAML-shaped dict of quizzes.spec."""

    def __init__(self, block: _Block, filename: str, defaults: GiftDefaults) -> None:
        self.block = block
        self.filename = filename
        self.defaults = defaults
        self.warnings: list[ContentError] = []
        self.lines: dict[str, int] = {}
        self.format = "moodle"

    def line_at(self, offset: int) -> int:
        return self.block.line + self.block.text.count("\n", 0, offset)

    def warn(self, message: str, hint: str = "", line: int | None = None) -> None:
        self.warnings.append(ContentError(self.filename, line or self.block.line, message, hint))

    def text(self, raw: str, line: int) -> str:
        raw = raw.strip()
        if self.format == "html":
            raw = html_to_markdown(raw, line)
        return restore(raw).strip()

    def parse(self) -> dict:
        body = self.block.text
        name = ""
        match = re.match(r"::(.*?)::", body, re.DOTALL)
        if match:
            name = restore(match.group(1)).strip()
            body_start = match.end()
        else:
            body_start = 0
        fmt = re.match(r"\s*\[(\w+)\]", body[body_start:])
        if fmt:
            self.format = fmt.group(1).lower()
            if self.format not in ("markdown", "html", "plain", "moodle"):
                raise Unsupported(
                    f"text format [{self.format}] is not supported",
                    "use [markdown], [plain] or [html]",
                    self.block.line,
                )
            body_start += fmt.end()
        open_at = body.find("{", body_start)
        meta = self.block.meta
        data: dict = {}
        if open_at < 0:
            if meta.get("type") == "generated":
                data = {"type": "generated", "generator": meta.get("generator", "")}
                if meta.get("params"):
                    data["params"] = self._params(meta["params"])
                return self._common(data, name, "")
            raise Unsupported(
                "a description (text with no answer block) is not a question",
                "remove it, or add an answer block { ... }",
                self.block.line,
            )
        close_at = body.find("}", open_at)
        if close_at < 0:
            raise Unsupported(
                "the answer block '{' is never closed",
                "add the closing '}' (escape a literal brace as \\{ or \\})",
                self.line_at(open_at),
            )
        after = body[close_at + 1 :].strip()
        if after:
            raise Unsupported(
                "an answer block in the middle of the text (missing-word format) is not supported",
                "move the blank to the end of the question text: 'Text ... {answers}'",
                self.line_at(close_at),
            )
        stem = self.text(body[body_start:open_at], self.block.line)
        inside = body[open_at + 1 : close_at]
        data = self._answers(inside, open_at + 1)
        return self._common(data, name, stem)

    def _params(self, text: str) -> dict:
        try:
            params = json.loads(text)
        except ValueError as exc:
            raise Unsupported(
                f"params in the coldstart comment are not JSON ({exc})", "", self.block.meta_line
            ) from None
        if not isinstance(params, dict):
            raise Unsupported("params in the coldstart comment must be a JSON object")
        return params

    def _common(self, data: dict, name: str, stem: str) -> dict:
        meta = self.block.meta
        domain, difficulty = _category(self.block.category)
        lessons = meta.get("lessons")
        data = {
            "slug": meta.get("slug") or _slug(name or stem),
            "domain": meta.get("domain") or domain or self.defaults.domain,
            "difficulty": meta.get("difficulty") or difficulty or self.defaults.difficulty,
            "stem": stem,
            "lessons": lessons.split(",") if lessons else list(self.defaults.lessons),
            **data,
        }
        if meta.get("facts"):
            data["facts"] = meta["facts"].split(",")
        if data["type"] == "generated" and not stem:
            del data["stem"]
        if meta.get("type") == "ordering":
            data = self._as_ordering(data)
        elif meta.get("type") not in (None, "", data["type"], "generated"):
            raise Unsupported(
                f"the coldstart comment says type={meta['type']} but the answers make a "
                f"{data['type']} question",
                "fix or remove type= in the comment",
                self.block.meta_line,
            )
        if data["type"] == "numeric" and meta.get("unit"):
            data["unit"] = meta["unit"]
        for key, problem, fix in (
            ("domain", "no domain", f"add '$CATEGORY: coldstart/<domain>' or --domain; "
             f"domains: {', '.join(DOMAINS)}"),
            ("difficulty", "no difficulty", "add '$CATEGORY: coldstart/<domain>/<difficulty>' "
             f"or --difficulty ({', '.join(DIFFICULTIES)})"),
        ):  # fmt: skip
            if not data[key]:
                raise Unsupported(f"question {data['slug']!r} has {problem}", fix, self.block.line)
        if not data["lessons"]:
            raise Unsupported(
                f"question {data['slug']!r} names no lesson",
                "pass --lessons a,b or add a '// coldstart: lessons=...' comment",
                self.block.line,
            )
        return data

    def _as_ordering(self, data: dict) -> dict:
        """Ordering travels as matching "1 -> first item", "2 -> second item" ..."""
        if data["type"] != "matching" or data.get("extra_right"):
            raise Unsupported(
                "type=ordering needs a matching block of '=1 -> item' lines",
                "",
                self.block.meta_line,
            )
        pairs = data.pop("pairs")
        if [p["left"] for p in pairs] != [str(i + 1) for i in range(len(pairs))]:
            raise Unsupported(
                "type=ordering needs left sides 1, 2, 3 ... in order", "", self.block.meta_line
            )
        data["type"] = "ordering"
        data["items"] = [{"text": p["right"], "explanation": p["explanation"]} for p in pairs]
        self.lines = {k.replace("pairs", "items"): v for k, v in self.lines.items()}
        return data

    # answers ------------------------------------------------------------------------------

    def _answers(self, inside: str, offset: int) -> dict:
        general = ""
        cut = inside.find("####")
        if cut >= 0:
            general = self.text(inside[cut + 4 :], self.line_at(offset + cut))
            inside = inside[:cut]
        stripped = inside.strip()
        if not stripped:
            raise Unsupported(
                "an empty answer block {} (essay) has no answer key to grade",
                "remove essay questions before importing",
                self.line_at(offset),
            )
        lead = len(inside) - len(inside.lstrip())
        if stripped.startswith("#"):
            return self._numeric(inside[lead + 1 :], offset + lead + 1, general)
        tf = re.fullmatch(r"(TRUE|FALSE|T|F)\s*(#.*)?", stripped, re.DOTALL)
        if tf:
            return self._true_false(tf, general, self.line_at(offset + lead))
        answers = self._split(inside, offset)
        # Only all-"=" blocks can be matching: a "->" in a choice's text stays text.
        if all(a.kind == "=" for a in answers) and any("->" in a.text for a in answers):
            return self._matching(answers, general)
        if all(a.kind == "=" for a in answers):
            return self._short_answer(answers, general)
        return self._choice(answers, general)

    def _split(self, inside: str, offset: int) -> list[_Answer]:
        answers: list[tuple[str, str, int]] = []
        starts = [m.start() for m in re.finditer(r"[=~]", inside)]
        head = inside[: starts[0]] if starts else inside
        if head.strip():
            raise Unsupported(
                f"'{restore(head.strip())[:40]}' in the answer block is not an answer",
                "start every answer with = (right) or ~ (wrong)",
                self.line_at(offset),
            )
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(inside)
            answers.append((inside[start], inside[start + 1 : end], self.line_at(offset + start)))
        out = []
        for kind, chunk, line in answers:
            weight = None
            m = re.match(r"\s*%(-?\d+(?:\.\d+)?)%", chunk)
            if m:
                weight = Decimal(m.group(1))
                chunk = chunk[m.end() :]
            text, _, feedback = chunk.partition("#")
            out.append(_Answer(kind, weight, text, feedback, line))
        return out

    def _feedback(self, text: str, line: int) -> str:
        return self.text(text, line)

    def _explanations(self, entries: list[dict], general: str, what: str) -> None:
        """Fill missing per-answer explanations from the general feedback (with a warning);
        without either, parse_question reports the missing explanation with its line."""
        missing = [e for e in entries if not e.get("explanation")]
        if missing and general:
            for e in missing:
                e["explanation"] = general
            self.warn(
                f"{len(missing)} {what} had no feedback; the general feedback (####) explains them",
                "add '#why' after each answer for a better explanation",
            )

    def _choice(self, answers: list[_Answer], general: str) -> dict:
        options = []
        for i, a in enumerate(answers):
            weight = Decimal(100) if a.kind == "=" and a.weight is None else (a.weight or 0)
            options.append(
                {
                    "text": self.text(a.text, a.line),
                    "correct": weight > 0,
                    "explanation": self._feedback(a.feedback, a.line),
                }
            )
            self.lines[f"options[{i}]"] = a.line
        right = [a for a, o in zip(answers, options, strict=True) if o["correct"]]
        weights = {a.weight for a in right if a.weight is not None}
        if len(weights) > 1 or any(
            a.weight is not None and Decimal(-100) < a.weight < 0 for a in answers
        ):
            self.warn(
                "answer weights give partial credit in Moodle; here the question is all or "
                "nothing (every positive-weight answer must be chosen, no other)",
            )
        self._explanations(options, general, "options")
        return {
            "type": "multiple" if len(right) > 1 else "single",
            "options": options,
            **({"explanation": general} if general else {}),
        }

    def _true_false(self, match: re.Match, general: str, line: int) -> dict:
        value = match.group(1).startswith("T")
        feedback = (match.group(2) or "").split("#")[1:]
        if len(feedback) > 2:
            raise Unsupported("true/false takes at most two feedbacks (#wrong#right)", "", line)
        wrong_fb = self.text(feedback[0], line) if feedback else ""
        right_fb = self.text(feedback[1], line) if len(feedback) > 1 else ""
        options = [
            {"text": "True", "correct": value, "explanation": right_fb if value else wrong_fb},
            {"text": "False", "correct": not value, "explanation": wrong_fb if value else right_fb},
        ]
        self.lines["options[0]"] = self.lines["options[1]"] = line
        self._explanations(options, general, "true/false answers")
        return {
            "type": "single",
            "options": options,
            **({"explanation": general} if general else {}),
        }

    def _matching(self, answers: list[_Answer], general: str) -> dict:
        pairs, extra = [], []
        for a in answers:
            left, arrow, right = a.text.partition("->")
            if a.kind != "=" or not arrow:
                raise Unsupported(
                    "a matching question takes only '=left -> right' answers",
                    "write every answer as '=left -> right'",
                    a.line,
                )
            left_text, right_text = self.text(left, a.line), self.text(right, a.line)
            if not left_text:
                extra.append(right_text)  # Moodle's "= -> distractor"
                continue
            self.lines[f"pairs[{len(pairs)}]"] = a.line
            pairs.append(
                {
                    "left": left_text,
                    "right": right_text,
                    "explanation": self._feedback(a.feedback, a.line),
                }
            )
        self._explanations(pairs, general, "pairs")
        data = {"type": "matching", "pairs": pairs}
        if extra:
            data["extra_right"] = extra
        if general:
            data["explanation"] = general
        return data

    def _short_answer(self, answers: list[_Answer], general: str) -> dict:
        numbers = [number(restore(a.text)) for a in answers]
        if any(n is None for n in numbers):
            raise Unsupported(
                "short answer (typed text) questions are not supported: only typed numbers "
                "are graded here",
                "turn it into multiple choice, or use a numeric answer {#...}",
                answers[0].line,
            )
        entries = [
            (a.weight if a.weight is not None else Decimal(100), f"{n}", a.feedback, a.line)
            for a, n in zip(answers, numbers, strict=True)
        ]
        return self._numeric_answers(entries, general, answers[0].line)

    def _numeric(self, inside: str, offset: int, general: str) -> dict:
        if not re.search(r"[=~]", inside):
            value, _, feedback = inside.partition("#")
            entries = [(Decimal(100), value, feedback, self.line_at(offset))]
        else:
            entries = []
            for a in self._split(inside, offset):
                weight = a.weight if a.weight is not None else Decimal(100 if a.kind == "=" else 0)
                entries.append((weight, a.text, a.feedback, a.line))
        return self._numeric_answers(entries, general, self.line_at(offset))

    def _numeric_answers(self, entries, general: str, line: int) -> dict:
        full, others = [], []
        for weight, value, feedback, at in entries:
            answer, tolerance = _numeric_value(restore(value), at)
            item = (answer, tolerance, self._feedback(feedback, at), at)
            (full if weight >= 100 else others).append((weight, item))
        if len(full) != 1:
            raise Unsupported(
                f"a numeric question needs exactly one fully right answer, this one has "
                f"{len(full)}",
                "keep one '=' answer (a range a..b or value:tolerance covers several values)",
                line,
            )
        _, (answer, tolerance, right_feedback, _) = full[0]
        mistakes = []
        for weight, (value, _, feedback, at) in others:
            if weight > 0:
                self.warn(
                    f"partial credit ({plain_number(weight)}%) for {value} is dropped: it is "
                    "graded wrong here, with its feedback",
                    line=at,
                )
            mistakes.append({"value": plain_number(value), "explanation": feedback})
            self.lines[f"mistakes[{len(mistakes) - 1}]"] = at
        explanation = general or right_feedback
        data = {
            "type": "numeric",
            "answer": plain_number(answer),
            "explanation": explanation,
        }
        if tolerance:
            data["tolerance"] = plain_number(tolerance)
        if mistakes:
            data["mistakes"] = mistakes
        return data


def _numeric_value(text: str, line: int) -> tuple[Decimal, Decimal]:
    text = text.strip()
    if ".." in text:
        low, _, high = text.partition("..")
        a, b = number(low), number(high)
        if a is None or b is None or a > b:
            raise Unsupported(f"'{text}' is not a range low..high", "e.g. {#1..10}", line)
        return (a + b) / 2, (b - a) / 2
    value, sep, tol = text.partition(":")
    answer = number(value)
    tolerance = number(tol) if sep else Decimal(0)
    if answer is None or tolerance is None or tolerance < 0:
        raise Unsupported(
            f"'{text}' is not a number with an optional :tolerance", "e.g. {#5:0.5}", line
        )
    return answer, tolerance


def _category(category: str) -> tuple[str, str]:
    """`$CATEGORY: $course$/coldstart/limits/hard` -> ("limits", "hard")."""
    parts = [p.strip() for p in category.split("/")]
    if "coldstart" not in parts:
        return "", ""
    rest = parts[parts.index("coldstart") + 1 :]
    domain = rest[0] if rest else ""
    difficulty = rest[1] if len(rest) > 1 else ""
    return domain, difficulty


def _slug(text: str) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()
    slug = "-".join(words[:8])[:80].strip("-")
    return slug or "gift-question"
