"""content/quizzes/exams.yaml: exam simulations and their domain blueprints."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from courses.content_errors import ContentError
from courses.yaml_lines import load_yaml
from quizzes.spec_fields import SpecReader, closest
from quizzes.spec_model import DOMAINS, EXAM_DEFAULTS, SLUG, ExamSpec


def parse_exams_file(path: Path, display: str) -> tuple[list[ExamSpec], list[ContentError]]:
    try:
        raw = load_yaml(path, display)
    except ContentError as exc:
        return [], [exc]
    if raw is None:
        return [], []
    if not isinstance(raw, dict) or set(raw) != {"exams"}:
        return [], [
            ContentError(
                display,
                SpecReader.line(raw) or 1,
                "exams.yaml has one top-level key 'exams:'",
                "start the file with 'exams:' followed by '- slug: ...' entries",
            )
        ]
    entries = raw["exams"] or []
    if not isinstance(entries, list):
        return [], [ContentError(display, raw.line_of("exams"), "'exams' must be a list")]
    exams, errors = [], []
    for i, entry in enumerate(entries):
        r = SpecReader(display, None)
        exam = _read_exam(r, entry, f"exams[{i}]")
        errors.extend(r.errors)
        if exam and not r.errors:
            exams.append(exam)
    return exams, errors


def _read_exam(r: SpecReader, data, path: str) -> ExamSpec | None:
    if not isinstance(data, dict):
        r.error(path, SpecReader.line(data), "must be a mapping with slug, title and blueprint")
        return None
    allowed = {
        "slug",
        "title",
        "questions",
        "minutes",
        "pass_mark",
        "passing_fraction",
        "blueprint",
    }
    for key in data:
        if key not in allowed:
            r.error(
                f"{path}.{key}",
                r.line(data, key),
                "unknown key",
                f"allowed: {', '.join(sorted(allowed))}",
            )
    slug = r.text(data, "slug", path)
    if slug and not SLUG.match(slug):
        r.error(
            f"{path}.slug",
            r.line(data, "slug"),
            f"{slug!r} is not a valid slug",
            "use lowercase letters, digits and hyphens",
        )
    exam = ExamSpec(slug=slug, title=r.text(data, "title", path), file=r.file, line=r.line(data))
    for key, low, high in (("questions", 1, 500), ("minutes", 1, 600), ("pass_mark", 101, 999)):
        value = data.get(key, EXAM_DEFAULTS[key])
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            r.error(
                f"{path}.{key}",
                r.line(data, key),
                f"{value!r} is not a whole number from {low} to {high}",
                f"leave it out for the default {EXAM_DEFAULTS[key]}",
            )
        else:
            setattr(exam, key, value)
    fraction = data.get("passing_fraction", EXAM_DEFAULTS["passing_fraction"])
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction < 1:
        r.error(
            f"{path}.passing_fraction",
            r.line(data, "passing_fraction"),
            f"{fraction!r} is not a fraction between 0 and 1",
            "e.g. 0.72 (the raw fraction correct that maps to the pass mark)",
        )
    else:
        exam.passing_fraction = float(fraction)
    blueprint = data.get("blueprint")
    if not isinstance(blueprint, dict) or not blueprint:
        r.error(
            f"{path}.blueprint",
            r.line(data, "blueprint") if "blueprint" in data else r.line(data),
            "missing" if blueprint is None else "must be a mapping of domain: weight",
            f"e.g. 'blueprint: {{limits: 2, capacity: 1}}' with domains from {', '.join(DOMAINS)}",
        )
        return exam
    for domain, weight in blueprint.items():
        where = f"{path}.blueprint.{domain}"
        line = r.line(blueprint, domain)
        if domain not in DOMAINS:
            near = closest(str(domain), DOMAINS)
            r.error(
                where,
                line,
                f"unknown domain {domain!r}",
                f"did you mean {near}?" if near else f"use one of {', '.join(DOMAINS)}",
            )
        elif isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
            r.error(where, line, f"weight {weight!r} must be a positive number", "e.g. 2 or 0.5")
        else:
            exam.blueprint[domain] = weight
    return exam


def blueprint_counts(blueprint: dict[str, float], total: int) -> dict[str, int]:
    """Questions per domain for an exam of `total` questions: weights are relative, shares
    are floored and the remaining questions go to the largest remainders (ties by the
    blueprint's order), so the counts always add up to `total`."""
    weight_sum = sum(blueprint.values())
    if not blueprint or weight_sum <= 0:
        return {}
    exact = {d: Decimal(str(w)) * total / Decimal(str(weight_sum)) for d, w in blueprint.items()}
    counts = {d: int(v) for d, v in exact.items()}
    order = list(blueprint)
    leftover = total - sum(counts.values())
    by_remainder = sorted(order, key=lambda d: (-(exact[d] - counts[d]), order.index(d)))
    for d in by_remainder[:leftover]:
        counts[d] += 1
    return counts
