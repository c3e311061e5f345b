"""Merging and de-duplication across notes, on small notes written for the test."""

from courses.assembly import NoteInput, assemble
from courses.facts import find_mentions
from courses.note_parsing import parse_note
from courses.outline import LessonSpec, ModuleSpec, Outline, SourceSpec
from tests.courses.fact_specs import fact_spec, memory_fact_spec

TIMEOUT = fact_spec()
MEMORY = memory_fact_spec()

NOTES = {
    "a.md": "## Limits\n- Limited by time - short executions (up to 15 minutes)\n- Memory up to 10GB\n",
    "b.md": "## Limits\n- Max 15 mins runtime\n- At most 3GB of memory\n",
    "c.txt": "Content-Type: text/x-zim-wiki\n\n====== P ======\n==== Limits ====\n* Limited by time - 15mn max\n",
    "d.md": "## Limits\n- `900s (15 minute) function timeout`\n- Functions run in a runtime environment\n",
}


def build(notes=NOTES):
    outline = Outline(
        sources=[SourceSpec(f, f"Note {f[0].upper()}", 1) for f in notes],
        modules=[ModuleSpec("lambda", "Lambda", "", 1)],
        lessons=[LessonSpec("lambda-limits", "lambda", "Lambda limits", "", ["Limits"], [], 1)],
    )
    inputs = []
    for order, (name, text) in enumerate(notes.items()):
        parsed = parse_note(name, text)
        inputs.append(
            NoteInput(
                name,
                f"Note {name[0].upper()}",
                order,
                "x",
                parsed,
                find_mentions(parsed.lines, [TIMEOUT, MEMORY]),
            )
        )
    return assemble(outline, inputs)


def test_fifteen_minutes_stated_four_ways_collapses_into_one_point_with_every_source():
    result = build()
    (point,) = [p for p in result.merged_points if "15" in p.text]
    assert point.text == "Limited by time - short executions (up to 15 minutes)"
    assert [(s.note.filename, line, words) for s, line, words in point.sources] == [
        ("a.md", 2, "Limited by time - short executions (up to 15 minutes)"),
        ("b.md", 2, "Max 15 mins runtime"),
        ("c.txt", 5, "Limited by time - 15mn max"),
        ("d.md", 2, "900s (15 minute) function timeout"),
    ]
    by_note = {s.note.filename: s for s in result.sections}
    assert "Max 15 mins runtime" not in by_note["b.md"].html_merged
    assert "Max 15 mins runtime" in by_note["b.md"].html_source  # "by source" keeps every word
    assert (
        "Also in: "
        '<span title="b.md:2 · Limits">Note B › Limits</span>; '
        '<span title="c.txt:5 · P › Limits">Note C › Limits</span>; '
        '<span title="d.md:2 · Limits">Note D › Limits</span>'
    ) in by_note["a.md"].html_merged


def test_different_values_are_not_merged_and_the_stale_one_gets_a_callout():
    result = build()
    assert not [p for p in result.merged_points if "GB" in p.text]
    by_note = {s.note.filename: s for s in result.sections}
    assert "At most 3GB of memory" in by_note["b.md"].html_merged
    assert (
        "This note says 3 GB; since December 2020 the maximum Lambda memory is 10,240 MB (10 GB)"
        in by_note["b.md"].html_merged
    )
    assert "fact-callout" not in by_note["a.md"].html_merged


def test_merged_order_follows_alias_order_then_note_order():
    result = build()
    placed = sorted((s for s in result.sections if s.lesson), key=lambda s: s.lesson_order)
    assert [s.note.filename for s in placed] == ["a.md", "b.md", "c.txt", "d.md"]
    assert {s.group_title for s in placed} == {"Limits"}


def test_unrelated_statements_stay_separate():
    result = build(
        {
            "a.md": "## Limits\n- Pay per request\n",
            "b.md": "## Limits\n- Scales automatically with load\n",
        }
    )
    assert result.merged_points == []


def test_a_label_whose_sub_items_all_merged_away_is_dropped_but_long_items_stay():
    result = build(
        {
            "a.md": "## Limits\n- Max 15 mins runtime\n- Memory up to 10GB\n",
            "b.md": "## Limits\n- Execution:\n  - Limited by time - 15mn max\n"
            "- Lambda functions keep running reliably across many zones\n  - Memory up to 10GB\n",
        }
    )
    html = {s.note.filename: s.html_merged for s in result.sections}["b.md"]
    assert "Execution:" not in html
    assert "15mn" not in html
    assert html == "<ul><li>Lambda functions keep running reliably across many zones</li></ul>"
