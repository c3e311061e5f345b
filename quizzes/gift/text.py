"""GIFT text: escapes, the HTML subset we accept, numbers."""

from __future__ import annotations

import html
import re
from decimal import Decimal, InvalidOperation

# Escaped specials become private-use characters while we split on the real ones.
_ESCAPES = {"~": "\ue000", "=": "\ue001", "#": "\ue002", "{": "\ue003", "}": "\ue004",
            ":": "\ue005", "\\": "\ue006"}  # fmt: skip
_RESTORE = {v: k for k, v in _ESCAPES.items()}
_HTML_TAGS = {"p", "br", "b", "strong", "i", "em", "code", "pre", "ul", "ol", "li", "span", "div"}


class Unsupported(Exception):
    """A GIFT construct we do not map; the message says which and what to do."""

    def __init__(self, message: str, hint: str = "", line: int | None = None) -> None:
        super().__init__(message)
        self.hint = hint
        self.line = line


def protect(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt == "n":
                out.append("\n")
                i += 2
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def restore(text: str) -> str:
    return "".join(_RESTORE.get(ch, ch) for ch in text)


def escape(text: str) -> str:
    """Text as GIFT writes it: specials escaped, newlines as \\n (a blank line would end
    the question)."""
    out = text.replace("\\", "\\\\")
    for ch in "~=#{}:":
        out = out.replace(ch, "\\" + ch)
    return out.replace("\n", "\\n")


def html_to_markdown(text: str, line: int) -> str:
    tags = {t.lower() for t in re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", text)}
    unknown = sorted(tags - _HTML_TAGS)
    if unknown:
        raise Unsupported(
            f"HTML tag(s) {', '.join('<' + t + '>' for t in unknown)} cannot be imported",
            "keep to text, paragraphs, bold, italics, code and lists, or use [markdown]",
            line,
        )
    if re.search(r"\son\w+\s*=|javascript:", text, re.IGNORECASE):
        raise Unsupported("HTML with scripts or event handlers cannot be imported", "", line)
    out = re.sub(r"<\s*br\s*/?\s*>", "\n", text, flags=re.IGNORECASE)
    out = re.sub(r"<\s*/\s*(p|div|ul|ol)\s*>", "\n\n", out, flags=re.IGNORECASE)
    out = re.sub(r"<\s*li[^>]*>", "\n- ", out, flags=re.IGNORECASE)
    out = re.sub(r"<\s*/?\s*(b|strong)\s*>", "**", out, flags=re.IGNORECASE)
    out = re.sub(r"<\s*/?\s*(i|em)\s*>", "*", out, flags=re.IGNORECASE)
    out = re.sub(r"<\s*/?\s*(code|pre)\s*>", "`", out, flags=re.IGNORECASE)
    out = re.sub(r"<[^>]*>", "", out)
    out = html.unescape(out)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(s.rstrip() for s in out.splitlines())).strip()


def number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def plain_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
