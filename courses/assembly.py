"""Parsed notes + outline + facts become lessons: routing, merging and de-duplication.

Pure functions over plain data (no database): the importer persists what `assemble`
returns, and tests can check routing and merging without a database.

Routing, for each section of each note, first match wins:
1. an explicit placement in course.yaml (note + heading);
2. a lesson heading alias equal to the section's own heading (an alias written
   "API Gateway > Security" must match the end of the heading path);
3. the best keyword score (own heading x6, parent headings x2, body text x1, at most 3 body
   hits per keyword), if at least 3;
otherwise the section is unplaced, and the import and the instructor report list it.

Merging: a lesson shows its sections ordered by the alias they matched (the instructor's
order in course.yaml), then keyword-placed ones, each by note order. A statement (a list
item without sub-items, or a paragraph) that repeats one already shown from another note
is left out of the merged view and credited on the first one instead. Two statements
repeat each other when they are short and state the same facts with the same values
("Max 15 mins runtime" / "900s (15 minute) function timeout"), or when their words
overlap by at least 70%.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from decimal import Decimal

from courses.facts import Mention
from courses.note_parsing import Block, ParsedNote, Section
from courses.note_rendering import ImageRef, blocks_plain, inline_plain, render_blocks
from courses.outline import LessonSpec, Outline

MIN_KEYWORD_SCORE = 3
SHORT_STATEMENT_WORDS = 14
WORD_OVERLAP = 0.7


@dataclass
class NoteInput:
    filename: str
    title: str
    order: int
    sha256: str
    parsed: ParsedNote
    mentions: list[Mention]


@dataclass
class SectionResult:
    note: NoteInput
    section: Section
    order: int
    anchor: str
    lesson: str | None
    placement: str
    placement_detail: str
    alias_index: int = 10_000
    lesson_order: int = 0
    group_title: str = ""
    html_source: str = ""
    html_merged: str = ""
    text: str = ""
    images: list[ImageRef] = field(default_factory=list)


@dataclass
class MergedPointResult:
    lesson: str
    text: str
    sources: list[tuple[SectionResult, int, str]]  # (section, line, the note's words)


@dataclass
class Assembly:
    sections: list[SectionResult]
    merged_points: list[MergedPointResult]
    search_text: dict[str, str]


# --- routing -----------------------------------------------------------------------------------


def normalize(text: str) -> str:
    return re.sub(r"[^a-z0-9@/]+", " ", text.lower()).strip()


def _contains(haystack: str, needle: str) -> int:
    if not needle:
        return 0
    return len(re.findall(rf"(?<![a-z0-9]){re.escape(needle)}(?![a-z0-9])", haystack))


def slugify_path(path: tuple[str, ...]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", " ".join(path).lower()).strip("-")
    return slug[:180] or "section"


def route_section(
    outline: Outline, note: NoteInput, section: Section, body: str
) -> tuple[str | None, str, str, int]:
    """(lesson slug or None, placement kind, human detail, alias index)."""
    path = [normalize(p) for p in section.path]
    for placement in outline.placements:
        if placement.note != note.filename:
            continue
        wanted = [normalize(p) for p in placement.heading.split(">")]
        if path[-len(wanted) :] == wanted:
            if not placement.lesson:
                return None, "unplaced", f"left unplaced by course.yaml line {placement.line}", 0
            # After the alias groups, under the section's own heading.
            return placement.lesson, "explicit", f"course.yaml line {placement.line}", 10_000
    for lesson in outline.lessons:
        for index, alias in enumerate(lesson.headings):
            wanted = [normalize(p) for p in alias.split(">")]
            if path[-len(wanted) :] == wanted:
                return lesson.slug, "heading", f"heading alias {alias!r}", index
    own, parents, text = path[-1], " ".join(path[:-1]), normalize(body)
    best: tuple[int, LessonSpec | None, list[str]] = (0, None, [])
    for lesson in outline.lessons:
        score, hits = 0, []
        for keyword in lesson.keywords:
            k = normalize(keyword)
            points = 6 * _contains(own, k) + 2 * _contains(parents, k) + min(3, _contains(text, k))
            if points:
                score += points
                hits.append(keyword)
        if score > best[0]:
            best = (score, lesson, hits)
    score, lesson, hits = best
    if lesson is not None and score >= MIN_KEYWORD_SCORE:
        return lesson.slug, "keywords", f"keywords {', '.join(hits)} (score {score})", 10_000
    detail = f"best keyword score {score} ({lesson.slug})" if lesson else "no keyword matched"
    return None, "unplaced", detail, 0


# --- statements and duplicates -----------------------------------------------------------------

_STOP = set(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "for",
        "and",
        "or",
        "is",
        "are",
        "be",
        "by",
        "with",
        "as",
        "at",
        "it",
        "its",
        "this",
        "that",
        "from",
        "can",
        "up",
        "per",
        "you",
        "we",
        "our",
        "your",
        "not",
        "no",
        "max",
        "maximum",
        "min",
        "minimum",
        "only",
    ]
)
_SYNONYMS = {
    "mins": "min",
    "minute": "min",
    "minutes": "min",
    "mn": "min",
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
    "gb": "gb",
    "gbs": "gb",
    "mb": "mb",
    "kb": "kb",
    "functions": "function",
    "executions": "execution",
    "requests": "request",
}


def statement_tokens(text: str) -> set[str]:
    text = re.sub(r"(\d)([a-z])", r"\1 \2", text.lower().replace(",", ""))
    words = re.findall(r"[a-z0-9@/.]+", text)
    return {_SYNONYMS.get(w, w) for w in (w.strip(".") for w in words) if w and w not in _STOP}


@dataclass
class _Statement:
    tokens: set[str]
    facts: frozenset[tuple[str, Decimal]]
    words: int
    block: Block
    section: SectionResult
    text: str
    extra: list[tuple[SectionResult, int, str]] = field(default_factory=list)


def _numbers(tokens: set[str]) -> set[str]:
    return {t for t in tokens if t[0].isdigit()}


def _is_duplicate(a: _Statement, b: _Statement) -> bool:
    if a.section.note is b.section.note:
        # Within one note only a verbatim repeat in another section counts (note 002 repeats
        # whole paragraphs under two headings); a note's own list stays as written.
        return a.section is not b.section and a.tokens == b.tokens and len(a.tokens) >= 3
    if a.facts and a.facts == b.facts and max(a.words, b.words) <= SHORT_STATEMENT_WORDS:
        return True
    if min(len(a.tokens), len(b.tokens)) < 3 or _numbers(a.tokens) != _numbers(b.tokens):
        # Different numbers are different claims ("512MB" vs "512MB to 10GB"), however
        # similar the words: keep both so the newer value is not hidden.
        return False
    overlap = len(a.tokens & b.tokens) / len(a.tokens | b.tokens)
    return overlap >= WORD_OVERLAP


def _statements(blocks: list[Block]) -> list[Block]:
    out: list[Block] = []
    for b in blocks:
        if (b.kind == "item" and not b.children and b.text) or b.kind == "para":
            out.append(b)
        out.extend(_statements(b.children))
    return out


def _block_lines(block: Block) -> range:
    if block.kind == "item":
        first_child = min((c.line for c in block.children), default=block.end_line + 1)
        return range(block.line, max(block.line, first_child - 1) + 1)
    return range(block.line, (block.end_line or block.line) + 1)


# --- rendering helpers -------------------------------------------------------------------------


def stale_callout(mention: Mention) -> str:
    fact = mention.fact
    when = f"since {fact.since}" if fact.since else "today"
    return (
        f'<span class="fact-callout">This note says {html.escape(mention.stated)}; '
        f"{html.escape(when)} the {html.escape(fact.label[0].lower() + fact.label[1:])} is "
        f"{html.escape(fact.display)} "
        f'(<a href="{html.escape(fact.reference)}">AWS documentation</a>).</span>'
    )


def also_in(sources: list[tuple[SectionResult, int, str]]) -> str:
    """The credit line for a statement other notes also make: note title and heading, with
    the full heading path and line as a tooltip."""
    credits: dict[str, str] = {}
    for result, line, _ in sources:
        label = f"{result.note.title} › {result.section.heading}"
        where = f"{result.note.filename}:{line} · {' › '.join(result.section.path)}"
        credits.setdefault(label, where)
    parts = "; ".join(
        f'<span title="{html.escape(where)}">{html.escape(label)}</span>'
        for label, where in credits.items()
    )
    return f'<span class="also-in">Also in: {parts}</span>'


# --- assembly ----------------------------------------------------------------------------------


def assemble(outline: Outline, notes: list[NoteInput]) -> Assembly:
    sections: list[SectionResult] = []
    for note in notes:
        used: dict[str, int] = {}
        for order, section in enumerate(note.parsed.sections):
            anchor = slugify_path(section.path)
            used[anchor] = used.get(anchor, 0) + 1
            if used[anchor] > 1:
                anchor = f"{anchor}-{used[anchor]}"
            body = blocks_plain(section.blocks, note.parsed.shape)
            lesson, kind, detail, alias_index = route_section(outline, note, section, body)
            result = SectionResult(
                note=note,
                section=section,
                order=order,
                anchor=anchor,
                lesson=lesson,
                placement=kind,
                placement_detail=detail,
                alias_index=alias_index,
                text=body,
            )
            by_line = _mentions_by_line(note, section)
            result.html_source, result.images = render_blocks(
                section.blocks,
                note.parsed.shape,
                annotate=lambda b, by_line=by_line: _callouts(b, by_line),
            )
            sections.append(result)

    merged_points: list[MergedPointResult] = []
    search_text: dict[str, str] = {}
    for lesson in outline.lessons:
        placed = sorted(
            (s for s in sections if s.lesson == lesson.slug),
            key=lambda s: (s.alias_index, s.note.order, s.order),
        )
        seen: list[_Statement] = []
        kept: dict[int, _Statement] = {}
        skip: dict[int, set[int]] = {}
        for position, result in enumerate(placed):
            result.lesson_order = position
            result.group_title = (
                # "Lambda > Limits" is routing syntax; the reader sees "Limits".
                lesson.headings[result.alias_index].split(">")[-1].strip()
                if result.placement == "heading"
                else result.section.heading
            )
            skip[id(result)] = set()
            mentions = result.note.mentions
            for block in _statements(result.section.blocks):
                lines = _block_lines(block)
                text = inline_plain(block.text, result.note.parsed.shape)
                if not text:
                    continue
                statement = _Statement(
                    tokens=statement_tokens(text),
                    facts=frozenset(
                        (m.fact.key, m.normalized) for m in mentions if m.line in lines
                    ),
                    words=len(text.split()),
                    block=block,
                    section=result,
                    text=text,
                )
                earlier = next((s for s in seen if _is_duplicate(s, statement)), None)
                if earlier is None:
                    seen.append(statement)
                    kept[id(block)] = statement
                else:
                    earlier.extra.append((result, block.line, text))
                    skip[id(result)].add(id(block))
        for result in placed:
            _prune_emptied(result.section.blocks, skip[id(result)])
            by_line = _mentions_by_line(result.note, result.section)

            def annotate(b: Block, by_line=by_line, kept=kept) -> str:
                extra = _callouts(b, by_line)
                statement = kept.get(id(b))
                if statement is not None and statement.extra:
                    extra += also_in(statement.extra)
                return extra

            result.html_merged, _ = render_blocks(
                result.section.blocks,
                result.note.parsed.shape,
                annotate=annotate,
                skip=skip[id(result)],
            )
        for statement in seen:
            if statement.extra:
                merged_points.append(
                    MergedPointResult(
                        lesson=lesson.slug,
                        text=statement.text,
                        sources=[
                            (statement.section, statement.block.line, statement.text),
                            *statement.extra,
                        ],
                    )
                )
        search_text[lesson.slug] = "\n".join(
            [lesson.title, lesson.summary, *(s.section.heading + "\n" + s.text for s in placed)]
        )
    return Assembly(sections=sections, merged_points=merged_points, search_text=search_text)


def _prune_emptied(blocks: list[Block], skip: set[int]) -> bool:
    """Skip list items and lists whose every statement was merged away (a label such as
    "Execution :" with nothing left under it). True when all of `blocks` are skipped."""
    all_gone = True
    for block in blocks:
        if id(block) in skip:
            continue
        emptied = block.kind in ("list", "item") and bool(block.children)
        emptied = emptied and _prune_emptied(block.children, skip)
        if emptied and (block.kind == "list" or _is_label(block)):
            skip.add(id(block))
            continue
        all_gone = False
    return all_gone


def _is_label(item: Block) -> bool:
    """An item that only introduces its sub-items ("Execution :", "Pricing:")."""
    text = item.text.strip()
    return text.endswith(":") or len(text.split()) <= 3


def _mentions_by_line(note: NoteInput, section: Section) -> dict[int, list[Mention]]:
    out: dict[int, list[Mention]] = {}
    for m in note.mentions:
        if section.line <= m.line <= section.end_line:
            out.setdefault(m.line, []).append(m)
    return out


def _callouts(block: Block, by_line: dict[int, list[Mention]]) -> str:
    if block.kind not in ("item", "para"):
        return ""
    found = [m for line in _block_lines(block) for m in by_line.get(line, []) if m.is_stale]
    return "".join(stale_callout(m) for m in found)
