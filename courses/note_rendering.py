"""Blocks become safe HTML.

Every note's text is untrusted: raw HTML is escaped (never interpreted), links keep only
http(s)/mailto targets, and images are never fetched or embedded: each becomes a visible
placeholder carrying its alt text. nh3 sanitises the result as a last gate, so a renderer
bug cannot turn note text into markup that runs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

import nh3
from markdown_it import MarkdownIt

from courses.note_parsing import IMG_TAG, Block, img_tag_attrs


@dataclass(frozen=True)
class ImageRef:
    line: int
    src: str
    alt: str

    @property
    def label(self) -> str:
        if self.alt.strip():
            return self.alt.strip()
        return PurePosixPath(self.src.split("?")[0]).name or "image"

    @property
    def is_remote(self) -> bool:
        return self.src.lower().startswith(("http://", "https://", "//"))


ALLOWED_TAGS = {
    "a",
    "p",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "blockquote",
    "hr",
    "br",
    "span",
    "del",
    "mark",
    "div",
    "small",
}
ALLOWED_ATTRIBUTES = {
    "*": {"class"},
    "a": {"href", "title"},
    "span": {"role", "aria-label", "title"},
    "th": {"scope"},
}


def sanitize(markup: str, *, tags: set[str] = ALLOWED_TAGS) -> str:
    """The last gate before HTML reaches a page (notes, lab instructions): only `tags`, only
    our attributes, only web and mail links, and links never pass on our referrer."""
    return nh3.clean(
        markup,
        tags=tags,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def image_placeholder(image: ImageRef) -> str:
    label = html.escape(image.label)
    return (
        f'<span class="missing-image" role="img" aria-label="Image not available: {label}">'
        f"Image not available: {label}</span>"
    )


# --- inline markup -----------------------------------------------------------------------------

_md_inline = MarkdownIt("commonmark", {"html": False, "linkify": False})
_SENTINEL = "\ue000{}\ue001"
_SENTINEL_RE = re.compile("\ue000(\\d+)\ue001")


def _render_md_image(self, tokens, idx, options, env):  # markdown-it renderer rule signature
    token = tokens[idx]
    image = ImageRef(env.get("line", 0), token.attrGet("src") or "", token.content or "")
    env.setdefault("images", []).append(image)
    return image_placeholder(image)


_md_inline.add_render_rule("image", _render_md_image)


def _inline_markdown(text: str, line: int, images: list[ImageRef]) -> str:
    found: list[ImageRef] = []

    def stash(match: re.Match) -> str:
        src, alt = img_tag_attrs(match.group(0))
        found.append(ImageRef(line, src, alt))
        return _SENTINEL.format(len(found) - 1)

    text = IMG_TAG.sub(stash, text)
    env: dict = {"line": line, "images": images}
    rendered = _md_inline.renderInline(text, env)
    images.extend(found)
    return _SENTINEL_RE.sub(lambda m: image_placeholder(found[int(m.group(1))]), rendered)


_ZIM_LINK = re.compile(r"\[\[([^\]|]+)(?:\|([^\]]*))?\]\]")
_ZIM_IMAGE = re.compile(r"\{\{([^}|?]+)(?:\?[^}|]*)?(?:\|([^}]*))?\}\}")
_URL = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


def _inline_zim(text: str, line: int, images: list[ImageRef]) -> str:
    pieces: list[str] = []

    def keep(markup: str) -> str:
        pieces.append(markup)
        return _SENTINEL.format(len(pieces) - 1)

    def link(match: re.Match) -> str:
        target, label = match.group(1).strip(), (match.group(2) or "").strip()
        shown = html.escape(label or target)
        if target.lower().startswith(("http://", "https://")):
            return keep(f'<a href="{html.escape(target)}">{shown}</a>')
        # A link to another page of the author's wiki: we do not have that page.
        return keep(
            f'<span class="wikilink" title="Link to a page of the original notes">{shown}</span>'
        )

    def image(match: re.Match) -> str:
        ref = ImageRef(line, match.group(1).strip(), (match.group(2) or "").strip())
        images.append(ref)
        return keep(image_placeholder(ref))

    text = _ZIM_IMAGE.sub(image, text)
    text = _ZIM_LINK.sub(link, text)
    text = re.sub(r"''(.+?)''", lambda m: keep(f"<code>{html.escape(m.group(1))}</code>"), text)
    text = _URL.sub(
        lambda m: keep(f'<a href="{html.escape(m.group(0))}">{html.escape(m.group(0))}</a>'), text
    )
    text = html.escape(text, quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"//(.+?)//", r"<em>\1</em>", text)
    text = re.sub(r"__(.+?)__", r"<mark>\1</mark>", text)
    text = re.sub(r"~~(.+?)~~", r"<del>\1</del>", text)
    return _SENTINEL_RE.sub(lambda m: pieces[int(m.group(1))], text)


def render_inline(text: str, shape: str, line: int, images: list[ImageRef]) -> str:
    if shape == "zim":
        return _inline_zim(text, line, images)
    return _inline_markdown(text, line, images)


def inline_plain(text: str, shape: str) -> str:
    """Inline source without markup, for search, de-duplication and fact mentions."""
    text = IMG_TAG.sub(lambda m: img_tag_attrs(m.group(0))[1], text)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = _ZIM_LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _ZIM_IMAGE.sub(lambda m: m.group(2) or "", text)
    text = re.sub(r"(\*\*|__|`|~~|'')", "", text)
    if shape == "zim":
        text = re.sub(r"(?<!:)//", "", text)
    return re.sub(r"\s+", " ", text).strip()


# --- blocks ------------------------------------------------------------------------------------

Annotate = Callable[[Block], str]


class BlockRenderer:
    """Renders blocks of one note; `annotate` adds markup after an item's or paragraph's text
    (fact call-outs, "also in" credits), and blocks whose id() is in `skip` are left out
    (near-duplicates merged into an earlier point)."""

    def __init__(self, shape: str, annotate: Annotate | None = None, skip: set[int] | None = None):
        self.shape = shape
        self.annotate = annotate
        self.skip = skip or set()
        self.images: list[ImageRef] = []

    def inline(self, text: str, line: int) -> str:
        return render_inline(text, self.shape, line, self.images)

    def annotation(self, block: Block) -> str:
        return self.annotate(block) if self.annotate else ""

    def render(self, blocks: list[Block]) -> str:
        return "".join(self.block(b) for b in blocks if id(b) not in self.skip)

    def block(self, b: Block) -> str:
        if b.kind == "list":
            items = [c for c in b.children if id(c) not in self.skip]
            if not items:
                return ""
            tag = "ol" if b.ordered else "ul"
            return f"<{tag}>" + "".join(self.block(c) for c in items) + f"</{tag}>"
        if b.kind == "item":
            own = self.inline(b.text, b.line) if b.text else ""
            return f"<li>{own}{self.annotation(b)}{self.render(b.children)}</li>"
        if b.kind == "para":
            lines = b.text.split("\n")
            body = "<br>".join(self.inline(t, b.line + n) for n, t in enumerate(lines))
            return f"<p>{body}{self.annotation(b)}</p>"
        if b.kind == "code":
            lang = re.sub(r"[^\w-]", "", b.lang)
            cls = f' class="language-{lang}"' if lang else ""
            return f"<pre><code{cls}>{html.escape(b.text)}</code></pre>"
        if b.kind == "table":
            return self.table(b)
        if b.kind == "image":
            image = ImageRef(b.line, b.src, b.alt)
            self.images.append(image)
            return f'<p class="figure">{image_placeholder(image)}</p>'
        if b.kind == "hr":
            return "<hr>"
        if b.kind == "quote":
            return f"<blockquote>{self.render(b.children)}</blockquote>"
        raise ValueError(f"unknown block kind {b.kind!r}")

    def table(self, b: Block) -> str:
        if not b.rows:
            return ""
        head, *body = b.rows
        out = ['<div class="table-wrap"><table><thead><tr>']
        out += [f'<th scope="col">{self.inline(c, b.line)}</th>' for c in head]
        out.append("</tr></thead><tbody>")
        for row in body:
            out.append(
                "<tr>" + "".join(f"<td>{self.inline(c, b.line)}</td>" for c in row) + "</tr>"
            )
        out.append("</tbody></table></div>")
        return "".join(out)


def render_blocks(
    blocks: list[Block],
    shape: str,
    *,
    annotate: Annotate | None = None,
    skip: set[int] | None = None,
) -> tuple[str, list[ImageRef]]:
    renderer = BlockRenderer(shape, annotate, skip)
    return sanitize(renderer.render(blocks)), renderer.images


def blocks_plain(blocks: list[Block], shape: str) -> str:
    parts: list[str] = []

    def walk(bs: list[Block]) -> None:
        for b in bs:
            if b.kind in ("item", "para"):
                parts.append(inline_plain(b.text, shape))
            elif b.kind == "code":
                parts.append(b.text)
            elif b.kind == "table":
                parts.extend(inline_plain(c, shape) for row in b.rows for c in row)
            elif b.kind == "image":
                parts.append(b.alt)
            walk(b.children)

    walk(blocks)
    return "\n".join(p for p in parts if p)
