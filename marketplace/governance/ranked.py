"""Ranked-choice elections, the pure rules: single transferable vote (instant-runoff for one seat).

No Flask, SQLAlchemy or Celery: the services hand over the ballots (each a list of candidate ids,
first preference first) and store the rounds that come back, which the results page shows step by
step. Votes are ``fractions.Fraction`` throughout, so a surplus shared among hundreds of ballots
adds up exactly and two counts of the same ballots always agree.

The rules:

- A ballot is **valid** when it ranks at least one listed candidate. Unknown ids and repeats are
  dropped, the rest keep their order (``[4, 9, 4, 2]`` with 9 unknown counts as ``[4, 2]``).
- The **Droop quota** is ``floor(valid / (seats + 1)) + 1``.
- Each round, when the continuing candidates are no more than the seats left, all are elected.
  Otherwise every continuing candidate at or above the quota is elected. A surplus waiting to be
  transferred is transferred (the largest first, ties in order of election): each of the
  candidate's ballots moves on at ``weight * surplus / total`` (the inclusive Gregory method) and
  the candidate keeps exactly the quota. With no surplus to transfer and no one elected, the
  candidate with the fewest votes is eliminated and their ballots move on at full weight.
- A ballot moves to its next **continuing** preference (neither elected nor eliminated); a ballot
  with none left is **exhausted**, and each round shows the exhausted total.
- **Ties** (who is eliminated, or who is elected first) go to the earliest previous round in which
  the tied candidates had different votes: fewest votes there is eliminated, most is elected
  first. Tied in every round, a lot decides: candidates sorted by
  ``sha256(f"{tie_break_seed}:{candidate}")`` in hex, the first is eliminated (or elected first).
  The seed is fixed when the election is created, so anyone can repeat the lot; the round's note
  says when a lot decided.

Each round records the votes at its start: ``tallies`` for the continuing candidates (those
elected in it included), ``held`` for those elected earlier, and ``exhausted``; the three always
add up to the valid ballots. What a round decides moves the votes shown in the next one.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

Ballot = tuple[int, ...]
Parcel = tuple[Ballot, Fraction]


@dataclass(frozen=True)
class Round:
    """One step of the count; see the module docstring for what each figure means."""

    number: int
    tallies: dict[int, Fraction]
    exhausted: Fraction
    elected: list[int]
    eliminated: list[int]
    transferred_from: int | None
    note: str
    held: dict[int, Fraction] = field(default_factory=dict)


@dataclass(frozen=True)
class RankedResult:
    seats: int
    quota: Fraction
    valid_ballots: int
    elected: list[int]
    rounds: list[Round]


def votes_text(votes: Fraction | int) -> str:
    """``12`` or ``12.33``: whole votes plainly, else two decimals cut (not rounded) off.

    Cut rather than rounded so that 33.999 never shows as 34.00 beside a quota of 34 that the
    candidate has not reached.
    """
    if isinstance(votes, bool) or not isinstance(votes, Fraction | int):
        raise TypeError(f"votes are a Fraction or an int, not {votes!r}")
    votes = Fraction(votes)
    if votes.denominator == 1:
        return str(votes.numerator)
    sign = "-" if votes < 0 else ""
    hundredths = abs(votes.numerator) * 100 // votes.denominator
    return f"{sign}{hundredths // 100}.{hundredths % 100:02d}"


def clean_ballot(ballot: Iterable[object], candidates: Iterable[int]) -> Ballot:
    """The ballot's listed candidates in order, unknown ids and repeats dropped."""
    known, seen, kept = set(candidates), set(), []
    for choice in ballot:
        if isinstance(choice, int) and not isinstance(choice, bool) and choice in known:
            if choice not in seen:
                seen.add(choice)
                kept.append(choice)
    return tuple(kept)


def lot_order(candidates: Iterable[int], tie_break_seed: str) -> list[int]:
    """The candidates in the order of the lot: by ``sha256(f"{seed}:{candidate}")`` hex."""
    return sorted(
        candidates,
        key=lambda c: hashlib.sha256(f"{tie_break_seed}:{c}".encode()).hexdigest(),
    )


def droop_quota(valid_ballots: int, seats: int) -> Fraction:
    """``floor(valid / (seats + 1)) + 1``: the fewest votes no more than ``seats`` can all reach."""
    return Fraction(valid_ballots // (seats + 1) + 1)


def _names(ids: Sequence[int]) -> str:
    if len(ids) == 1:
        return f"candidate {ids[0]}"
    head = ", ".join(str(c) for c in ids[:-1])
    return f"candidates {head} and {ids[-1]}"


class _Count:
    """The state of one count: piles of parcels per candidate, the exhausted votes, the rounds."""

    def __init__(self, groups: Counter[Ballot], candidates: Sequence[int], seats: int, seed: str):
        self.seed = seed
        self.quota = droop_quota(groups.total(), seats)
        self.seats = seats
        self.to_fill = min(seats, len(candidates))
        self.continuing = list(candidates)
        self.piles: dict[int, list[Parcel]] = {c: [] for c in candidates}
        self.elected: list[int] = []
        self.pending: list[int] = []
        self.exhausted = Fraction(0)
        self.rounds: list[Round] = []
        # Identical ballots always travel together, so one parcel per distinct ranking is exact.
        for ballot, count in groups.items():
            self._place(ballot, Fraction(count))

    def _place(self, ballot: Ballot, value: Fraction) -> None:
        for choice in ballot:
            if choice in self.continuing:
                self.piles[choice].append((ballot, value))
                return
        self.exhausted += value

    def _total(self, candidate: int) -> Fraction:
        return sum((value for _, value in self.piles[candidate]), Fraction(0))

    def _ordered(
        self, group: Sequence[int], tallies: dict[int, Fraction], most_first: bool
    ) -> tuple[list[int], str]:
        """The group by votes now, ties by earlier rounds then by lot, and how ties were decided."""
        rounds_used: set[int] = set()
        lots: list[list[int]] = []

        def split(tied: list[int], start: int) -> list[int]:
            if len(tied) == 1:
                return tied
            for earlier in self.rounds[start:]:
                values = {earlier.tallies[c] for c in tied}
                if len(values) > 1:
                    rounds_used.add(earlier.number)
                    out: list[int] = []
                    for value in sorted(values, reverse=most_first):
                        same = [c for c in tied if earlier.tallies[c] == value]
                        out += split(same, earlier.number)
                    return out
            lots.append(lot_order(tied, self.seed))
            return lots[-1]

        ordered: list[int] = []
        for value in sorted({tallies[c] for c in group}, reverse=most_first):
            ordered += split([c for c in group if tallies[c] == value], 0)
        how = []
        if rounds_used:
            numbers = [str(n) for n in sorted(rounds_used)]
            where = f"round {numbers[0]}"
            if len(numbers) > 1:
                where = f"rounds {', '.join(numbers[:-1])} and {numbers[-1]}"
            how.append(f"a tie was decided by the votes in {where}")
        how += [f"a lot decided between tied {_names(sorted(tied))}" for tied in lots]
        return ordered, "; ".join(how)

    def run(self) -> None:
        while len(self.elected) < self.to_fill:
            tallies = {c: self._total(c) for c in self.continuing}
            held = {c: self._total(c) for c in self.elected}
            state = (tallies, held, self.exhausted)
            seats_left = self.seats - len(self.elected)
            if len(self.continuing) <= seats_left:
                order, how = self._ordered(self.continuing, tallies, most_first=True)
                self.elected += order
                verb = "is" if len(order) == 1 else "are"
                seats_text = "1 seat" if seats_left == 1 else f"{seats_left} seats"
                note = f"{_names(order).capitalize()} {verb} elected, as no more candidates are "
                note += f"left than the {seats_text} to fill"
                self._record(state, order, [], None, note, how)
                return
            reaching = [c for c in self.continuing if tallies[c] >= self.quota]
            order, how = self._ordered(reaching, tallies, most_first=True)
            for candidate in order:
                self.continuing.remove(candidate)
                self.elected.append(candidate)
                if tallies[candidate] > self.quota:
                    self.pending.append(candidate)
            note = self._quota_note(order, tallies)
            if len(self.elected) == self.to_fill:
                self._record(state, order, [], None, note + "; all seats are filled", how)
                return
            if self.pending:
                source = max(self.pending, key=lambda c: self._total(c) - self.quota)
                surplus = votes_text(self._total(source) - self.quota)
                note += f"; candidate {source}'s surplus of {surplus} moves to the next preferences"
                self._record(state, order, [], source, note, how)
                self._transfer_surplus(source)
            elif order:
                self._record(state, order, [], None, note + "; no surplus to transfer", how)
            else:
                fewest = min(tallies.values())
                lowest = [c for c in self.continuing if tallies[c] == fewest]
                ranked, how = self._ordered(lowest, tallies, most_first=False)
                loser = ranked[0]
                note += f"; candidate {loser} has the fewest votes ({votes_text(fewest)})"
                note += " and is eliminated, their ballots moving on at full weight"
                self._record(state, [], [loser], loser, note, how)
                self._eliminate(loser)

    def _quota_note(self, order: list[int], tallies: dict[int, Fraction]) -> str:
        quota = votes_text(self.quota)
        if not order:
            return f"No continuing candidate reached the quota of {quota}"
        with_votes = [f"{c} ({votes_text(tallies[c])} votes)" for c in order]
        if len(order) == 1:
            return f"Candidate {with_votes[0]} reached the quota of {quota} and is elected"
        listed = ", ".join(with_votes[:-1]) + f" and {with_votes[-1]}"
        return f"Candidates {listed} reached the quota of {quota} and are elected"

    def _record(
        self,
        state: tuple[dict[int, Fraction], dict[int, Fraction], Fraction],
        elected: list[int],
        eliminated: list[int],
        source: int | None,
        note: str,
        how: str,
    ) -> None:
        tallies, held, exhausted = state
        note += f" ({how})." if how else "."
        number = len(self.rounds) + 1
        self.rounds.append(
            Round(number, tallies, exhausted, list(elected), eliminated, source, note, held)
        )

    def _transfer_surplus(self, candidate: int) -> None:
        total = self._total(candidate)
        share = (total - self.quota) / total
        pile, self.piles[candidate] = self.piles[candidate], []
        for ballot, value in pile:
            self.piles[candidate].append((ballot, value - value * share))
            self._place(ballot, value * share)
        self.pending.remove(candidate)

    def _eliminate(self, candidate: int) -> None:
        self.continuing.remove(candidate)
        pile, self.piles[candidate] = self.piles[candidate], []
        for ballot, value in pile:
            self._place(ballot, value)


def count_ranked(
    ballots: Iterable[Sequence[int]], candidates: Sequence[int], seats: int, tie_break_seed: str
) -> RankedResult:
    """Count an election by single transferable vote (see the module docstring for the rules).

    Elects ``min(seats, len(candidates))`` candidates, listed in order of election, with every
    round kept. ``seats`` below 1, no candidates, a repeated or non-integer candidate id or a
    seed that is not a string raise ``ValueError``.
    """
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise ValueError(f"an election fills at least one seat, not {seats!r}")
    candidates = list(candidates)
    if not candidates:
        raise ValueError("an election needs at least one candidate")
    if any(isinstance(c, bool) or not isinstance(c, int) for c in candidates):
        raise ValueError(f"candidates are given by their integer ids, not {candidates!r}")
    if len(set(candidates)) != len(candidates):
        raise ValueError("each candidate is listed once")
    if not isinstance(tie_break_seed, str):
        raise ValueError(f"the tie-break seed is a string, not {tie_break_seed!r}")
    groups = Counter(clean_ballot(ballot, candidates) for ballot in ballots)
    del groups[()]
    count = _Count(groups, candidates, seats, tie_break_seed)
    count.run()
    return RankedResult(seats, count.quota, groups.total(), count.elected, count.rounds)
