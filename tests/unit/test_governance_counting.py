"""Counting a yes/no/abstain vote: quorum and majority edges, turnout text, support threshold."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.governance import counting
from marketplace.governance.counting import (
    CHOICES,
    MAJORITIES,
    YesNoResult,
    count_yes_no,
    support_threshold,
)


def ballots(yes: int = 0, no: int = 0, abstain: int = 0) -> list[str]:
    return ["yes"] * yes + ["no"] * no + ["abstain"] * abstain


# Quorum


@pytest.mark.parametrize(
    ("turnout", "eligible", "quorum_pct", "reached"),
    [
        (5, 20, 25, True),  # exactly at quorum
        (4, 20, 25, False),  # one short
        (6, 20, 25, True),
        (50, 100, 50, True),
        (49, 100, 50, False),
        (1, 3, 33, True),  # 33.3 % >= 33 %
        (1, 3, 34, False),
        (2, 3, 67, False),  # 66.7 % < 67 %
        (2, 3, 66, True),
        (7, 13, 54, False),  # 53.8 % shows as 54 % rounded, but only the exact share counts
        (7, 13, 53, True),
        (0, 10, 0, True),
        (0, 10, 1, False),
        (1, 10, 10, True),
        (10, 10, 100, True),
        (9, 10, 100, False),
        (0, 0, 0, True),  # nobody eligible: only a 0 % quorum is reached
        (0, 0, 1, False),
        (0, 0, 100, False),
        (3, 0, 50, False),
    ],
)
def test_quorum_edges(turnout: int, eligible: int, quorum_pct: int, reached: bool) -> None:
    assert counting.quorum_reached(turnout, eligible, quorum_pct) is reached


@pytest.mark.parametrize("eligible", [1, 2, 3, 7, 10, 13, 20, 33, 40])
@pytest.mark.parametrize("quorum_pct", [0, 1, 10, 25, 33, 34, 50, 51, 66, 67, 75, 99, 100])
def test_quorum_agrees_with_exact_fractions_for_every_turnout(
    eligible: int, quorum_pct: int
) -> None:
    for turnout in range(eligible + 1):
        expected = Fraction(turnout, eligible) >= Fraction(quorum_pct, 100)
        assert counting.quorum_reached(turnout, eligible, quorum_pct) is expected


def test_abstentions_count_toward_quorum_but_not_the_majority() -> None:
    result = count_yes_no(ballots(yes=1, abstain=4), eligible=10, quorum_pct=50, majority="simple")
    assert result.quorum_reached
    assert result.turnout == 5
    assert result.result == "passed"
    short = count_yes_no(ballots(yes=1, abstain=3), eligible=10, quorum_pct=50, majority="simple")
    assert short.result == "no_quorum"


def test_no_quorum_whatever_the_counts() -> None:
    result = count_yes_no(ballots(yes=49), eligible=100, quorum_pct=50, majority="simple")
    assert (result.quorum_reached, result.result) == (False, "no_quorum")
    assert result.counts == {"yes": 49, "no": 0, "abstain": 0}
    assert not result.passed


def test_nobody_eligible_is_no_quorum_unless_the_quorum_is_zero() -> None:
    assert count_yes_no([], 0, 10, "simple").result == "no_quorum"
    assert count_yes_no([], 0, 0, "simple").result == "rejected"
    assert count_yes_no(["yes"], 0, 0, "two_thirds").result == "passed"


# Majority


@pytest.mark.parametrize(
    ("yes", "no", "simple", "two_thirds"),
    [
        (0, 0, False, False),  # all abstained: nothing passes
        (1, 0, True, True),
        (0, 1, False, False),
        (1, 1, False, False),  # a tie fails
        (5, 5, False, False),
        (6, 5, True, False),
        (2, 1, True, True),  # exactly two thirds passes
        (4, 2, True, True),
        (200, 100, True, True),
        (199, 100, True, False),  # just under two thirds
        (201, 100, True, True),
        (3, 2, True, False),  # 60 %
        (7, 3, True, True),  # 70 %
        (13, 7, True, False),  # 65 %
        (0, 5, False, False),
    ],
)
def test_majority_edges(yes: int, no: int, simple: bool, two_thirds: bool) -> None:
    assert counting.majority_reached(yes, no, "simple") is simple
    assert counting.majority_reached(yes, no, "two_thirds") is two_thirds
    for majority, expected in (("simple", simple), ("two_thirds", two_thirds)):
        result = count_yes_no(ballots(yes, no, abstain=3), yes + no + 3, 100, majority)
        assert result.result == ("passed" if expected else "rejected")


def test_majority_agrees_with_exact_fractions_on_a_grid() -> None:
    for yes in range(31):
        for no in range(31):
            cast = yes + no
            simple = cast > 0 and Fraction(yes, cast) > Fraction(1, 2)
            two_thirds = cast > 0 and yes > 0 and Fraction(yes, cast) >= Fraction(2, 3)
            assert counting.majority_reached(yes, no, "simple") is simple
            assert counting.majority_reached(yes, no, "two_thirds") is two_thirds


def test_abstentions_never_tip_the_majority() -> None:
    for abstain in range(6):
        tie = count_yes_no(ballots(3, 3, abstain), 20, 0, "simple")
        assert tie.result == "rejected"
        two_thirds = count_yes_no(ballots(2, 1, abstain), 20, 0, "two_thirds")
        assert two_thirds.result == "passed"


def test_counts_name_every_choice_and_take_any_iterable() -> None:
    result = count_yes_no(iter(["no", "no", "yes"]), 5, 50, "two_thirds")
    assert result.counts == {"yes": 1, "no": 2, "abstain": 0}
    assert result == YesNoResult(result.counts, 5, 3, True, "rejected")
    assert list(result.counts) == list(CHOICES)


# Refusals


@pytest.mark.parametrize("choice", ["Yes", "YES", "", "maybe", "abstention", None, 1])
def test_unknown_choice_is_refused(choice: object) -> None:
    with pytest.raises(ValueError, match="choice"):
        count_yes_no(["yes", choice], 10, 0, "simple")  # type: ignore[list-item]


@pytest.mark.parametrize("majority", ["absolute", "Simple", "", "2/3", None, "unanimous"])
def test_unknown_majority_is_refused(majority: object) -> None:
    with pytest.raises(ValueError, match="majority"):
        count_yes_no(["yes"], 10, 0, majority)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="majority"):
        counting.majority_reached(1, 0, majority)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("eligible", "quorum_pct"),
    [(-1, 10), (10, -1), (10, 101), (10, 50.0), (10.0, 50), (True, 50), (10, True), (10, "50")],
)
def test_bad_numbers_are_refused(eligible: object, quorum_pct: object) -> None:
    with pytest.raises(ValueError, match="whole number|must be"):
        count_yes_no([], eligible, quorum_pct, "simple")  # type: ignore[arg-type]


def test_bad_counts_are_refused_by_the_helpers() -> None:
    with pytest.raises(ValueError, match="turnout"):
        counting.quorum_reached(-1, 10, 10)
    with pytest.raises(ValueError, match="yes"):
        counting.majority_reached(-1, 0, "simple")
    with pytest.raises(ValueError, match="no count"):
        counting.majority_reached(0, 1.0, "simple")  # type: ignore[arg-type]


# Turnout text


@pytest.mark.parametrize(
    ("turnout", "eligible", "text"),
    [
        (8, 13, "61.5 %"),
        (2, 3, "66.7 %"),
        (1, 3, "33.3 %"),
        (1, 8, "12.5 %"),
        (1, 16, "6.3 %"),  # 6.25 rounds half up
        (1, 2000, "0.1 %"),  # 0.05 rounds half up
        (1, 2001, "0.0 %"),
        (0, 10, "0.0 %"),
        (10, 10, "100.0 %"),
        (999, 1000, "99.9 %"),
        (1999, 2000, "100.0 %"),  # 99.95 rounds up to a full hundred
        (0, 0, "0.0 %"),
        (11, 10, "110.0 %"),  # voted, then left the co-op before the close: shown, not capped
    ],
)
def test_turnout_text(turnout: int, eligible: int, text: str) -> None:
    result = YesNoResult(dict.fromkeys(CHOICES, 0), eligible, turnout, True, "rejected")
    assert result.turnout_pct_text() == text


@settings(max_examples=500)
@given(st.integers(1, 10**9), st.data())
def test_turnout_text_is_the_share_rounded_half_up(eligible: int, data: st.DataObject) -> None:
    turnout = data.draw(st.integers(0, eligible))
    result = YesNoResult(dict.fromkeys(CHOICES, 0), eligible, turnout, True, "rejected")
    share = (Decimal(turnout * 100) / Decimal(eligible)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert result.turnout_pct_text() == f"{share} %"


# Support threshold


@pytest.mark.parametrize(
    ("artists", "pct", "needed"),
    [
        (100, 10, 10),
        (101, 10, 11),  # 10.1 rounds up
        (25, 10, 3),
        (9, 10, 1),
        (10, 10, 1),
        (11, 10, 2),
        (0, 10, 1),  # no artists yet: still one supporter
        (50, 0, 1),
        (7, 100, 7),
        (3, 33, 1),
        (3, 34, 2),
        (1_000, 15, 150),
    ],
)
def test_support_threshold(artists: int, pct: int, needed: int) -> None:
    assert support_threshold(artists, pct) == needed


def test_support_threshold_is_the_ceiling_on_a_grid() -> None:
    for artists in range(0, 120):
        for pct in range(0, 101, 3):
            exact = Fraction(artists * pct, 100)
            ceiling = exact.numerator // exact.denominator + (exact.denominator != 1)
            assert support_threshold(artists, pct) == max(1, ceiling)


@pytest.mark.parametrize(("artists", "pct"), [(-1, 10), (10, -1), (10, 101), (10, 1.5), (True, 5)])
def test_bad_support_threshold_inputs_are_refused(artists: object, pct: object) -> None:
    with pytest.raises(ValueError, match="whole number|must be"):
        support_threshold(artists, pct)  # type: ignore[arg-type]


# Properties

votes = st.lists(st.sampled_from(CHOICES), max_size=60)


@settings(max_examples=300)
@given(votes, st.integers(0, 80), st.integers(0, 100), st.sampled_from(MAJORITIES))
def test_result_follows_quorum_then_majority(
    choices: list[str], extra: int, quorum_pct: int, majority: str
) -> None:
    eligible = len(choices) + extra
    result = count_yes_no(choices, eligible, quorum_pct, majority)
    assert sum(result.counts.values()) == result.turnout == len(choices)
    assert result.result in counting.RESULTS
    assert result.quorum_reached is counting.quorum_reached(len(choices), eligible, quorum_pct)
    if not result.quorum_reached:
        assert result.result == "no_quorum"
    else:
        carried = counting.majority_reached(result.counts["yes"], result.counts["no"], majority)
        assert result.result == ("passed" if carried else "rejected")


@settings(max_examples=300)
@given(votes, st.integers(0, 80), st.integers(0, 100), st.sampled_from(MAJORITIES))
def test_one_more_yes_never_turns_a_pass_into_a_fail(
    choices: list[str], extra: int, quorum_pct: int, majority: str
) -> None:
    eligible = len(choices) + extra + 1
    before = count_yes_no(choices, eligible, quorum_pct, majority)
    after = count_yes_no([*choices, "yes"], eligible, quorum_pct, majority)
    if before.passed:
        assert after.passed
    if before.quorum_reached:
        assert after.quorum_reached


@settings(max_examples=300)
@given(votes, st.integers(0, 80), st.integers(0, 100), st.sampled_from(MAJORITIES))
def test_an_abstention_never_changes_a_counted_outcome(
    choices: list[str], extra: int, quorum_pct: int, majority: str
) -> None:
    eligible = len(choices) + extra + 1
    before = count_yes_no(choices, eligible, quorum_pct, majority)
    after = count_yes_no([*choices, "abstain"], eligible, quorum_pct, majority)
    if before.quorum_reached:
        assert after.result == before.result


@settings(max_examples=200)
@given(votes, st.integers(0, 80), st.integers(0, 100), st.sampled_from(MAJORITIES), st.randoms())
def test_the_order_of_ballots_does_not_matter(
    choices: list[str], extra: int, quorum_pct: int, majority: str, rng: random.Random
) -> None:
    shuffled = list(choices)
    rng.shuffle(shuffled)
    eligible = len(choices) + extra
    assert count_yes_no(shuffled, eligible, quorum_pct, majority) == count_yes_no(
        choices, eligible, quorum_pct, majority
    )
