"""content/facts.yaml: the catalogue of quantitative facts, and finding them in notes.

A mention is a place in a note where a fact's pattern matches; its value is converted to
the fact's unit, so "10GB", "10,240 MB" and "10240MB" compare equal. A mention whose value
differs from the catalogue's current value is stale; two notes stating different values
for one fact are in conflict.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from courses.yaml_lines import FieldReader, LineDict, load_yaml

FACTS_FILE = "content/facts.yaml"
KEY = re.compile(r"^[a-z0-9_]+(?:\.[a-z0-9_]+)+$")

# Unit words -> (dimension, factor to the dimension's base unit). Sizes are binary, as AWS
# quotes them (10 GB of Lambda memory is 10,240 MB).
_UNITS: dict[str, tuple[str, Decimal]] = {}
for words, dimension, factor in [
    (("b", "byte", "bytes"), "size", Decimal(1)),
    (("kb", "kib", "k"), "size", Decimal(1024)),
    (("mb", "mib", "m"), "size", Decimal(1024**2)),
    (("gb", "gib", "g"), "size", Decimal(1024**3)),
    (("tb", "tib"), "size", Decimal(1024**4)),
    (("ms", "msec", "millisecond", "milliseconds"), "time", Decimal("0.001")),
    (("s", "sec", "secs", "second", "seconds"), "time", Decimal(1)),
    (("min", "mins", "minute", "minutes", "mn", "mn."), "time", Decimal(60)),
    (("h", "hr", "hrs", "hour", "hours"), "time", Decimal(3600)),
    (("day", "days", "d"), "time", Decimal(86400)),
    (("week", "weeks"), "time", Decimal(604800)),
    (("year", "years"), "time", Decimal(31536000)),
]:
    for word in words:
        _UNITS[word] = (dimension, factor)


def unit_info(unit: str) -> tuple[str, Decimal] | None:
    return _UNITS.get(unit.strip().lower())


def convert(value: Decimal, from_unit: str, to_unit: str) -> Decimal | None:
    """Convert between units of one dimension; same-named other units pass through."""
    if from_unit.strip().lower() == to_unit.strip().lower():
        return value
    source, target = unit_info(from_unit), unit_info(to_unit)
    if source is None or target is None or source[0] != target[0]:
        return None
    return value * source[1] / target[1]


@dataclass
class Pattern:
    regex: re.Pattern
    unit: str  # "" when the regex captures the unit itself
    line: int


@dataclass
class FactSpec:
    key: str
    label: str
    service: str
    value: Decimal
    unit: str
    display: str
    since: str
    verified: dt.date
    reference: str
    note: str
    patterns: list[Pattern] = field(default_factory=list)
    line: int = 0


@dataclass
class Mention:
    fact: FactSpec
    line: int  # 1-based line in the note
    start: int
    end: int
    value_start: int
    value_end: int
    text: str  # the matched text
    value: Decimal  # as written
    unit: str  # as written
    normalized: Decimal  # in the fact's unit

    @property
    def is_stale(self) -> bool:
        return self.normalized != self.fact.value

    @property
    def stated(self) -> str:
        unit = "" if self.unit.lower() == "count" else self.unit
        return f"{format_number(self.value)} {unit}".strip()


def format_number(value: Decimal) -> str:
    normal = value.normalize()
    if normal == normal.to_integral():
        return f"{int(normal):,}"
    return f"{normal:,f}"


def load_facts(content_dir: Path) -> list[FactSpec]:
    raw = load_yaml(content_dir / "facts.yaml", FACTS_FILE)
    r = FieldReader(FACTS_FILE)
    data = r.mapping(raw, "facts.yaml", 1)
    if data is None:
        r.raise_errors()
    r.keys(data, "facts.yaml", {"facts"})
    entries = data.get("facts")
    if not isinstance(entries, list):
        r.error(data.line_of("facts"), "'facts' must be a list")
        r.raise_errors()
    facts: list[FactSpec] = []
    seen: dict[str, int] = {}
    allowed = {
        "key",
        "label",
        "service",
        "value",
        "unit",
        "display",
        "since",
        "verified",
        "reference",
        "note",
        "patterns",
    }
    for entry in entries:
        item = r.mapping(entry, "a fact", data.line_of("facts"))
        if item is None:
            continue
        r.keys(item, "a fact", allowed)
        key = r.text(item, "key", "a fact")
        what = f"fact {key!r}"
        if key and not KEY.match(key):
            r.error(
                item.line_of("key"), f"{what}: key must be dotted lowercase, e.g. lambda.memory.max"
            )
        if key in seen:
            r.error(
                item.line_of("key"),
                f"duplicate fact key {key!r} (first at line {seen[key]})",
                "give each fact a unique key",
            )
        seen.setdefault(key, item.line_of("key"))
        value = _decimal(r, item, what)
        unit = r.text(item, "unit", what)
        verified = item.get("verified")
        if not isinstance(verified, dt.date):
            r.error(item.line_of("verified"), f"{what}: 'verified' must be a date like 2026-11-22")
            verified = dt.date.min
        reference = r.text(item, "reference", what)
        if reference and not reference.startswith("https://"):
            r.error(item.line_of("reference"), f"{what}: reference must be an https:// URL")
        facts.append(
            FactSpec(
                key=key,
                label=r.text(item, "label", what),
                service=r.text(item, "service", what),
                value=value,
                unit=unit,
                display=r.text(item, "display", what, required=False)
                or f"{format_number(value)} {unit}",
                since=r.text(item, "since", what, required=False),
                verified=verified,
                reference=reference,
                note=r.text(item, "note", what, required=False),
                patterns=_patterns(r, item, what, unit),
                line=item.line,
            )
        )
    r.raise_errors()
    return facts


def _decimal(r: FieldReader, item: LineDict, what: str) -> Decimal:
    value = item.get("value")
    try:
        if isinstance(value, bool) or value is None:
            raise InvalidOperation
        return Decimal(str(value))
    except InvalidOperation:
        r.error(item.line_of("value"), f"{what}: 'value' must be a number, got {value!r}")
        return Decimal(0)


def _patterns(r: FieldReader, item: LineDict, what: str, fact_unit: str) -> list[Pattern]:
    out: list[Pattern] = []
    entries = item.get("patterns") or []
    if not isinstance(entries, list) or not entries:
        r.error(item.line_of("patterns"), f"{what}: needs a non-empty 'patterns' list")
        return out
    for entry in entries:
        line = getattr(entry, "line", item.line_of("patterns"))
        if isinstance(entry, str):
            source, unit = entry, ""
        elif isinstance(entry, LineDict):
            source, unit = str(entry.get("re", "")), str(entry.get("unit", "") or "")
        else:
            r.error(line, f"{what}: a pattern must be a regex string or a mapping with 're'")
            continue
        try:
            regex = re.compile(source, re.IGNORECASE)
        except re.error as exc:
            r.error(line, f"{what}: pattern does not compile: {exc}", "fix the regular expression")
            continue
        if "value" not in regex.groupindex:
            r.error(line, f"{what}: pattern has no (?P<value>...) group")
            continue
        if "unit" not in regex.groupindex and not unit:
            r.error(
                line,
                f"{what}: pattern has no (?P<unit>...) group and no 'unit:'",
                f"add 'unit: {fact_unit}' to the pattern",
            )
            continue
        out.append(Pattern(regex, unit, line))
    return out


_MARKUP = re.compile(r"\*\*|__|`|''")
_LEAD = re.compile(r"^[\s>*+\-=#]*(?:\d+[.)]\s+)?")


def clean_line(raw: str) -> str:
    """A note line as the fact patterns see it: no bullets, emphasis or code marks."""
    return _MARKUP.sub("", _LEAD.sub("", raw)).rstrip()


def find_mentions(lines: list[str], facts: list[FactSpec]) -> list[Mention]:
    mentions: list[Mention] = []
    for number, raw in enumerate(lines, start=1):
        text = clean_line(raw)
        if not any(ch.isdigit() for ch in text):
            continue
        for fact in facts:
            seen: set[int] = set()
            for pattern in fact.patterns:
                for match in pattern.regex.finditer(text):
                    start = match.start("value")
                    if start in seen:
                        continue
                    mention = _mention(fact, pattern, match, number)
                    if mention is not None:
                        seen.add(start)
                        mentions.append(mention)
    mentions.sort(key=lambda m: (m.line, m.value_start, m.fact.key))
    return mentions


def _mention(fact: FactSpec, pattern: Pattern, match: re.Match, number: int) -> Mention | None:
    try:
        value = Decimal(match.group("value").replace(",", ""))
    except InvalidOperation:
        return None
    unit = (match.groupdict().get("unit") or pattern.unit).strip()
    normalized = convert(value, unit, fact.unit)
    if normalized is None:
        return None
    return Mention(
        fact=fact,
        line=number,
        start=match.start(),
        end=match.end(),
        value_start=match.start("value"),
        value_end=match.end("value"),
        text=match.group(0).strip(),
        value=value,
        unit=unit,
        normalized=normalized.normalize(),
    )


_NUMBER_WITH_UNIT = re.compile(
    r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s*"
    r"(ms|milliseconds?|secs?|seconds?|s|mins?|minutes?|mn|hrs?|hours?|h|days?|weeks?|years?"
    r"|KiB|KB|MiB|MB|GiB|GB-?s(?:econds)?|GB|TB|RCUs?|WCUs?)(?![\w/])",
    re.IGNORECASE,
)


@dataclass
class NumericStatement:
    line: int
    column: int
    text: str  # "512MB"
    context: str  # the cleaned line


def find_uncovered(lines: list[str], mentions: list[Mention]) -> list[NumericStatement]:
    """Numbers with units that no fact's mention accounts for."""
    covered: dict[int, list[tuple[int, int]]] = {}
    for m in mentions:
        covered.setdefault(m.line, []).append((m.value_start, m.value_end))
    out: list[NumericStatement] = []
    for number, raw in enumerate(lines, start=1):
        text = clean_line(raw)
        for match in _NUMBER_WITH_UNIT.finditer(text):
            spans = covered.get(number, [])
            if any(s <= match.start(1) < e for s, e in spans):
                continue
            out.append(
                NumericStatement(number, match.start(), match.group(0).strip(), text.strip()[:300])
            )
    return out
