"""The votes section of the annual report, read through governance's own report function.

Governance owns how votes are counted (``marketplace.governance.reports``); this module only
puts its ``VoteSummary`` rows into the report's words and CSV fields.
"""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.governance.reports import VoteSummary, votes_closed_in
from marketplace.i18n.markers import N_

RESULT_WORDS = {
    "passed": N_("Passed"),
    "rejected": N_("Rejected"),
    "no_quorum": N_("No quorum"),
    "elected": N_("Elected"),
}
KIND_WORDS = {"yes_no": N_("Yes / no"), "election": N_("Election")}
# A yes/no vote's choices as its counts name them (an election's are candidates' names).
CHOICE_WORDS = {"yes": N_("yes"), "no": N_("no"), "abstain": N_("abstain")}

__all__ = [
    "CHOICE_WORDS",
    "KIND_WORDS",
    "RESULT_WORDS",
    "VoteSummary",
    "choice_words",
    "kind_words",
    "result_words",
    "vote_fields",
    "votes_of_year",
]


def result_words() -> dict[str, str]:
    """A vote's result in the reader's language, by its code."""
    return {code: gettext(words) for code, words in RESULT_WORDS.items()}


def choice_words() -> dict[str, str]:
    """A yes/no vote's choices in the reader's language, by their code."""
    return {code: gettext(words) for code, words in CHOICE_WORDS.items()}


def kind_words() -> dict[str, str]:
    """A vote's kind in the reader's language, by its code."""
    return {code: gettext(words) for code, words in KIND_WORDS.items()}


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
