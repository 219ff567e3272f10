"""Counting a yes/no/abstain vote, the pure rules: quorum, majority, support threshold.

No Flask, SQLAlchemy or Celery: the services hand over the choices read from the ballot table
and the number of members entitled to vote, and store what comes back. Every percentage is a
whole number from 0 to 100 and every comparison is done in integers, so "exactly at quorum" and
"exactly two thirds" are never at the mercy of a float.

The rules, as the members adopted them:

- **Quorum** is reached when ``turnout * 100 >= quorum_pct * eligible``. Abstentions are ballots,
  so they count toward quorum. With nobody eligible there is no quorum unless it is 0 %.
- **Majority** is taken of yes + no only; an abstention is neither for nor against.
  ``simple``: more yes than no (a tie fails). ``two_thirds``: ``3 * yes >= 2 * (yes + no)`` and at
  least one yes (so a vote where everyone abstained does not pass).
- Without quorum the result is ``no_quorum`` whatever the counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

CHOICES = ("yes", "no", "abstain")
MAJORITIES = ("simple", "two_thirds")
RESULTS = ("passed", "rejected", "no_quorum")


def _whole(value: object, name: str, *, upto: int | None = None) -> int:
    # bool is an int in Python; True as a member count is a bug upstream, not a number.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} is a whole number, not {value!r}")
    if value < 0 or (upto is not None and value > upto):
        bounds = f"from 0 to {upto}" if upto is not None else "0 or more"
        raise ValueError(f"{name} must be {bounds}, not {value}")
    return value


def _majority(majority: object) -> str:
    if majority not in MAJORITIES:
        raise ValueError(f"the majority is one of {', '.join(MAJORITIES)}, not {majority!r}")
    return str(majority)


def quorum_reached(turnout: int, eligible: int, quorum_pct: int) -> bool:
    """Whether ``turnout`` ballots out of ``eligible`` members meet a quorum of ``quorum_pct`` %.

    Reached when ``turnout * 100 >= quorum_pct * eligible``; with nobody eligible, only a 0 %
    quorum is reached (a vote no one could cast decides nothing).
    """
    turnout = _whole(turnout, "the turnout")
    eligible = _whole(eligible, "the number of eligible members")
    quorum_pct = _whole(quorum_pct, "the quorum", upto=100)
    if eligible == 0:
        return quorum_pct == 0
    return turnout * 100 >= quorum_pct * eligible


def majority_reached(yes: int, no: int, majority: str) -> bool:
    """Whether ``yes`` against ``no`` carries the motion (abstentions play no part).

    ``simple``: ``yes > no``, so a tie fails. ``two_thirds``: ``3 * yes >= 2 * (yes + no)`` and
    ``yes > 0``, so exactly two thirds passes and zero yes never does.
    """
    yes = _whole(yes, "the yes count")
    no = _whole(no, "the no count")
    if _majority(majority) == "simple":
        return yes > no
    return yes > 0 and 3 * yes >= 2 * (yes + no)


@dataclass(frozen=True)
class YesNoResult:
    """A closed vote's figures: counts of every choice, turnout against the eligible, outcome."""

    counts: dict[str, int]
    eligible: int
    turnout: int
    quorum_reached: bool
    result: str

    @property
    def passed(self) -> bool:
        return self.result == "passed"

    def turnout_pct_text(self) -> str:
        """Turnout as a share of the eligible, ``"61.5 %"``: one decimal, rounded half up.

        Integer arithmetic in tenths of a percent. Nobody eligible reads ``"0.0 %"``. Members who
        voted and then left the co-op before the close can push the share above 100 %; it is
        shown as it is rather than capped, so the figure never hides a ballot.
        """
        if self.eligible == 0:
            return "0.0 %"
        tenths = (self.turnout * 2_000 + self.eligible) // (2 * self.eligible)
        return f"{tenths // 10}.{tenths % 10} %"


def count_yes_no(
    choices: Iterable[str], eligible: int, quorum_pct: int, majority: str
) -> YesNoResult:
    """Count the ballots of a closed vote.

    ``choices`` holds one entry per ballot, each in ``CHOICES``; ``eligible`` is the number of
    members entitled to vote when it closed. Turnout counts every ballot, abstentions included.
    The result is ``no_quorum`` without quorum, else ``passed`` or ``rejected`` by the majority
    (see the module docstring). An unknown choice or majority raises ``ValueError``, as does a
    quorum outside 0..100 or a negative or non-integer number of members.
    """
    majority = _majority(majority)
    eligible = _whole(eligible, "the number of eligible members")
    quorum_pct = _whole(quorum_pct, "the quorum", upto=100)
    counts = dict.fromkeys(CHOICES, 0)
    for choice in choices:
        if choice not in counts:
            raise ValueError(f"a ballot's choice is one of {', '.join(CHOICES)}, not {choice!r}")
        counts[choice] += 1
    turnout = sum(counts.values())
    reached = quorum_reached(turnout, eligible, quorum_pct)
    if not reached:
        result = "no_quorum"
    elif majority_reached(counts["yes"], counts["no"], majority):
        result = "passed"
    else:
        result = "rejected"
    return YesNoResult(counts, eligible, turnout, reached, result)


def support_threshold(artist_members: int, threshold_pct: int) -> int:
    """Supporters a proposal needs before it goes to a vote: ``threshold_pct`` % of the artists.

    Rounded up (10 % of 25 artists is 3, not 2.5), and at least 1 so that a proposal in a co-op
    with no artists yet, or under a 0 % threshold, still needs one supporter to reach a vote.
    """
    artist_members = _whole(artist_members, "the number of artist members")
    threshold_pct = _whole(threshold_pct, "the support threshold", upto=100)
    return max(1, -(-artist_members * threshold_pct // 100))
