"""Field-by-field validation of one question mapping, with paths and lines for errors.

`read_question` checks every field of every type and collects SpecErrors (never stops at the
first), so an author or a form sees all problems of a question at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from decimal import Decimal

from courses.yaml_lines import LineDict, LineList
from quizzes.spec_model import (
    COMMON_KEYS,
    DIFFICULTIES,
    DOMAINS,
    ITEM_COUNT,
    OPTION_COUNTS,
    PAIR_COUNT,
    SLUG,
    SLUG_MAX,
    TRUE_FALSE,
    TYPE_KEYS,
    TYPES,
    Catalog,
    Item,
    Mistake,
    Option,
    Pair,
    QuestionSpec,
    SpecError,
    number_out,
    plain_data,
    to_decimal,
)


class SpecReader:
    """Reads one question mapping, collecting SpecErrors with field paths and lines."""

    def __init__(self, file: str, line_of: Callable[[str], int | None] | None) -> None:
        self.file = file
        self.line_of = line_of
        self.errors: list[SpecError] = []

    def error(self, path: str, line: int | None, why: str, hint: str = "") -> None:
        if self.line_of is not None:
            line = self.line_of(path) or line
        message = f"{path}: {why}" if path else why
        self.errors.append(SpecError(self.file, line, message, hint, path))

    @staticmethod
    def line(container, key=None) -> int | None:
        if isinstance(container, LineDict):
            return container.line_of(key) if key is not None else container.line
        if isinstance(container, LineList) and key is None:
            return container.line
        return None

    def text(
        self, data: dict, key: str, path: str, *, required: bool = True, line: int | None = None
    ) -> str:
        full = f"{path}.{key}" if path else key
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(
                    full,
                    self.line(data) or line,
                    "missing" if value is None else "is empty",
                    f"add '{key}: ...' with some text",
                )
            return ""
        if isinstance(value, bool):
            self.error(
                full,
                self.line(data, key),
                f"must be text, but YAML read it as {str(value).lower()}",
                "put quotes around it: YAML reads yes, no, on and off as true/false",
            )
            return ""
        if not isinstance(value, str | int | float):
            self.error(full, self.line(data, key), "must be text", "write it as a plain string")
            return ""
        return str(value).strip()

    def number(self, data: dict, key: str, path: str, *, required: bool) -> Decimal | None:
        full = f"{path}.{key}" if path else key
        value = data.get(key)
        if value is None:
            if required:
                self.error(full, self.line(data), "missing", f"add '{key}: <number>'")
            return None
        parsed = to_decimal(value)
        if parsed is None:
            self.error(
                full,
                self.line(data, key),
                f"{value!r} is not a number",
                "write a plain number without quotes or units, e.g. 12.5",
            )
        return parsed

    def items(self, data: dict, key: str, path: str, *, required: bool = True) -> list:
        full = f"{path}.{key}" if path else key
        value = data.get(key)
        if value is None:
            if required:
                self.error(full, self.line(data), "missing", f"add a '{key}:' list")
            return []
        if not isinstance(value, list):
            self.error(
                full, self.line(data, key), "must be a list", "write one '- ' line per entry"
            )
            return []
        return value

    def count(self, values: list, path: str, line, bounds: tuple[int, int], what: str) -> None:
        low, high = bounds
        if values and not low <= len(values) <= high:
            self.error(
                path,
                line,
                f"has {len(values)} {what}; this type needs {low} to {high}",
                f"add or remove {what} so there are between {low} and {high}",
            )


def read_question(r: SpecReader, data, catalog: Catalog) -> QuestionSpec:
    if not isinstance(data, dict):
        r.error("", SpecReader.line(data), "a question must be a mapping (key: value lines)")
        return QuestionSpec(slug="", type="", domain="", difficulty="")
    line = SpecReader.line(data)
    slug = r.text(data, "slug", "")
    if slug and (not SLUG.match(slug) or len(slug) > SLUG_MAX):
        r.error(
            "slug",
            r.line(data, "slug"),
            f"{slug!r} is not a valid slug",
            f"use lowercase letters, digits and single hyphens, at most {SLUG_MAX} characters",
        )
    qtype = r.text(data, "type", "")
    if qtype and qtype not in TYPES:
        r.error(
            "type",
            r.line(data, "type"),
            f"unknown type {qtype!r}",
            f"use one of {', '.join(TYPES)}",
        )
        qtype = ""
    domain = r.text(data, "domain", "")
    if domain and domain not in DOMAINS:
        r.error(
            "domain",
            r.line(data, "domain"),
            f"unknown domain {domain!r}",
            f"use one of {', '.join(DOMAINS)}",
        )
    difficulty = r.text(data, "difficulty", "")
    if difficulty and difficulty not in DIFFICULTIES:
        r.error(
            "difficulty",
            r.line(data, "difficulty"),
            f"unknown difficulty {difficulty!r}",
            f"use one of {', '.join(DIFFICULTIES)}",
        )
    allowed = COMMON_KEYS | TYPE_KEYS.get(qtype, set())
    for key in data:
        if key not in allowed:
            hint = (
                f"allowed keys for a {qtype} question are {', '.join(sorted(allowed))}"
                if qtype
                else "check the spelling"
            )
            r.error(str(key), r.line(data, key), "unknown key", hint)

    spec = QuestionSpec(
        slug=slug,
        type=qtype,
        domain=domain,
        difficulty=difficulty,
        stem=r.text(data, "stem", "", required=qtype != "generated"),
        explanation=r.text(data, "explanation", "", required=qtype == "numeric"),
        file=r.file,
        line=line,
    )
    spec.lessons = _read_refs(r, data, "lessons", catalog, required=True)
    spec.facts = _read_refs(r, data, "facts", catalog, required=False)
    reader = {
        "single": _read_options,
        "multiple": _read_options,
        "numeric": _read_numeric,
        "matching": _read_matching,
        "ordering": _read_ordering,
        "generated": _read_generated,
    }.get(qtype)
    if reader:
        reader(r, data, spec, catalog)
    return spec


def _read_refs(r: SpecReader, data, key: str, catalog: Catalog, *, required: bool) -> list[str]:
    values = r.items(data, key, "", required=required)
    if required and isinstance(data.get(key), list) and not values:
        r.error(key, r.line(data, key), "is empty", "name at least one lesson slug")
    out: list[str] = []
    for i, value in enumerate(values):
        path = f"{key}[{i}]"
        line = r.line(data, key)
        if not isinstance(value, str) or not value.strip():
            r.error(path, line, "must be text", "write a slug, e.g. lambda-limits")
            continue
        value = value.strip()
        if value in out:
            r.error(path, line, f"{value!r} is listed twice", "remove the repeat")
            continue
        out.append(value)
        if key == "lessons":
            _check_lesson(r, path, line, value, catalog)
        elif catalog.facts is not None and value not in catalog.facts:
            near = closest(value, catalog.facts)
            r.error(
                path,
                line,
                f"no fact {value!r} in content/facts.yaml",
                f"did you mean {near}?" if near else "use a key from content/facts.yaml",
            )
    return out


def _check_lesson(r: SpecReader, path: str, line, value: str, catalog: Catalog) -> None:
    slug, _, anchor = value.partition("#")
    if catalog.lessons is None:
        return
    if slug not in catalog.lessons:
        near = closest(slug, catalog.lessons)
        r.error(
            path,
            line,
            f"no lesson {slug!r} in content/course.yaml",
            f"did you mean {near}?" if near else "use a lesson slug from content/course.yaml",
        )
        return
    if anchor and catalog.anchors is not None and anchor not in catalog.anchors.get(slug, ()):
        known = sorted(catalog.anchors.get(slug, ()))
        near = closest(anchor, known)
        r.error(
            path,
            line,
            f"lesson {slug!r} has no section {anchor!r}",
            f"did you mean {slug}#{near}?"
            if near
            else "use an anchor shown in the lesson page's headings, or drop '#...'",
        )


def closest(value: str, choices: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.75)
    return found[0] if found else None


def _unique(r: SpecReader, texts: list[tuple[str, str, int | None]], what: str) -> None:
    seen: dict[str, str] = {}
    for path, text, line in texts:
        if not text:
            continue
        key = " ".join(text.lower().split())
        if key in seen:
            r.error(
                path,
                line,
                f"same text as {seen[key]}",
                f"every {what} needs its own wording, or remove one",
            )
        else:
            seen[key] = path


def _read_options(r: SpecReader, data, spec: QuestionSpec, catalog: Catalog) -> None:
    raw = r.items(data, "options", "")
    options: list[Option] = []
    texts = []
    for i, entry in enumerate(raw):
        path = f"options[{i}]"
        if not isinstance(entry, dict):
            r.error(path, r.line(raw), "must be a mapping with text, correct and explanation")
            continue
        for key in entry:
            if key not in ("text", "correct", "explanation"):
                r.error(
                    f"{path}.{key}",
                    r.line(entry, key),
                    "unknown key",
                    "an option has only text, correct and explanation",
                )
        text = r.text(entry, "text", path)
        correct = entry.get("correct")
        if not isinstance(correct, bool):
            r.error(
                f"{path}.correct",
                r.line(entry, "correct") if correct is not None else r.line(entry),
                "missing" if correct is None else f"{correct!r} is not true or false",
                "write 'correct: true' or 'correct: false'",
            )
            correct = False
        explanation = r.text(entry, "explanation", path)
        if explanation == "" and "explanation" not in entry:
            pass  # reported by r.text as missing
        options.append(Option(text, correct, explanation))
        texts.append((f"{path}.text", text, r.line(entry, "text")))
    _unique(r, texts, "option")
    bounds = OPTION_COUNTS[spec.type]
    if spec.type == "single" and [o.text for o in options] in TRUE_FALSE:
        bounds = (2, 2)  # a true/false question (GIFT {T}/{F}) is the one 2-option single
    r.count(options, "options", r.line(data, "options"), bounds, "options")
    right = sum(o.correct for o in options)
    if options and spec.type == "single" and right != 1:
        r.error(
            "options",
            r.line(data, "options"),
            f"a single-answer question needs exactly one correct option, this one has {right}",
            "set 'correct: true' on exactly one option, or make it type: multiple",
        )
    if options and spec.type == "multiple" and not 2 <= right < len(options):
        r.error(
            "options",
            r.line(data, "options"),
            f"a multiple-response question needs at least two correct options and at least "
            f"one wrong one, this one has {right} of {len(options)} correct",
            "mark two or more options 'correct: true' and leave at least one false",
        )
    spec.options = options


def _read_numeric(r: SpecReader, data, spec: QuestionSpec, catalog: Catalog) -> None:
    spec.answer = r.number(data, "answer", "", required=True)
    tolerance = r.number(data, "tolerance", "", required=False)
    if tolerance is not None and tolerance < 0:
        r.error(
            "tolerance",
            r.line(data, "tolerance"),
            "must not be negative",
            "write the allowed absolute difference, e.g. 0.5",
        )
    spec.tolerance = tolerance if tolerance is not None and tolerance >= 0 else Decimal(0)
    spec.unit = r.text(data, "unit", "", required=False)
    mistakes = []
    raw = r.items(data, "mistakes", "", required=False)
    for i, entry in enumerate(raw):
        path = f"mistakes[{i}]"
        if not isinstance(entry, dict):
            r.error(path, r.line(raw), "must be a mapping with value and explanation")
            continue
        for key in entry:
            if key not in ("value", "explanation"):
                r.error(
                    f"{path}.{key}",
                    r.line(entry, key),
                    "unknown key",
                    "a mistake has only value and explanation",
                )
        value = r.number(entry, "value", path, required=True)
        explanation = r.text(entry, "explanation", path)
        if value is None:
            continue
        if spec.answer is not None and abs(value - spec.answer) <= spec.tolerance:
            r.error(
                f"{path}.value",
                r.line(entry, "value"),
                f"{number_out(value)} would be graded correct (answer {number_out(spec.answer)} "
                f"± {number_out(spec.tolerance)})",
                "a mistake must be a wrong number; change it or the tolerance",
            )
        mistakes.append(Mistake(value, explanation))
    spec.mistakes = mistakes


def _read_matching(r: SpecReader, data, spec: QuestionSpec, catalog: Catalog) -> None:
    raw = r.items(data, "pairs", "")
    pairs: list[Pair] = []
    lefts, rights = [], []
    for i, entry in enumerate(raw):
        path = f"pairs[{i}]"
        if not isinstance(entry, dict):
            r.error(path, r.line(raw), "must be a mapping with left, right and explanation")
            continue
        for key in entry:
            if key not in ("left", "right", "explanation"):
                r.error(
                    f"{path}.{key}",
                    r.line(entry, key),
                    "unknown key",
                    "a pair has only left, right and explanation",
                )
        pair = Pair(
            r.text(entry, "left", path),
            r.text(entry, "right", path),
            r.text(entry, "explanation", path),
        )
        pairs.append(pair)
        lefts.append((f"{path}.left", pair.left, r.line(entry, "left")))
        rights.append((f"{path}.right", pair.right, r.line(entry, "right")))
    r.count(pairs, "pairs", r.line(data, "pairs"), PAIR_COUNT, "pairs")
    extra = []
    raw_extra = r.items(data, "extra_right", "", required=False)
    for i, value in enumerate(raw_extra):
        if isinstance(value, bool) or not isinstance(value, str | int | float) or not str(value):
            r.error(f"extra_right[{i}]", r.line(data, "extra_right"), "must be text")
            continue
        extra.append(str(value).strip())
        rights.append((f"extra_right[{i}]", str(value).strip(), r.line(data, "extra_right")))
    _unique(r, lefts, "left-hand item")
    _unique(r, rights, "right-hand item")
    spec.pairs = pairs
    spec.extra_right = extra


def _read_ordering(r: SpecReader, data, spec: QuestionSpec, catalog: Catalog) -> None:
    raw = r.items(data, "items", "")
    items: list[Item] = []
    texts = []
    for i, entry in enumerate(raw):
        path = f"items[{i}]"
        if not isinstance(entry, dict):
            r.error(path, r.line(raw), "must be a mapping with text and explanation")
            continue
        for key in entry:
            if key not in ("text", "explanation"):
                r.error(
                    f"{path}.{key}",
                    r.line(entry, key),
                    "unknown key",
                    "an item has only text and explanation",
                )
        item = Item(r.text(entry, "text", path), r.text(entry, "explanation", path))
        items.append(item)
        texts.append((f"{path}.text", item.text, r.line(entry, "text")))
    _unique(r, texts, "item")
    r.count(items, "items", r.line(data, "items"), ITEM_COUNT, "items")
    spec.items = items


def _read_generated(r: SpecReader, data, spec: QuestionSpec, catalog: Catalog) -> None:
    name = r.text(data, "generator", "")
    params = data.get("params") or {}
    if not isinstance(params, dict):
        r.error(
            "params",
            r.line(data, "params"),
            "must be a mapping",
            "write 'params:' key: value lines",
        )
        params = {}
    spec.generator = name
    spec.params = plain_data(params)
    families = catalog.families
    if name and families is not None and name not in families:
        reason = getattr(families, "reason", "")
        near = closest(name, families)
        if reason:
            hint = f"quizzes.generators could not be imported ({reason})"
        elif near:
            hint = f"did you mean {near}?"
        else:
            hint = f"use one of {', '.join(sorted(families)) or '(no families are defined)'}"
        r.error("generator", r.line(data, "generator"), f"unknown generator family {name!r}", hint)
    elif name and families is not None and hasattr(families[name], "clean_params"):
        # A bad param would otherwise surface only when a learner draws the question.
        try:
            families[name].clean_params(spec.params)
        except ValueError as exc:
            r.error(
                "params",
                r.line(data, "params"),
                str(exc),
                f"accepted params: {', '.join(sorted(families[name].params_schema))}",
            )
