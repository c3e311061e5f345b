"""The content report: facts and their mentions, conflicts, stale notes, unplaced sections,
missing images and numbers no fact covers. One builder feeds the command and the page."""

from __future__ import annotations

from collections import defaultdict

from courses.facts import format_number
from courses.models import Fact, FactMention, MissingImage, Note, Section, UncoveredNumber


def build_report() -> dict:
    facts = list(Fact.objects.all())
    mentions = list(FactMention.objects.select_related("note", "section", "fact"))
    by_fact: dict[int, list[FactMention]] = defaultdict(list)
    for m in mentions:
        by_fact[m.fact_id].append(m)

    def mention_data(m: FactMention) -> dict:
        return {
            "note": m.note.filename,
            "note_title": m.note.title,
            "line": m.line,
            "text": m.text,
            "stated": m.stated,
            "value": format_number(m.normalized),
            "section": " › ".join(m.section.path) if m.section else None,
            "stale": m.is_stale,
        }

    fact_rows, conflicts, stale = [], [], []
    for fact in facts:
        found = by_fact.get(fact.pk, [])
        current = f"{format_number(fact.value)} {fact.unit}"
        fact_rows.append(
            {
                "key": fact.key,
                "label": fact.label,
                "service": fact.service,
                "value": format_number(fact.value),
                "unit": fact.unit,
                "display": fact.display,
                "since": fact.since,
                "verified": fact.verified.isoformat(),
                "reference": fact.reference,
                "note": fact.note,
                "mentions": [mention_data(m) for m in found],
            }
        )
        values: dict[str, set[str]] = defaultdict(set)
        for m in found:
            values[format_number(m.normalized)].add(m.note.filename)
        if len(values) > 1:
            conflicts.append(
                {
                    "fact": fact.key,
                    "label": fact.label,
                    "current": current,
                    "values": [
                        {"value": f"{value} {fact.unit}", "notes": sorted(notes)}
                        for value, notes in sorted(values.items())
                    ],
                }
            )
        for m in found:
            if m.is_stale:
                stale.append(
                    {
                        "fact": fact.key,
                        "label": fact.label,
                        "current": fact.display,
                        "since": fact.since,
                        **mention_data(m),
                    }
                )

    unplaced = [
        {
            "note": s.note.filename,
            "heading": " › ".join(s.path),
            "line": s.line_start,
            "reason": s.placement_detail,
        }
        for s in Section.objects.filter(lesson__isnull=True).select_related("note")
    ]
    images = [
        {"note": i.note.filename, "line": i.line, "src": i.src, "alt": i.alt, "remote": i.is_remote}
        for i in MissingImage.objects.select_related("note")
    ]
    uncovered = [
        {"note": u.note.filename, "line": u.line, "text": u.text, "context": u.context}
        for u in UncoveredNumber.objects.select_related("note")
    ]
    return {
        "notes": [
            {"file": n.filename, "title": n.title, "shape": n.shape} for n in Note.objects.all()
        ],
        "facts": fact_rows,
        "conflicts": conflicts,
        "stale_mentions": stale,
        "unplaced_sections": unplaced,
        "missing_images": images,
        "uncovered_numbers": uncovered,
    }
