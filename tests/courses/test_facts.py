import json
from decimal import Decimal

from django.core.management import call_command

from courses.facts import convert, find_mentions, find_uncovered
from courses.models import FactMention
from tests.courses.fact_specs import fact_spec


def test_convert_uses_binary_sizes_and_time_units():
    assert convert(Decimal(10), "GB", "MB") == Decimal(10240)
    assert convert(Decimal(15), "mn", "s") == Decimal(900)
    assert convert(Decimal(256), "KB", "MiB") == Decimal("0.25")
    assert convert(Decimal(5), "MB", "s") is None


def test_mentions_strip_markup_convert_and_flag_stale_values():
    lines = [
        "- **Max** `15 minutes`",
        "* Max execution time : 900s (15mn)",
        "- up to 5 minutes",
        "no numbers",
    ]
    mentions = find_mentions(lines, [fact_spec()])
    assert [(m.line, m.stated, m.normalized, m.is_stale) for m in mentions] == [
        (1, "15 minutes", Decimal(900), False),
        (2, "900 s", Decimal(900), False),
        (2, "15 mn", Decimal(900), False),
        (3, "5 minutes", Decimal(300), True),
    ]


def test_numbers_with_units_outside_any_mention_are_uncovered():
    lines = ["Timeout 15 minutes, item up to 400KB", "Retention 24 hours"]
    mentions = find_mentions(lines, [fact_spec()])
    assert [(u.line, u.text) for u in find_uncovered(lines, mentions)] == [
        (1, "400KB"),
        (2, "24 hours"),
    ]


def test_seed_notes_stale_memory_and_tmp_mentions_are_found(course):
    stale = {
        (m.note.filename[:3], m.line, m.fact.key, m.stated)
        for m in FactMention.objects.select_related("note", "fact")
        if m.is_stale
    }
    assert ("002", 45, "lambda.memory.max", "3 GB") in stale
    assert ("000", 86, "lambda.tmp.max", "512 MB") in stale


def test_content_report_json_lists_conflicts_stale_unplaced_and_images(course, capsys):
    call_command("content_report", "--json")
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {
        "notes",
        "facts",
        "conflicts",
        "stale_mentions",
        "unplaced_sections",
        "missing_images",
        "uncovered_numbers",
    }
    memory = next(c for c in report["conflicts"] if c["fact"] == "lambda.memory.max")
    assert memory["values"] == [
        {
            "value": "10,240 MB",
            "notes": [
                "000_91a2fceacca5d2bd.txt",
                "001_2773fdc438b1586f.txt",
                "003_fbfe1d70922c440f.txt",
            ],
        },
        {"value": "3,072 MB", "notes": ["002_528d006fabd1e573.txt"]},
    ]
    assert any(c["fact"] == "lambda.tmp.max" for c in report["conflicts"])
    stale = [(s["note"][:3], s["line"], s["stated"]) for s in report["stale_mentions"]]
    assert ("002", 45, "3 GB") in stale
    images = report["missing_images"]
    assert {
        "note": "001_2773fdc438b1586f.txt",
        "line": 267,
        "src": "images/apigateway-lambda.png",
        "alt": "Api Gateway flow",
        "remote": False,
    } in images
    assert sum(1 for i in images if i["remote"]) == sum(
        1 for i in images if i["src"].startswith("https://")
    )
    assert len(report["unplaced_sections"]) == len(course.plan.unplaced)
    mentions = sum(len(f["mentions"]) for f in report["facts"])
    assert mentions == FactMention.objects.count()
