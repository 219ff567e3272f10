"""The votes section of the annual report, read through governance's own report function.

Governance owns how votes are counted (``marketplace.governance.reports``); this module only
puts its ``VoteSummary`` rows into the report's words and CSV fields.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from marketplace.governance.reports import VoteSummary, votes_closed_in

RESULT_WORDS = {
    "passed": "Passed",
    "rejected": "Rejected",
    "no_quorum": "No quorum",
    "elected": "Elected",
}
KIND_WORDS = {"yes_no": "Yes / no", "election": "Election"}

__all__ = ["KIND_WORDS", "RESULT_WORDS", "VoteSummary", "vote_fields", "votes_of_year"]


def votes_of_year(session: Session, year: int) -> list[VoteSummary]:
    """The votes that closed in ``year``, as governance counted them, in closing order."""
    return sorted(votes_closed_in(session, year), key=lambda v: (v.closes_at, v.vote_id))


def vote_fields(vote: VoteSummary) -> list[tuple[str, object]]:
    """One vote as (field, value) pairs for the report's CSV: the counts one row each."""
    fields: list[tuple[str, object]] = [
        ("kind", vote.kind),
        ("opened_at", vote.opened_at.isoformat()),
        ("closes_at", vote.closes_at.isoformat()),
        ("eligible", vote.eligible),
        ("turnout", vote.turnout),
        ("quorum_reached", "yes" if vote.quorum_reached else "no"),
        ("result", vote.result),
    ]
    fields += [(f"count:{choice}", count) for choice, count in vote.counts.items()]
    fields += [("elected", name) for name in vote.elected]
    return fields
