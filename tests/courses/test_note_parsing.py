from pathlib import Path

import pytest
from django.conf import settings

from courses.content_errors import ContentError
from courses.note_parsing import decode_note, detect_shape, parse_note

NOTES = Path(settings.CONTENT_DIR) / "notes"


@pytest.mark.parametrize(
    ("filename", "shape"),
    [
        ("000_91a2fceacca5d2bd.txt", "markdown"),
        ("001_2773fdc438b1586f.txt", "markdown"),
        ("002_528d006fabd1e573.txt", "outline"),
        ("003_fbfe1d70922c440f.txt", "zim"),
        ("004_ac9633a6c2932d0d.txt", "markdown"),
    ],
)
def test_detect_shape_of_each_seed_note(filename, shape):
    assert detect_shape((NOTES / filename).read_text()) == shape


def test_markdown_sections_nest_and_keep_bullets_tables_and_code():
    text = (
        "# Lambda\n\n## Limits\n- Execution:\n  - Memory: 128MB - 10GB\n  - Timeout 15 minutes\n"
        "- Deployment\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\n# not a heading\nx = 1\n```\n"
        "### Layers\nUp to 5 layers.\n"
    )
    note = parse_note("n.md", text)
    assert note.shape == "markdown"
    assert [s.path for s in note.sections] == [("Lambda", "Limits"), ("Lambda", "Limits", "Layers")]
    limits = note.sections[0]
    assert [b.kind for b in limits.blocks] == ["list", "table", "code"]
    execution = limits.blocks[0].children[0]
    assert execution.text == "Execution:"
    assert [c.text for c in execution.children[0].children] == [
        "Memory: 128MB - 10GB",
        "Timeout 15 minutes",
    ]
    assert execution.children[0].children[1].line == 6
    assert limits.blocks[1].rows == [["a", "b"], ["1", "2"]]
    assert limits.blocks[2].text == "# not a heading\nx = 1\n"
    assert limits.blocks[2].lang == "python"


def test_zim_headings_bullets_and_metadata():
    text = (
        "Content-Type: text/x-zim-wiki\nWiki-Format: zim 0.6\n\n====== Page ======\n"
        "Created mardi 13 septembre 2022\n\n===== Lambda =====\n\n* Fast\n* Limits :\n\t* 15mn max\n"
        "\t* Use [[/tmp]] for files\n\n==== Edge ====\nplain paragraph\n"
    )
    note = parse_note("z.txt", text)
    assert note.shape == "zim"
    assert note.title == "Page"
    assert [(s.level, s.path) for s in note.sections] == [
        (2, ("Page", "Lambda")),
        (3, ("Page", "Lambda", "Edge")),
    ]
    items = note.sections[0].blocks[0].children
    assert [i.text for i in items] == ["Fast", "Limits :"]
    assert [c.text for c in items[1].children[0].children] == ["15mn max", "Use [[/tmp]] for files"]
    assert note.sections[1].blocks[0].kind == "para"


def test_outline_indentation_is_nesting_not_code():
    text = (
        "# Introduction\n\nAWS Lambda limitations\n\n    At most 3GB of memory\n"
        "    Runtime\n        15 minutes\n\nA closing sentence that is long enough to be a paragraph.\n"
    )
    note = parse_note("o.txt", text)
    assert note.shape == "outline"
    section = note.sections[0]
    assert section.path == ("Introduction", "AWS Lambda limitations")
    outline = section.blocks[0]
    assert outline.kind == "list"
    assert [i.text for i in outline.children] == ["At most 3GB of memory", "Runtime"]
    assert outline.children[1].children[0].children[0].text == "15 minutes"
    assert section.blocks[1].kind == "para"
    assert all(b.kind != "code" for b in section.blocks)


def test_every_seed_note_parses_into_sections_with_line_numbers():
    for path in sorted(NOTES.iterdir()):
        note = parse_note(path.name, decode_note(path.name, path.read_bytes()))
        assert note.sections, path.name
        for section in note.sections:
            assert 1 <= section.line <= section.end_line <= len(note.lines)


def test_undecodable_note_names_file_and_line():
    with pytest.raises(ContentError) as caught:
        decode_note("content/notes/bad.txt", b"line one\nline two \xff\xfe\n")
    assert caught.value.file == "content/notes/bad.txt"
    assert caught.value.line == 2
    assert "not valid UTF-8" in str(caught.value)
    assert "save the note as UTF-8" in str(caught.value)


def test_unclosed_fence_in_outline_note_is_reported():
    text = "# A\n\nTitle here\n\n    item one\n    item two\n    item three\n    item four\n    item 5\n```\ncode\n"
    with pytest.raises(ContentError) as caught:
        parse_note("content/notes/o.txt", text)
    assert (caught.value.file, caught.value.line) == ("content/notes/o.txt", 10)
