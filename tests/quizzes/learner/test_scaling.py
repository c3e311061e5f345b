"""The scaled score (docs/QUIZZES.md "Scaling") and the blueprint split."""

import pytest

from quizzes.exams import draw_counts, scaled_score


@pytest.mark.parametrize(
    ("correct", "total", "expected"),
    [
        (0, 65, 100),  # nothing right
        (18, 25, 720),  # exactly the pass fraction 0.72
        (65, 65, 1000),  # everything right
        (36, 100, 410),  # half the pass fraction: 100 + 620 * 0.5
        (86, 100, 860),  # half-way from the pass fraction to 1: 720 + 280 * 0.5
        (46, 65, 709),  # 0.7077: just below the pass fraction, so below the pass mark
        (47, 65, 723),  # 0.7231: just above
    ],
)
def test_scaled_score_maps_fraction_piecewise_linearly(correct, total, expected):
    assert scaled_score(correct=correct, total=total, pass_fraction=0.72, pass_mark=720) == expected


def test_scaled_score_rounds_half_up_and_follows_the_exams_own_pass_point():
    # p = 0.8 -> 700: below it the score is 100 + 750 f; 3/500 gives exactly 104.5.
    assert scaled_score(correct=3, total=500, pass_fraction=0.8, pass_mark=700) == 105
    assert scaled_score(correct=4, total=5, pass_fraction=0.8, pass_mark=700) == 700
    assert scaled_score(correct=0, total=0, pass_fraction=0.72, pass_mark=720) == 100


def test_draw_counts_use_largest_remainder_with_ties_in_blueprint_order():
    counts = draw_counts(
        blueprint={"limits": 1, "auth": 1, "capacity": 1},
        total=10,
        available={"limits": 50, "auth": 50, "capacity": 50},
    )
    assert counts == {"limits": 4, "auth": 3, "capacity": 3}
    weighted = draw_counts(
        blueprint={
            "limits": 15,
            "endpoints": 12,
            "auth": 16,
            "capacity": 14,
            "events": 17,
            "lambda-config": 14,
            "data-modelling": 12,
        },
        total=65,
        available=dict.fromkeys(
            [
                "limits",
                "endpoints",
                "auth",
                "capacity",
                "events",
                "lambda-config",
                "data-modelling",
            ],
            100,
        ),
    )
    # Exact shares 9.75, 7.8, 10.4, 9.1, 11.05, 9.1, 7.8: floors sum to 62, the three
    # largest remainders (.8 .8 .75 -> endpoints, data-modelling, limits) get one more.
    assert weighted == {
        "limits": 10,
        "endpoints": 8,
        "auth": 10,
        "capacity": 9,
        "events": 11,
        "lambda-config": 9,
        "data-modelling": 8,
    }


def test_draw_counts_spread_a_short_domain_over_the_others():
    counts = draw_counts(
        blueprint={"limits": 2, "auth": 1}, total=9, available={"limits": 3, "auth": 20}
    )
    assert counts == {"limits": 3, "auth": 6}
    assert draw_counts(blueprint={"limits": 1}, total=5, available={"limits": 2}) == {"limits": 2}
