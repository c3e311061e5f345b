"""Parametric question families: questions that are never the same twice.

    generate("dynamodb-capacity", seed=7, params={"operation": "read"}) -> question dict

The dict has the YAML shape of a bank question (type single | numeric, stem, options or
answer/tolerance/unit/mistakes, explanation, difficulty, domain, lessons, facts) and is fully
determined by (family, seed, params, facts). `facts` maps fact keys to objects with `.key
.label .value .unit .display` (courses.facts.FactSpec or courses.models.Fact); only
`limit-breach` reads it. This package never touches the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quizzes.generators import (
    authorizer_choice,
    capacity,
    endpoint_type,
    lambda_concurrency,
    lambda_cost,
    limit_breach,
    sqs_visibility,
)
from quizzes.generators.base import FactLike, Family, Param

__all__ = ["FAMILIES", "FactLike", "Family", "Param", "generate"]

FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        capacity.FAMILY,
        lambda_cost.FAMILY,
        sqs_visibility.FAMILY,
        limit_breach.FAMILY,
        endpoint_type.FAMILY,
        authorizer_choice.FAMILY,
        lambda_concurrency.FAMILY,
    )
}


def get_family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise KeyError(
            f"unknown question family {name!r}; known families: {', '.join(sorted(FAMILIES))}"
        ) from None


def generate(
    name: str,
    seed: int,
    params: Mapping[str, Any] | None = None,
    facts: Mapping[str, FactLike] | None = None,
) -> dict[str, Any]:
    """One variant of family `name` for `seed`. Unknown family -> KeyError listing the
    families; a bad param -> ValueError naming it; `limit-breach` without facts ->
    ValueError."""
    return get_family(name).generate(seed, params, facts)
