"""Writing questions as GIFT that quizzes.gift reads back as the same specs."""

from __future__ import annotations

import json
from urllib.parse import quote

from quizzes.gift.reader import COLDSTART_COMMENT
from quizzes.gift.text import escape, plain_number
from quizzes.spec import QuestionSpec, spec_from_dict


def export_gift(questions) -> str:
    """GIFT text for QuestionSpecs (or Question rows) that import_gift reads back as the
    same specs."""
    chunks = []
    category = None
    for item in questions:
        spec = item if isinstance(item, QuestionSpec) else spec_from_dict(item.spec)
        if spec.domain != category:
            category = spec.domain
            chunks.append(f"$CATEGORY: $course$/coldstart/{spec.domain}\n")
        chunks.append(_export_one(spec))
    return "\n".join(chunks)


def _meta_line(spec: QuestionSpec, extra: dict[str, str]) -> str:
    values = {
        "domain": spec.domain,
        "difficulty": spec.difficulty,
        "lessons": ",".join(spec.lessons),
        **({"facts": ",".join(spec.facts)} if spec.facts else {}),
        **extra,
    }
    safe = ",#-_.:/"
    return (
        COLDSTART_COMMENT + " " + " ".join(f"{k}={quote(v, safe=safe)}" for k, v in values.items())
    )


def _export_one(spec: QuestionSpec) -> str:
    extra: dict[str, str] = {}
    head = f"::{escape(spec.slug)}::[markdown]{escape(spec.stem)}"
    lines: list[str] = []
    general = f"####{escape(spec.explanation)}" if spec.explanation else ""
    if spec.type == "generated":
        extra = {"type": "generated", "generator": spec.generator}
        if spec.params:
            extra["params"] = json.dumps(spec.params, sort_keys=True, separators=(",", ":"))
        body = f"::{escape(spec.slug)}::[markdown]" + escape(
            f"Generated question ({spec.generator}): Coldstart draws a new variant on each attempt."
        )
        return f"{_meta_line(spec, extra)}\n{body}\n"
    if spec.type == "single" and [o.text for o in spec.options] == ["True", "False"]:
        right, wrong = (spec.options[0], spec.options[1])
        if not right.correct:
            right, wrong = wrong, right
        letter = "T" if spec.options[0].correct else "F"
        answer = f"{{{letter}#{escape(wrong.explanation)}#{escape(right.explanation)}{general}}}"
        return f"{_meta_line(spec, extra)}\n{head}{answer}\n"
    if spec.type in ("single", "multiple"):
        share = 100 / sum(o.correct for o in spec.options)
        for o in spec.options:
            if spec.type == "single" and o.text.startswith("%"):
                # GIFT has no escape for '%': an explicit weight keeps "%50% ..." as text.
                mark = "=%100%" if o.correct else "~%0%"
            elif spec.type == "single":
                mark = "=" if o.correct else "~"
            else:
                mark = f"~%{share:.5g}%" if o.correct else "~%-100%"
            lines.append(f"\t{mark}{escape(o.text)}#{escape(o.explanation)}")
    elif spec.type == "numeric":
        if spec.unit:
            extra["unit"] = spec.unit
        tolerance = f":{plain_number(spec.tolerance)}" if spec.tolerance else ""
        lines.append(f"\t={plain_number(spec.answer)}{tolerance}")
        for m in spec.mistakes:
            lines.append(f"\t=%0%{plain_number(m.value)}#{escape(m.explanation)}")
        lines[0] = "\t#" + lines[0].lstrip("\t")
    elif spec.type == "matching":
        for p in spec.pairs:
            lines.append(f"\t={escape(p.left)} -> {escape(p.right)}#{escape(p.explanation)}")
        for r in spec.extra_right:
            lines.append(f"\t= -> {escape(r)}")
    elif spec.type == "ordering":
        extra["type"] = "ordering"
        for i, item in enumerate(spec.items, start=1):
            lines.append(f"\t={i} -> {escape(item.text)}#{escape(item.explanation)}")
    if general:
        lines.append(f"\t{general}")
    return f"{_meta_line(spec, extra)}\n{head}{{\n" + "\n".join(lines) + "\n}\n"
