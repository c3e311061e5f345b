from courses.note_parsing import parse_note
from courses.note_rendering import render_blocks


def render(text: str, filename: str = "n.md") -> tuple[str, list]:
    note = parse_note(filename, text)
    out, images = "", []
    for section in note.sections:
        html, found = render_blocks(section.blocks, note.shape)
        out += html
        images += found
    return out, images


def test_script_in_markdown_is_shown_as_text():
    html, _ = render("## A\n- <script>alert(1)</script> bullet\n\n<script>alert(2)</script>\n")
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; bullet" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html


def test_javascript_link_is_not_a_link():
    html, _ = render("## A\n- [click](javascript:alert(1))\n- [ok](https://example.com/x)\n")
    assert "javascript:" not in html.replace("[click](javascript:alert(1))", "")
    assert 'href="https://example.com/x"' in html


def test_script_in_zim_and_outline_is_inert():
    zim = "Content-Type: text/x-zim-wiki\n\n====== P ======\n* <script>x()</script>\n* [[javascript:alert(1)|go]]\n"
    html, _ = render(zim, "z.txt")
    assert "<script" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html
    assert "href" not in html
    outline = (
        "# T\n\nHeading line\n\n    <script>y()</script>\n    two\n    three\n    four\n    five\n"
    )
    html, _ = render(outline, "o.txt")
    assert "<script" not in html and "&lt;script&gt;y()&lt;/script&gt;" in html


def test_images_become_placeholders_with_alt_text_and_are_never_embedded():
    text = (
        "## A\n![Api Gateway flow](images/apigw.png)\n\n"
        '<img width="10" alt="Screenshot 1" src="https://example.com/shot.png">\n\n'
        "- ![](imgs/sns.png)\n"
    )
    html, images = render(text)
    assert "<img" not in html
    assert html.count('class="missing-image"') == 3
    assert "Image not available: Api Gateway flow" in html
    assert "Image not available: Screenshot 1" in html
    assert "Image not available: sns.png" in html  # no alt: the file name stands in
    assert [(i.line, i.src, i.alt) for i in images] == [
        (2, "images/apigw.png", "Api Gateway flow"),
        (4, "https://example.com/shot.png", "Screenshot 1"),
        (6, "imgs/sns.png", ""),
    ]


def test_zim_inline_markup():
    zim = "Content-Type: text/x-zim-wiki\n\n====== P ======\n* **bold** //it// ''code'' [[https://a.example/|site]] [[Other page]]\n"
    html, _ = render(zim, "z.txt")
    assert "<strong>bold</strong>" in html
    assert "<em>it</em>" in html
    assert "<code>code</code>" in html
    assert '<a href="https://a.example/" rel="noopener noreferrer nofollow">site</a>' in html
    assert (
        '<span class="wikilink" title="Link to a page of the original notes">Other page</span>'
        in html
    )
