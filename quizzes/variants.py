"""Variants: the concrete question a learner answers for one seed.

A static question's seed only drives the display shuffle; a generated question's seed also
drives its numbers (quizzes.generators). Keys in a Variant are *display keys*: options and
ordering items are lettered "a", "b", ... and matching left items numbered "1", "2", ... in
the order the learner sees them, and matching right items lettered in their shown order. So a
key never reveals where an option was authored (authors tend to write the right one first),
and the same (question, seed) always gives the same keys, so stored answers grade and review
exactly as they were shown. `stable_key()` maps back to the authored keys of
QUIZ-CONTRACT.md when a report needs them.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from string import ascii_lowercase

from courses.content_errors import ContentErrors
from quizzes.spec import QuestionSpec, number_out, parse_question, spec_from_dict

LETTERS = ascii_lowercase


class VariantError(Exception):
    """A question could not be turned into a variant (a generator failed or returned a
    question that does not validate). The message says which question and why."""


@dataclass
class Variant:
    slug: str
    type: str  # single | multiple | numeric | matching | ordering (never "generated")
    seed: int
    spec: QuestionSpec  # the concrete question (a generator's output for generated ones)
    generator: str = ""
    # Display order as indexes into the authored lists.
    option_order: list[int] = field(default_factory=list)
    left_order: list[int] = field(default_factory=list)
    right_order: list[int] = field(default_factory=list)  # into rights = pairs + extra_right
    item_order: list[int] = field(default_factory=list)

    # --- what the learner sees ----------------------------------------------------------

    @property
    def stem(self) -> str:
        return self.spec.stem

    @property
    def unit(self) -> str:
        return self.spec.unit

    @property
    def choose(self) -> int:
        return self.spec.choose

    @property
    def choices(self) -> list[dict]:
        """single/multiple: [{key, text}] in display order."""
        return [
            {"key": LETTERS[pos], "text": self.spec.options[i].text}
            for pos, i in enumerate(self.option_order)
        ]

    @property
    def left(self) -> list[dict]:
        return [
            {"key": str(pos + 1), "text": self.spec.pairs[i].left}
            for pos, i in enumerate(self.left_order)
        ]

    @property
    def right(self) -> list[dict]:
        rights = self._rights()
        return [{"key": LETTERS[pos], "text": rights[i]} for pos, i in enumerate(self.right_order)]

    @property
    def items(self) -> list[dict]:
        return [
            {"key": LETTERS[pos], "text": self.spec.items[i].text}
            for pos, i in enumerate(self.item_order)
        ]

    def public(self) -> dict:
        """Only what a learner may see before answering: no correctness, explanations,
        answer, mistakes, generator name or params — and no slug, which authors may write
        from the answer ("capacity-small-writes-120")."""
        out: dict = {"type": self.type, "stem": self.stem}
        if self.type in ("single", "multiple"):
            out["choose"] = self.choose
            out["choices"] = self.choices
        elif self.type == "numeric":
            out["unit"] = self.unit
        elif self.type == "matching":
            out["left"] = self.left
            out["right"] = self.right
        elif self.type == "ordering":
            out["items"] = self.items
        return out

    # --- the key ------------------------------------------------------------------------

    def expected(self):
        """The correct answer in the answer format of QUIZ-CONTRACT.md, in display keys."""
        if self.type == "single":
            return next(
                LETTERS[pos]
                for pos, i in enumerate(self.option_order)
                if self.spec.options[i].correct
            )
        if self.type == "multiple":
            return [
                LETTERS[pos]
                for pos, i in enumerate(self.option_order)
                if self.spec.options[i].correct
            ]
        if self.type == "numeric":
            return number_out(self.spec.answer)
        if self.type == "matching":
            right_pos = {i: pos for pos, i in enumerate(self.right_order)}
            return {str(pos + 1): LETTERS[right_pos[i]] for pos, i in enumerate(self.left_order)}
        if self.type == "ordering":
            item_pos = {i: pos for pos, i in enumerate(self.item_order)}
            return [LETTERS[item_pos[i]] for i in range(len(self.spec.items))]
        raise VariantError(f"{self.slug}: no answer for type {self.type!r}")

    def expected_display(self) -> str:
        """The correct answer as a sentence-free line for the review screen."""
        if self.type == "single":
            key = self.expected()
            return f"{key.upper()}. {self._option_by_key(key).text}"
        if self.type == "multiple":
            return "; ".join(f"{k.upper()}. {self._option_by_key(k).text}" for k in self.expected())
        if self.type == "numeric":
            text = f"{_fmt(self.spec.answer)}"
            if self.spec.unit:
                text += f" {self.spec.unit}"
            if self.spec.tolerance:
                text += f" (± {_fmt(self.spec.tolerance)})"
            return text
        if self.type == "matching":
            rights = {r["key"]: r["text"] for r in self.right}
            lefts = {item["key"]: item["text"] for item in self.left}
            return "; ".join(f"{lefts[k]} → {rights[v]}" for k, v in self.expected().items())
        texts = {item["key"]: item["text"] for item in self.items}
        return " → ".join(texts[k] for k in self.expected())

    def key(self) -> dict:
        """Answer key and every explanation, for grading, review and instructors."""
        out: dict = {
            "type": self.type,
            "answer": self.expected(),
            "expected_display": self.expected_display(),
            "explanation": self.spec.explanation,
        }
        if self.type in ("single", "multiple"):
            out["options"] = [
                {
                    "key": LETTERS[pos],
                    "stable_key": LETTERS[i],
                    "text": self.spec.options[i].text,
                    "correct": self.spec.options[i].correct,
                    "explanation": self.spec.options[i].explanation,
                }
                for pos, i in enumerate(self.option_order)
            ]
        elif self.type == "numeric":
            out["tolerance"] = number_out(self.spec.tolerance)
            out["unit"] = self.spec.unit
            out["mistakes"] = [
                {"value": number_out(m.value), "explanation": m.explanation}
                for m in self.spec.mistakes
            ]
        elif self.type == "matching":
            expected = self.expected()
            out["pairs"] = [
                {
                    "key": str(pos + 1),
                    "left": self.spec.pairs[i].left,
                    "right_key": expected[str(pos + 1)],
                    "right": self.spec.pairs[i].right,
                    "explanation": self.spec.pairs[i].explanation,
                }
                for pos, i in enumerate(self.left_order)
            ]
            out["extra_right"] = list(self.spec.extra_right)
        elif self.type == "ordering":
            item_pos = {i: pos for pos, i in enumerate(self.item_order)}
            out["items"] = [
                {
                    "key": LETTERS[item_pos[i]],
                    "position": i + 1,
                    "text": item.text,
                    "explanation": item.explanation,
                }
                for i, item in enumerate(self.spec.items)
            ]
        if self.generator:
            out["generator"] = self.generator
            out["seed"] = self.seed
        return out

    def display_order(self) -> dict[str, list[int]]:
        """The shuffle shown, as indexes into the authored lists ({"options": [2, 0, 1]},
        or "left"/"right"/"items"): stored with an attempt item or practice answer and fed
        back to `variant_from_snapshot`, so a change to the shuffle code never reorders a
        question a learner has already seen."""
        orders = {
            "options": self.option_order,
            "left": self.left_order,
            "right": self.right_order,
            "items": self.item_order,
        }
        return {name: list(order) for name, order in orders.items() if order}

    def stable_key(self, display_key: str) -> str | None:
        """The authored key (QUIZ-CONTRACT.md "Stable keys") behind a display key, or None."""
        order = {
            "single": self.option_order,
            "multiple": self.option_order,
            "ordering": self.item_order,
            "matching": self.right_order,
        }.get(self.type)
        if self.type == "matching" and display_key.isascii() and display_key.isdigit():
            pos = int(display_key) - 1
            return str(self.left_order[pos] + 1) if 0 <= pos < len(self.left_order) else None
        if order is None or len(display_key) != 1 or display_key not in LETTERS[: len(order)]:
            return None
        return LETTERS[order[LETTERS.index(display_key)]]

    # --- helpers ------------------------------------------------------------------------

    def _rights(self) -> list[str]:
        return [p.right for p in self.spec.pairs] + list(self.spec.extra_right)

    def _option_by_key(self, key: str):
        return self.spec.options[self.option_order[LETTERS.index(key)]]


def _fmt(value) -> str:
    number = number_out(value)
    return f"{number:,}" if isinstance(number, int) else f"{number:,.10g}"


def variant_for(question, seed: int, *, facts: Mapping | None = None) -> Variant:
    """The variant of a question (a quizzes.models.Question or a QuestionSpec) for a seed.

    Generated questions call quizzes.generators.generate(name, seed, params, facts); `facts`
    maps fact key -> object with .key .label .value .unit .display and defaults to every
    courses.models.Fact (one query) — pass it in when building many variants at once.
    Raises VariantError when a generator fails or returns an invalid question."""
    spec = question if isinstance(question, QuestionSpec) else spec_from_dict(question.spec)
    generator = ""
    if spec.type == "generated":
        generator = spec.generator
        spec = _generate(spec, seed, facts)
    rng = random.Random(f"{spec.slug}:{seed}")  # noqa: S311 - a display shuffle, not a secret
    variant = Variant(slug=spec.slug, type=spec.type, seed=seed, spec=spec, generator=generator)
    if spec.type in ("single", "multiple"):
        variant.option_order = _shuffled(rng, len(spec.options))
    elif spec.type == "matching":
        variant.left_order = _shuffled(rng, len(spec.pairs))
        variant.right_order = _shuffled(rng, len(spec.pairs) + len(spec.extra_right))
    elif spec.type == "ordering":
        # Shown in the authored order the answer would be on the screen: never show that.
        variant.item_order = _shuffled(rng, len(spec.items), avoid_identity=True)
    return variant


def variant_from_snapshot(snapshot: dict, seed: int, choice_order: Mapping) -> Variant:
    """The variant a learner was shown, rebuilt from what was stored when it was drawn: the
    concrete question's canonical dict (`variant.spec.to_dict()`, for a generated question
    the family's output for that seed) and the display order (`variant.display_order()`).

    Neither the live Question row, the generator code, the facts nor the shuffle code is
    read, so editing or re-importing a question, changing a fact or a family never changes
    the review or score of an attempt already made. Raises VariantError when the snapshot
    is not a buildable question (a `generated` snapshot marks a draw whose generator
    failed) or the stored order does not fit it."""
    if not snapshot:
        raise VariantError("this question was stored without its content")
    slug = snapshot.get("slug", "?")
    if snapshot.get("type") == "generated":
        raise VariantError(f"{slug}: the question could not be built when it was drawn")
    try:
        spec = spec_from_dict(snapshot)
    except ContentErrors as exc:
        raise VariantError(
            f"{slug}: the stored question no longer reads as a question: "
            + "; ".join(e.message for e in exc.errors)
        ) from exc
    variant = Variant(slug=spec.slug, type=spec.type, seed=seed, spec=spec)
    sizes = {
        "single": {"options": len(spec.options)},
        "multiple": {"options": len(spec.options)},
        "matching": {"left": len(spec.pairs), "right": len(spec.pairs) + len(spec.extra_right)},
        "ordering": {"items": len(spec.items)},
    }.get(spec.type, {})
    for name, size in sizes.items():
        order = list(choice_order.get(name) or [])
        if sorted(order) != list(range(size)):
            raise VariantError(f"{slug}: the stored {name} order {order} does not fit the question")
        setattr(variant, _ORDER_ATTRIBUTES[name], order)
    return variant


_ORDER_ATTRIBUTES = {
    "options": "option_order",
    "left": "left_order",
    "right": "right_order",
    "items": "item_order",
}


def _shuffled(rng: random.Random, n: int, *, avoid_identity: bool = False) -> list[int]:
    order = list(range(n))
    rng.shuffle(order)
    if avoid_identity and n > 1 and order == sorted(order):
        order = order[1:] + order[:1]
    return order


def load_facts() -> dict:
    from courses.models import Fact

    return {f.key: f for f in Fact.objects.all()}


def _generate(parent: QuestionSpec, seed: int, facts: Mapping | None) -> QuestionSpec:
    try:
        from quizzes.generators import generate
    except Exception as exc:  # another helper's package; say so instead of a bare 500
        raise VariantError(
            f"{parent.slug}: cannot import quizzes.generators ({type(exc).__name__}: {exc})"
        ) from exc
    if facts is None:
        facts = load_facts()
    try:
        data = generate(parent.generator, seed, dict(parent.params), facts)
    except Exception as exc:
        raise VariantError(
            f"{parent.slug}: generator {parent.generator!r} failed for seed {seed}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(data, dict):
        raise VariantError(f"{parent.slug}: generator {parent.generator!r} returned {data!r}")
    # Domain, difficulty and lessons come from the question file, the rest from the family.
    merged = {
        **data,
        "slug": parent.slug,
        "domain": parent.domain,
        "difficulty": parent.difficulty,
        "lessons": list(parent.lessons),
    }
    if not data.get("facts") and parent.facts:
        merged["facts"] = list(parent.facts)
    if merged.get("type") == "generated":
        raise VariantError(f"{parent.slug}: generator {parent.generator!r} returned type generated")
    try:
        return parse_question(merged, where=f"generator {parent.generator} (seed {seed})")
    except ContentErrors as exc:
        raise VariantError(
            f"{parent.slug}: generator {parent.generator!r} returned an invalid question for "
            f"seed {seed}: " + "; ".join(e.message for e in exc.errors)
        ) from exc
