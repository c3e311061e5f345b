"""Print one variant of a question with its answer key and explanations.

    python manage.py quiz_variant <question-slug> --seed N [--json]
    python manage.py quiz_variant family:<name> --seed N [--params '{"ask": "cost"}'] [--json]

A bank question goes through quizzes.variants.variant_for exactly as a learner's attempt
does (a generated question runs its family with its stored params; a static one gets the
seed's display shuffle). `family:<name>` runs a generator family without the bank, as
instructors do while writing a `type: generated` question.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.content_errors import ContentErrors
from courses.facts import load_facts
from courses.models import Fact
from quizzes.generators import FAMILIES
from quizzes.models import Question
from quizzes.spec import parse_question, spec_from_dict
from quizzes.variants import Variant, VariantError, variant_for

FAMILY_PREFIX = "family:"


class Command(BaseCommand):
    help = "Print a question variant for a seed with its answer key and explanations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("question", help="a bank question slug, or family:<name>")
        parser.add_argument("--seed", type=int, required=True, help="the variant's seed")
        parser.add_argument(
            "--params",
            default="",
            help='JSON params for family:<name>, e.g. \'{"operation": "read"}\'',
        )
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        target: str = options["question"]
        seed: int = options["seed"]
        if target.startswith(FAMILY_PREFIX):
            variant, params = self._family_variant(target[len(FAMILY_PREFIX) :], seed, options)
        else:
            if options["params"]:
                raise CommandError(
                    "--params only applies to family:<name>; a bank question's params are "
                    "part of the question"
                )
            variant, params = self._bank_variant(target, seed)
        report = {
            "question": target,
            "slug": variant.slug,
            "seed": seed,
            "generator": variant.generator,
            "params": params,
            "public": variant.public(),
            "key": variant.key(),
        }
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(render_text(report))

    def _bank_variant(self, slug: str, seed: int) -> tuple[Variant, dict]:
        question = Question.objects.filter(slug=slug).first()
        if question is None:
            known = list(Question.objects.values_list("slug", flat=True))
            near = difflib.get_close_matches(slug, known, n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise CommandError(
                f"no question with slug {slug!r} in the bank{hint} "
                f"(or use family:<name> with one of: {', '.join(FAMILIES)})"
            )
        spec = spec_from_dict(question.spec)
        return self._variant(question, seed), dict(spec.params)

    def _family_variant(self, name: str, seed: int, options: dict) -> tuple[Variant, dict]:
        family = FAMILIES.get(name)
        if family is None:
            raise CommandError(
                f"unknown question family {name!r}; known families: {', '.join(FAMILIES)}"
            )
        try:
            params = json.loads(options["params"]) if options["params"] else {}
        except json.JSONDecodeError as exc:
            raise CommandError(f"--params is not valid JSON: {exc}") from None
        if not isinstance(params, dict):
            raise CommandError('--params must be a JSON object, e.g. \'{"ask": "cost"}\'')
        try:
            family.clean_params(params)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        try:
            spec = parse_question(
                {
                    "slug": f"family-{name}",
                    "type": "generated",
                    "generator": name,
                    "params": params,
                    "domain": family.default_domain,
                    "difficulty": "medium",
                    "lessons": list(family.default_lessons),
                },
                where=f"family:{name}",
            )
        except ContentErrors as exc:
            raise CommandError("; ".join(e.message for e in exc.errors)) from None
        return self._variant(spec, seed), params

    def _variant(self, question: Any, seed: int) -> Variant:
        try:
            return variant_for(question, seed, facts=current_facts())
        except VariantError as exc:
            raise CommandError(str(exc)) from None


def current_facts() -> dict:
    """The imported fact catalogue; before the first import, content/facts.yaml itself."""
    facts = {f.key: f for f in Fact.objects.all()}
    return facts or {f.key: f for f in load_facts(settings.CONTENT_DIR)}


def render_text(report: dict) -> str:
    public, key = report["public"], report["key"]
    origin = f" — generated by {report['generator']}" if report["generator"] else ""
    lines = [f"{report['slug']} ({public['type']}, seed {report['seed']}){origin}"]
    if report["params"]:
        lines.append(f"params: {json.dumps(report['params'], ensure_ascii=False)}")
    lines += ["", public["stem"], ""]
    if public["type"] in ("single", "multiple"):
        if public["type"] == "multiple":
            lines.append(f"(Choose {public['choose']}.)")
        for opt in key["options"]:
            mark = "✔" if opt["correct"] else "✘"
            lines.append(f"  {opt['key']}. {opt['text']}  {mark}")
            lines.append(f"       {opt['explanation']}")
    elif public["type"] == "numeric":
        for mistake in key.get("mistakes", []):
            lines.append(f"  mistake {mistake['value']}: {mistake['explanation']}")
    elif public["type"] == "matching":
        for pair in key["pairs"]:
            lines.append(f"  {pair['left']} → {pair['right']}: {pair['explanation']}")
    elif public["type"] == "ordering":
        for item in key["items"]:
            lines.append(f"  {item['position']}. {item['text']}: {item['explanation']}")
    lines += ["", f"Answer: {key['expected_display']}"]
    if key.get("explanation"):
        lines.append(f"Explanation: {key['explanation']}")
    return "\n".join(lines) + "\n"
