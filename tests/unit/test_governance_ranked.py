"""Ranked-choice elections by STV: worked examples by hand, ties, exhausted ballots, invariants."""

from __future__ import annotations

import random
from collections.abc import Sequence
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.governance.ranked import (
    RankedResult,
    Round,
    clean_ballot,
    count_ranked,
    droop_quota,
    lot_order,
    votes_text,
)


def times(count: int, ranking: list[int]) -> list[list[int]]:
    return [list(ranking) for _ in range(count)]


def shown(round_: Round) -> dict[str, object]:
    """A round as the results page shows it, to compare with a count made by hand."""
    return {
        "tallies": {c: votes_text(v) for c, v in round_.tallies.items()},
        "exhausted": votes_text(round_.exhausted),
        "held": {c: votes_text(v) for c, v in round_.held.items()},
        "elected": round_.elected,
        "eliminated": round_.eliminated,
        "from": round_.transferred_from,
    }


# Display and small rules


@pytest.mark.parametrize(
    ("votes", "text"),
    [
        (F(12), "12"),
        (F(37, 3), "12.33"),
        (F(23, 8), "2.87"),  # 2.875 is cut, not rounded
        (F(2, 3), "0.66"),
        (F(25, 2), "12.50"),
        (F(1, 200), "0.00"),
        (F(0), "0"),
        (7, "7"),
        (F(-1, 3), "-0.33"),
        (F(33_999, 1_000), "33.99"),
    ],
)
def test_votes_text(votes: F | int, text: str) -> None:
    assert votes_text(votes) == text


@pytest.mark.parametrize("votes", [1.5, "3", True, None])
def test_votes_text_refuses_floats_and_others(votes: object) -> None:
    with pytest.raises(TypeError):
        votes_text(votes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ballot", "cleaned"),
    [
        ([4, 9, 4, 2], (4, 2)),
        ([9, 8], ()),
        ([], ()),
        ([2, 2, 2], (2,)),
        ([1, 2, 3, 4], (1, 2, 3, 4)),
        ([3, "1", True, 1.0, 1], (3, 1)),
    ],
)
def test_clean_ballot_drops_unknown_and_repeated_ids(
    ballot: list[object], cleaned: tuple[int]
) -> None:
    assert clean_ballot(ballot, [1, 2, 3, 4]) == cleaned


@pytest.mark.parametrize(
    ("valid", "seats", "quota"),
    [(100, 1, 51), (101, 1, 51), (20, 3, 6), (14, 2, 5), (0, 1, 1), (3, 2, 2), (1_000, 9, 101)],
)
def test_droop_quota(valid: int, seats: int, quota: int) -> None:
    assert droop_quota(valid, seats) == quota
    assert count_ranked(times(valid, [1]), [1, 2], seats, "s").quota == quota


def test_the_lot_is_sha256_of_seed_and_candidate_and_anyone_can_repeat_it() -> None:
    # From `printf 'election-2025:N' | sha256sum`: 2 -> 1dd6…, 1 -> ecba…, 3 -> f091…
    assert lot_order([1, 2, 3], "election-2025") == [2, 1, 3]
    assert lot_order([3, 2, 1], "election-2025") == [2, 1, 3]
    assert lot_order([10, 20], "x") == [10, 20]  # 51d9… < e74d…
    assert lot_order([10, 20], "y") == [20, 10]  # 79ce… < f42b…


@pytest.mark.parametrize(
    ("seats", "candidates", "seed", "message"),
    [
        (0, [1, 2], "s", "seat"),
        (-1, [1], "s", "seat"),
        (True, [1, 2], "s", "seat"),
        (1.0, [1, 2], "s", "seat"),
        (1, [], "s", "candidate"),
        (1, [1, 1], "s", "once"),
        (1, [1, "2"], "s", "integer"),
        (1, [1, 2], 7, "seed"),
    ],
)
def test_bad_elections_are_refused(
    seats: object, candidates: list[object], seed: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        count_ranked([[1]], candidates, seats, seed)  # type: ignore[arg-type]


# Instant-runoff (one seat)


def test_tennessee_capital_goes_to_knoxville_not_the_plurality_leader() -> None:
    memphis, nashville, chattanooga, knoxville = 1, 2, 3, 4
    ballots = (
        times(42, [memphis, nashville, chattanooga, knoxville])
        + times(26, [nashville, chattanooga, knoxville, memphis])
        + times(15, [chattanooga, knoxville, nashville, memphis])
        + times(17, [knoxville, chattanooga, nashville, memphis])
    )
    result = count_ranked(ballots, [1, 2, 3, 4], 1, "tn")
    assert result.elected == [knoxville]
    assert (result.quota, result.valid_ballots) == (51, 100)
    assert [shown(r)["tallies"] for r in result.rounds] == [
        {1: "42", 2: "26", 3: "15", 4: "17"},
        {1: "42", 2: "26", 4: "32"},
        {1: "42", 4: "58"},
    ]
    assert [r.eliminated for r in result.rounds] == [[chattanooga], [nashville], []]
    assert result.rounds[-1].note == (
        "Candidate 4 (58 votes) reached the quota of 51 and is elected; all seats are filled."
    )


def test_a_first_round_majority_wins_at_once() -> None:
    result = count_ranked(times(6, [1, 2]) + times(5, [2, 1]), [1, 2, 3], 1, "s")
    assert result.elected == [1]
    assert len(result.rounds) == 1
    assert result.rounds[0].elected == [1]


def test_exhausted_ballots_are_shown_per_round() -> None:
    ballots = times(4, [1]) + times(3, [2]) + times(2, [3])
    result = count_ranked(ballots, [1, 2, 3], 1, "s")
    assert result.quota == 5
    assert [shown(r) for r in result.rounds] == [
        {"tallies": {1: "4", 2: "3", 3: "2"}, "exhausted": "0", "held": {}, "elected": [],
         "eliminated": [3], "from": 3},
        {"tallies": {1: "4", 2: "3"}, "exhausted": "2", "held": {}, "elected": [],
         "eliminated": [2], "from": 2},
        {"tallies": {1: "4"}, "exhausted": "5", "held": {}, "elected": [1],
         "eliminated": [], "from": None},
    ]  # fmt: skip
    assert "no more candidates are left than the 1 seat" in result.rounds[-1].note


def test_invalid_ballots_are_not_counted_at_all() -> None:
    ballots = [[1], [1], [2], [], [99], [99, 98], [2, 2, 1]]
    result = count_ranked(ballots, [1, 2], 1, "s")
    assert result.valid_ballots == 4
    assert result.quota == 3
    assert result.rounds[0].tallies == {1: 2, 2: 2}


def test_no_valid_ballots_still_fills_the_seats_by_lot() -> None:
    result = count_ranked([[], [7]], [1, 2, 3], 2, "empty")
    assert result.valid_ballots == 0
    assert len(result.elected) == 2
    assert result.rounds[0].eliminated == [lot_order([1, 2, 3], "empty")[0]]
    assert "a lot decided" in result.rounds[0].note


# Single transferable vote, worked by hand


def test_wikipedia_food_election_three_seats() -> None:
    oranges, pears, chocolate, strawberries, hamburgers = 1, 2, 3, 4, 5
    ballots = (
        times(4, [oranges])
        + times(2, [pears, oranges])
        + times(8, [chocolate, strawberries])
        + times(4, [chocolate, hamburgers])
        + times(1, [strawberries])
        + times(1, [hamburgers])
    )
    result = count_ranked(ballots, [1, 2, 3, 4, 5], 3, "food")
    # Quota 20 // 4 + 1 = 6. Chocolate's surplus 6 of 12: each ballot moves on at 1/2.
    assert result.quota == 6
    assert result.elected == [chocolate, oranges, strawberries]
    assert [shown(r) for r in result.rounds] == [
        {"tallies": {1: "4", 2: "2", 3: "12", 4: "1", 5: "1"}, "exhausted": "0", "held": {},
         "elected": [3], "eliminated": [], "from": 3},
        {"tallies": {1: "4", 2: "2", 4: "5", 5: "3"}, "exhausted": "0", "held": {3: "6"},
         "elected": [], "eliminated": [2], "from": 2},
        {"tallies": {1: "6", 4: "5", 5: "3"}, "exhausted": "0", "held": {3: "6"},
         "elected": [1], "eliminated": [], "from": None},
        {"tallies": {4: "5", 5: "3"}, "exhausted": "0", "held": {3: "6", 1: "6"},
         "elected": [], "eliminated": [5], "from": 5},
        {"tallies": {4: "5"}, "exhausted": "3", "held": {3: "6", 1: "6"},
         "elected": [4], "eliminated": [], "from": None},
    ]  # fmt: skip
    assert result.rounds[0].note == (
        "Candidate 3 (12 votes) reached the quota of 6 and is elected; "
        "candidate 3's surplus of 6 moves to the next preferences."
    )
    assert result.rounds[2].note.endswith("and is elected; no surplus to transfer.")


def test_fractional_surplus_transfer_two_seats() -> None:
    a, b, c, d = 1, 2, 3, 4
    ballots = (
        times(5, [a, b]) + times(2, [a, c]) + times(1, [a])
        + times(3, [c, d]) + times(2, [d, c]) + times(1, [b, d])
    )  # fmt: skip
    result = count_ranked(ballots, [a, b, c, d], 2, "s")
    # Quota 14 // 3 + 1 = 5. A has 8, surplus 3: each of A's ballots moves on at 3/8, so B gains
    # 5 * 3/8 = 15/8, C gains 2 * 3/8 = 3/4 and 3/8 is exhausted (the ballot ranking A alone).
    assert result.quota == 5
    assert result.elected == [a, c]
    second, third = result.rounds[1], result.rounds[2]
    assert second.tallies == {b: F(23, 8), c: F(15, 4), d: 2}
    assert second.exhausted == F(3, 8)
    assert second.held == {a: 5}
    assert second.eliminated == [d]
    # D's two ballots go to C at full weight: 15/4 + 2 = 23/4.
    assert third.tallies == {b: F(23, 8), c: F(23, 4)}
    assert third.elected == [c]
    assert votes_text(third.tallies[c]) == "5.75"
    assert votes_text(third.tallies[b]) == "2.87"


def test_two_elected_together_transfer_their_surpluses_largest_first() -> None:
    a, b, c, d, e = 1, 2, 3, 4, 5
    ballots = times(10, [a, c]) + times(8, [b, d]) + times(1, [c]) + times(2, [d]) + times(3, [e])
    result = count_ranked(ballots, [a, b, c, d, e], 3, "s")
    # Quota 24 // 4 + 1 = 7. A (10) and B (8) are elected together; A's surplus of 3 moves first
    # (10 ballots at 3/10 to C), then B's surplus of 1 (8 ballots at 1/8 to D). D and E then tie
    # on 3; D had fewer in round 1 and goes. D's and E's ballots have no one left to go to.
    assert result.quota == 7
    assert [shown(r) for r in result.rounds] == [
        {"tallies": {1: "10", 2: "8", 3: "1", 4: "2", 5: "3"}, "exhausted": "0", "held": {},
         "elected": [1, 2], "eliminated": [], "from": 1},
        {"tallies": {3: "4", 4: "2", 5: "3"}, "exhausted": "0", "held": {1: "7", 2: "8"},
         "elected": [], "eliminated": [], "from": 2},
        {"tallies": {3: "4", 4: "3", 5: "3"}, "exhausted": "0", "held": {1: "7", 2: "7"},
         "elected": [], "eliminated": [4], "from": 4},
        {"tallies": {3: "4", 5: "3"}, "exhausted": "3", "held": {1: "7", 2: "7"},
         "elected": [], "eliminated": [5], "from": 5},
        {"tallies": {3: "4"}, "exhausted": "6", "held": {1: "7", 2: "7"},
         "elected": [3], "eliminated": [], "from": None},
    ]  # fmt: skip
    assert result.elected == [a, b, c]
    assert result.rounds[0].note == (
        "Candidates 1 (10 votes) and 2 (8 votes) reached the quota of 7 and are elected; "
        "candidate 1's surplus of 3 moves to the next preferences."
    )
    assert result.rounds[2].note.endswith("(a tie was decided by the votes in round 1).")


def test_as_many_seats_as_candidates_elects_all_in_one_round() -> None:
    result = count_ranked(times(3, [2]) + times(1, [1]), [1, 2, 3], 5, "s")
    assert result.elected == [2, 1, 3]
    assert len(result.rounds) == 1
    assert result.rounds[0].note.startswith(
        "Candidates 2, 1 and 3 are elected, as no more candidates are left than the 5 seats"
    )


# Ties


def test_elimination_tie_goes_to_the_earliest_round_they_differed() -> None:
    a, b, c, d = 1, 2, 3, 4
    ballots = times(4, [c]) + times(3, [a]) + times(2, [b]) + times(1, [d, b])
    result = count_ranked(ballots, [a, b, c, d], 1, "s")
    # Round 2: A 3, B 3. In round 1 A had 3 and B 2, so B goes.
    assert [r.eliminated for r in result.rounds] == [[d], [b], [a], []]
    assert result.rounds[1].tallies == {a: 3, b: 3, c: 4}
    assert "decided by the votes in round 1" in result.rounds[1].note
    assert "a lot" not in result.rounds[1].note
    assert result.elected == [c]


def test_three_way_tie_narrows_round_by_round() -> None:
    a, b, c, d, e, f = 1, 2, 3, 4, 5, 6
    ballots = (
        times(3, [a]) + times(3, [b]) + times(4, [c]) + times(1, [d, a])
        + times(1, [e, b]) + times(1, [e]) + times(9, [f])
    )  # fmt: skip
    result = count_ranked(ballots, [a, b, c, d, e, f], 1, "s")
    # Round 3: A, B and C all on 4. Round 1 (3, 3, 4) spares C; round 2 (A 4, B 3) sends B.
    assert result.rounds[2].tallies == {a: 4, b: 4, c: 4, f: 9}
    assert [r.eliminated for r in result.rounds[:3]] == [[d], [e], [b]]
    assert "decided by the votes in rounds 1 and 2" in result.rounds[2].note


@pytest.mark.parametrize(("seed", "loser"), [("x", 10), ("y", 20)])
def test_a_tie_in_every_round_is_decided_by_the_seeded_lot(seed: str, loser: int) -> None:
    ballots = times(2, [30]) + times(1, [10]) + times(1, [20])
    result = count_ranked(ballots, [10, 20, 30], 1, seed)
    assert result.rounds[0].eliminated == [loser]
    assert "a lot decided between tied candidates" in result.rounds[0].note
    assert count_ranked(ballots, [30, 20, 10], 1, seed) == result


def test_order_of_election_tie_uses_earlier_rounds() -> None:
    a, b, c, d, e = 1, 2, 3, 4, 5
    base = times(2, [c]) + times(2, [e])
    # A and B both end on 3 and are elected together; whoever led in round 1 goes first.
    first = count_ranked(
        base + times(3, [a]) + times(2, [b]) + times(1, [d, b]), [1, 2, 3, 4, 5], 2, "s"
    )
    second = count_ranked(
        base + times(2, [a]) + times(3, [b]) + times(1, [d, a]), [1, 2, 3, 4, 5], 2, "s"
    )
    assert first.elected == [a, b]
    assert second.elected == [b, a]
    assert first.rounds[-1].elected == [a, b]
    assert "decided by the votes in round 1" in first.rounds[-1].note


@pytest.mark.parametrize("seed", ["x", "y", "z", "election-2025"])
def test_order_of_election_tie_by_lot(seed: str) -> None:
    result = count_ranked(times(5, [10]) + times(5, [20]) + times(1, [30]), [10, 20, 30], 2, seed)
    assert result.quota == 4
    assert result.elected == lot_order([10, 20], seed)
    assert "a lot decided between tied candidates 10 and 20" in result.rounds[0].note


# Properties

candidate_lists = st.lists(st.integers(1, 40), min_size=1, max_size=7, unique=True)


@st.composite
def elections(draw: st.DrawFn) -> tuple[list[list[int]], list[int], int, str]:
    candidates = draw(candidate_lists)
    pool = st.one_of(st.sampled_from(candidates), st.integers(0, 45))
    ballots = draw(st.lists(st.lists(pool, max_size=8), max_size=60))
    return ballots, candidates, draw(st.integers(1, 5)), draw(st.text(max_size=8))


def check_invariants(result: RankedResult, candidates: Sequence[int], seats: int) -> None:
    assert len(result.elected) == min(seats, len(candidates))
    assert len(set(result.elected)) == len(result.elected)
    eliminated = [c for r in result.rounds for c in r.eliminated]
    assert not set(eliminated) & set(result.elected)
    assert [c for r in result.rounds for c in r.elected] == result.elected
    out: set[int] = set()
    last_exhausted = F(0)
    for number, round_ in enumerate(result.rounds, start=1):
        assert round_.number == number
        total = sum(round_.tallies.values()) + round_.exhausted + sum(round_.held.values())
        assert total == result.valid_ballots
        assert set(round_.tallies) == set(candidates) - out
        assert set(round_.held) == {c for c in result.elected if c in out}
        assert all(v >= 0 for v in round_.tallies.values())
        assert round_.exhausted >= last_exhausted
        last_exhausted = round_.exhausted
        assert round_.elected or round_.eliminated or round_.transferred_from is not None
        assert len(round_.eliminated) <= 1
        assert round_.note.endswith(".")
        out |= set(round_.elected) | set(round_.eliminated)
    final = result.rounds[-1]
    for round_ in result.rounds:
        if round_ is not final and round_.elected:
            assert all(round_.tallies[c] >= result.quota for c in round_.elected)


@settings(max_examples=400, deadline=None)
@given(elections())
def test_stv_invariants(election: tuple[list[list[int]], list[int], int, str]) -> None:
    ballots, candidates, seats, seed = election
    result = count_ranked(ballots, candidates, seats, seed)
    assert result.valid_ballots == sum(1 for b in ballots if clean_ballot(b, candidates))
    check_invariants(result, candidates, seats)


@settings(max_examples=200, deadline=None)
@given(elections(), st.randoms())
def test_the_order_of_ballots_and_candidates_does_not_matter(
    election: tuple[list[list[int]], list[int], int, str], rng: random.Random
) -> None:
    ballots, candidates, seats, seed = election
    shuffled_ballots, shuffled_candidates = list(ballots), list(candidates)
    rng.shuffle(shuffled_ballots)
    rng.shuffle(shuffled_candidates)
    assert count_ranked(shuffled_ballots, shuffled_candidates, seats, seed) == count_ranked(
        ballots, candidates, seats, seed
    )


def plain_irv(ballots: list[tuple[int, ...]], candidates: list[int]) -> int | None:
    """Textbook instant-runoff in integers: a majority of the ballots still counting wins.

    None when a tie for last place would need breaking (the count under test settles those).
    """
    continuing = set(candidates)
    while True:
        tallies = dict.fromkeys(continuing, 0)
        for ballot in ballots:
            top = next((c for c in ballot if c in continuing), None)
            if top is not None:
                tallies[top] += 1
        counting = sum(tallies.values())
        leader = max(tallies, key=lambda c: tallies[c])
        if len(continuing) == 1 or tallies[leader] * 2 > counting:
            return leader
        fewest = min(tallies.values())
        lowest = [c for c in continuing if tallies[c] == fewest]
        if len(lowest) > 1:
            return None
        continuing.remove(lowest[0])


@settings(max_examples=400, deadline=None)
@given(
    candidate_lists.filter(lambda c: len(c) >= 2),
    st.lists(
        st.tuples(st.permutations(range(7)), st.integers(0, 6), st.integers(1, 30)), max_size=12
    ),
)
def test_one_seat_is_exactly_instant_runoff(
    candidates: list[int], parcels: list[tuple[list[int], int, int]]
) -> None:
    ballots = []
    for order, cut, count in parcels:
        ranking = tuple(candidates[i] for i in order if i < len(candidates))[: cut + 1]
        ballots += [ranking] * count
    expected = plain_irv(ballots, candidates)
    result = count_ranked(ballots, candidates, 1, "irv")
    if expected is not None:
        assert result.elected == [expected]
    firsts = [b[0] for b in ballots]
    for candidate in candidates:
        if firsts.count(candidate) * 2 > len(ballots):
            assert result.elected == [candidate]


def test_a_large_election_counts_quickly_and_exactly() -> None:
    rng = random.Random(7)
    candidates = list(range(1, 13))
    ballots = [rng.sample(candidates, rng.randint(1, 6)) for _ in range(20_000)]
    result = count_ranked(ballots, candidates, 5, "big")
    check_invariants(result, candidates, 5)
