"""The shipped `type: generated` questions in content/quizzes/ run with their params."""

import pytest
from django.conf import settings

from quizzes.generators import FAMILIES
from quizzes.spec import parse_questions_file
from quizzes.variants import variant_for


def generated_specs() -> list:
    specs = []
    for path in sorted((settings.CONTENT_DIR / "quizzes").glob("*.yaml")):
        found, _errors = parse_questions_file(path, f"content/quizzes/{path.name}")
        specs += [s for s in found if s.type == "generated"]
    return specs


SPECS = generated_specs()


def test_the_bank_ships_generated_questions_for_every_family():
    assert {s.generator for s in SPECS} == set(FAMILIES)


@pytest.mark.parametrize("spec", SPECS, ids=[s.slug for s in SPECS])
def test_generated_question_params_are_valid_and_every_seed_gives_a_variant(spec, facts):
    family = FAMILIES[spec.generator]
    assert family.clean_params(spec.params) == spec.params
    stems = set()
    for seed in range(40):
        variant = variant_for(spec, seed, facts=facts)
        assert variant.slug == spec.slug
        assert variant.generator == spec.generator
        assert variant.type in ("single", "numeric")
        stems.add(variant.stem + repr(variant.key()))
    assert len(stems) >= 30
