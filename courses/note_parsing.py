"""Study notes in three shapes become one tree of sections made of blocks.

Shapes:
- ``markdown``: ``#`` headings, bullets, tables, fenced code (parsed by markdown-it).
- ``zim``: a Zim wiki page (``Content-Type: text/x-zim-wiki`` header, ``====== h ======``
  headings, tab-indented ``*`` bullets, ``[[links]]``).
- ``outline``: Markdown ``#`` headings over plain-text outlines indented by 4 spaces. A
  Markdown renderer would show those outlines as code; here indentation means nesting, and a
  short unindented line that introduces an indented block is a sub-heading.

Every shape yields the same structures, so the rest of the import (routing, merging, fact
mentions, rendering) never looks at the shape again except to render inline markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt

from courses.content_errors import ContentError

SHAPES = ("markdown", "zim", "outline")


@dataclass
class Block:
    """One block of a section: a list, a list item, a paragraph, code, a table, an image."""

    kind: str  # "list" | "item" | "para" | "code" | "table" | "image" | "hr" | "quote"
    line: int  # 1-based line in the note where the block starts
    end_line: int = 0
    text: str = ""  # inline source (item's own text, paragraph) or code content
    children: list[Block] = field(default_factory=list)
    ordered: bool = False  # lists
    lang: str = ""  # code
    rows: list[list[str]] = field(default_factory=list)  # tables, first row is the header
    src: str = ""  # images
    alt: str = ""  # images


@dataclass
class Section:
    heading: str
    level: int
    path: tuple[str, ...]
    line: int
    end_line: int
    blocks: list[Block] = field(default_factory=list)


@dataclass
class ParsedNote:
    filename: str
    shape: str
    title: str
    lines: list[str]
    sections: list[Section]


# --- shape detection -------------------------------------------------------------------------

_ZIM_HEADER = re.compile(r"^Content-Type:\s*text/x-zim-wiki\s*$", re.IGNORECASE)
_ZIM_HEADING = re.compile(r"^(={2,6})\s+(.+?)\s+\1\s*$")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_FENCE = re.compile(r"^\s*(```|~~~)")


def detect_shape(text: str) -> str:
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if _ZIM_HEADER.match(first) or sum(1 for line in lines if _ZIM_HEADING.match(line)) >= 2:
        return "zim"
    indented_plain = bullets = 0
    in_fence = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence or not line.strip() or _MD_HEADING.match(line):
            continue
        if _LIST_MARKER.match(line):
            bullets += 1
        elif line.startswith(("    ", "\t")):
            indented_plain += 1
    # Outlines are mostly indented plain lines with (almost) no list markers.
    if indented_plain >= 3 and indented_plain > 3 * bullets:
        return "outline"
    return "markdown"


def parse_note(filename: str, text: str) -> ParsedNote:
    shape = detect_shape(text)
    lines = text.splitlines()
    if shape == "zim":
        sections = _parse_zim(lines)
    elif shape == "outline":
        try:
            sections = _parse_outline(lines)
        except ContentError as exc:
            exc.file = filename
            raise
    else:
        sections = _parse_markdown(text)
    headed = sections[1:]  # sections[0] is the preamble before the first heading
    top = min((s.level for s in headed), default=0)
    title = next((s.heading for s in headed if s.level == top), "")
    # A heading with no content of its own (or only a rule) is structure: it lives on in
    # its children's heading paths.
    sections = [s for s in sections if any(b.kind != "hr" for b in s.blocks)]
    return ParsedNote(
        filename=filename, shape=shape, title=title or filename, lines=lines, sections=sections
    )


# --- shared section bookkeeping ---------------------------------------------------------------


class _SectionBuilder:
    """Tracks the heading stack; content before the first heading goes to a preamble."""

    def __init__(self, preamble_title: str = "Introduction") -> None:
        self.sections: list[Section] = []
        self.stack: list[tuple[int, str]] = []
        self.current = Section(preamble_title, 1, (preamble_title,), 1, 1)
        self.sections.append(self.current)

    def heading(self, level: int, title: str, line: int) -> None:
        self.current.end_line = max(self.current.end_line, line - 1)
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, title))
        self.current = Section(title, level, tuple(t for _, t in self.stack), line, line)
        self.sections.append(self.current)

    def add(self, block: Block) -> None:
        self.current.blocks.append(block)
        self.current.end_line = max(self.current.end_line, block.end_line or block.line)


def plain_heading(text: str) -> str:
    """Heading text without inline markup or stray list dashes ("### - Lambda Authorizer")."""
    text = re.sub(r"[*_`]+", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return text.strip().lstrip("-").strip()


# --- markdown --------------------------------------------------------------------------------

_md_parser = MarkdownIt("commonmark", {"html": True}).enable("table")

IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def img_tag_attrs(tag: str) -> tuple[str, str]:
    attrs = {
        m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
        for m in _ATTR.finditer(tag)
    }
    return attrs.get("src", ""), attrs.get("alt", "")


def _parse_markdown(text: str) -> list[Section]:
    tokens = _md_parser.parse(text)
    builder = _SectionBuilder()
    # Container stack: each entry is the list of blocks new blocks are appended to.
    containers: list[list[Block]] = []
    item_stack: list[Block] = []
    table: Block | None = None
    row: list[str] | None = None
    i = 0

    def emit(block: Block) -> None:
        if containers:
            containers[-1].append(block)
        else:
            builder.add(block)

    while i < len(tokens):
        tok = tokens[i]
        line = tok.map[0] + 1 if tok.map else 0
        end = tok.map[1] if tok.map else line
        t = tok.type
        if t == "heading_open":
            builder.heading(int(tok.tag[1]), plain_heading(tokens[i + 1].content), line)
            i += 3
            continue
        if t in ("bullet_list_open", "ordered_list_open"):
            block = Block("list", line, end, ordered=t == "ordered_list_open")
            emit(block)
            containers.append(block.children)
        elif t in ("bullet_list_close", "ordered_list_close", "blockquote_close"):
            containers.pop()
        elif t == "list_item_open":
            item = Block("item", line, end)
            containers[-1].append(item)
            item_stack.append(item)
            containers.append(item.children)
        elif t == "list_item_close":
            containers.pop()
            item_stack.pop()
        elif t == "blockquote_open":
            block = Block("quote", line, end)
            emit(block)
            containers.append(block.children)
        elif t == "paragraph_open":
            content = tokens[i + 1].content
            item = item_stack[-1] if item_stack else None
            # The first paragraph of a list item is the item's own text.
            if (
                item is not None
                and containers[-1] is item.children
                and not item.text
                and not item.children
            ):
                item.text = content
            else:
                emit(_paragraph_or_image(content, line, end))
            i += 3
            continue
        elif t in ("fence", "code_block"):
            emit(
                Block(
                    "code", line, end, text=tok.content, lang=(tok.info or "").strip().split(" ")[0]
                )
            )
        elif t == "html_block":
            for offset, raw in enumerate(tok.content.splitlines()):
                if raw.strip():
                    emit(_paragraph_or_image(raw.strip(), line + offset, line + offset))
        elif t == "hr":
            emit(Block("hr", line, end))
        elif t == "table_open":
            table = Block("table", line, end)
        elif t == "tr_open":
            row = []
        elif t == "inline" and row is not None:
            row.append(tok.content)
        elif t == "tr_close" and table is not None and row is not None:
            table.rows.append(row)
            row = None
        elif t == "table_close" and table is not None:
            emit(table)
            table = None
        i += 1
    return builder.sections


def _paragraph_or_image(content: str, line: int, end: int) -> Block:
    """A paragraph that is nothing but one image becomes an image block."""
    stripped = content.strip()
    md_img = re.fullmatch(r"!\[([^\]]*)\]\(([^)\s]*)[^)]*\)", stripped)
    if md_img:
        return Block("image", line, end, alt=md_img.group(1), src=md_img.group(2))
    if IMG_TAG.fullmatch(stripped):
        src, alt = img_tag_attrs(stripped)
        return Block("image", line, end, alt=alt, src=src)
    return Block("para", line, end, text=content)


# --- zim -------------------------------------------------------------------------------------

_ZIM_BULLET = re.compile(r"^(\t*)(?:\*|\[[ *x]\]|\d+\.)\s+(.*)$")
_ZIM_META = re.compile(r"^[A-Z][\w-]*:\s")
_ZIM_CREATED = re.compile(r"^Created \S+ \d{1,2} \S+ \d{4}\s*$")


def _parse_zim(lines: list[str]) -> list[Section]:
    builder = _SectionBuilder()
    start = 0
    # The header block (Content-Type, Wiki-Format, Creation-Date) ends at the first blank line.
    if lines and _ZIM_HEADER.match(lines[0]):
        while start < len(lines) and lines[start].strip():
            start += 1
    list_stack: list[tuple[int, Block]] = []  # (depth, list block)
    para: Block | None = None
    in_verbatim = False
    verbatim: Block | None = None
    previous_was_heading = False
    for index in range(start, len(lines)):
        number = index + 1
        raw = lines[index]
        if in_verbatim:
            if raw.strip() == "'''":
                in_verbatim = False
                verbatim.end_line = number
                builder.add(verbatim)
            else:
                verbatim.text += raw + "\n"
            continue
        if raw.strip() == "'''":
            in_verbatim, verbatim, list_stack, para = True, Block("code", number), [], None
            continue
        heading = _ZIM_HEADING.match(raw)
        if heading:
            # Zim: six '=' is the page title (level 1), two '=' the smallest heading.
            builder.heading(7 - len(heading.group(1)), plain_heading(heading.group(2)), number)
            list_stack, para, previous_was_heading = [], None, True
            continue
        if previous_was_heading and _ZIM_CREATED.match(raw):
            continue  # Zim writes "Created <date>" under a new page's title: metadata.
        previous_was_heading = False
        if not raw.strip():
            list_stack, para = [], None
            continue
        bullet = _ZIM_BULLET.match(raw)
        if bullet:
            para = None
            depth = len(bullet.group(1))
            item = Block("item", number, number, text=bullet.group(2).rstrip())
            while list_stack and list_stack[-1][0] > depth:
                list_stack.pop()
            if list_stack and list_stack[-1][0] == depth:
                list_stack[-1][1].children.append(item)
            else:
                container = Block("list", number, number, children=[item])
                parent = _last_item(list_stack)
                if parent is not None:
                    parent.children.append(container)
                else:
                    builder.add(container)
                list_stack.append((depth, container))
            _extend(list_stack, number)
            builder.current.end_line = number
            continue
        if para is not None:
            para.text += "\n" + raw.strip()
            para.end_line = number
        else:
            list_stack = []
            para = _paragraph_or_image(raw.strip(), number, number)
            if para.kind == "image":
                builder.add(para)
                para = None
            else:
                builder.add(para)
        builder.current.end_line = number
    return builder.sections


def _last_item(list_stack: list[tuple[int, Block]]) -> Block | None:
    if not list_stack:
        return None
    items = list_stack[-1][1].children
    return items[-1] if items else None


def _extend(list_stack: list[tuple[int, Block]], number: int) -> None:
    for _, block in list_stack:
        block.end_line = number


# --- outline ---------------------------------------------------------------------------------


def _indent_width(raw: str) -> int:
    expanded = raw.expandtabs(4)
    return len(expanded) - len(expanded.lstrip(" "))


def _is_short(text: str) -> bool:
    return (
        bool(text)
        and len(text.split()) <= 8
        and not text.endswith((".", ",", ";"))
        and not text.startswith(("<", "!", "[", "`", "|"))
    )


def _outline_line_role(lines: list[str], index: int) -> str:
    """Classify an unindented outline line: "heading", "run-heading" or "para".

    - a line of at most ~120 characters that introduces an indented block is a heading,
      unless it is a long lead-in sentence ending in ':' ("Possible targets for ...:");
    - a short line between blank lines that precedes a longer paragraph is a heading;
    - a short line after a blank that starts a run of 3+ short lines heads that run,
      which becomes a list ("DynamoDB - NoSQL / not relational / key-value store").
    """
    text = lines[index].strip()
    if text.startswith(("<", "!", "[", "`", "|")) or text.endswith((".", ",", ";")):
        return "para"
    after = lines[index + 1 :]
    following = next((line for line in after if line.strip()), None)
    if following is None:
        return "para"
    blank_before = index == 0 or not lines[index - 1].strip()
    blank_after = bool(after) and not after[0].strip()
    if _indent_width(following) >= 2:
        if len(text) > 120 or (text.endswith(":") and len(text.split()) > 3):
            return "para"
        return "heading"
    if not blank_before or not _is_short(text):
        return "para"
    if not blank_after:
        if len(following.strip()) > 100:
            return "heading"  # "How functions are executed" over its paragraph
        run = 0
        for line in after:
            if not line.strip() or _indent_width(line) >= 2 or not _is_short(line.strip()):
                break
            run += 1
        return "run-heading" if run >= 2 else "para"
    following_index = index + 1 + after.index(following)
    if _outline_line_role_is_short_block(lines, following_index):
        return "para"
    return "heading"


def _outline_line_role_is_short_block(lines: list[str], index: int) -> bool:
    """True when the line is itself a short line standing alone between blanks."""
    text = lines[index].strip()
    if not _is_short(text) or text.endswith(":"):
        return False  # a lead-in ("DynamoDB has two capacity modes:") belongs to a heading
    return index + 1 >= len(lines) or not lines[index + 1].strip()


def _parse_outline(lines: list[str]) -> list[Section]:
    builder = _SectionBuilder()
    level_of_last_md_heading = 1
    list_stack: list[tuple[int, Block]] = []
    in_fence = False
    code: Block | None = None
    run: Block | None = None  # a run of short unindented lines under a run-heading
    for index, raw in enumerate(lines):
        number = index + 1
        if in_fence:
            if _FENCE.match(raw):
                in_fence = False
                code.end_line = number
                builder.add(code)
            else:
                code.text += raw + "\n"
            continue
        if _FENCE.match(raw):
            in_fence, list_stack = True, []
            code = Block("code", number, lang=raw.strip().strip("`~").strip())
            continue
        if not raw.strip():
            run = None
            continue
        heading = _MD_HEADING.match(raw)
        if heading:
            run = None
            level_of_last_md_heading = len(heading.group(1))
            builder.heading(level_of_last_md_heading, plain_heading(heading.group(2)), number)
            list_stack = []
            continue
        width = _indent_width(raw)
        if width >= 2:
            text = raw.strip()
            item_or_image = _paragraph_or_image(text, number, number)
            if item_or_image.kind == "image":
                list_stack = []
                builder.add(item_or_image)
                continue
            depth = max(0, width // 4 - 1) if width >= 4 else 0
            item = Block("item", number, number, text=text)
            while list_stack and list_stack[-1][0] > depth:
                list_stack.pop()
            if list_stack and list_stack[-1][0] == depth:
                list_stack[-1][1].children.append(item)
            else:
                container = Block("list", number, number, children=[item])
                parent = _last_item(list_stack)
                if parent is not None:
                    parent.children.append(container)
                else:
                    builder.add(container)
                list_stack.append((depth, container))
            _extend(list_stack, number)
            builder.current.end_line = number
            continue
        list_stack = []
        if run is not None:
            run.children.append(Block("item", number, number, text=raw.strip()))
            run.end_line = builder.current.end_line = number
            continue
        role = _outline_line_role(lines, index)
        if role != "para":
            title = plain_heading(raw).rstrip(":").strip()
            builder.heading(level_of_last_md_heading + 1, title, number)
            if role == "run-heading":
                run = Block("list", number + 1, number + 1)
                builder.add(run)
            continue
        builder.add(_paragraph_or_image(raw.strip(), number, number))
    if in_fence:
        raise ContentError(
            "", code.line, "a fenced code block is never closed", "add the closing ``` line"
        )
    return builder.sections


def decode_note(filename: str, data: bytes) -> str:
    """Notes must be UTF-8; the error names the line of the first undecodable byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ContentError(
            filename,
            line,
            f"byte 0x{data[exc.start]:02x} is not valid UTF-8",
            "save the note as UTF-8 (most editors offer this under 'Save with encoding')",
        ) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
