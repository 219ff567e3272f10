"""Where a proposal stands, in one place: the badge, its tone and the sentence beside it are all
read from this, so a page never shows "Open for support" over a vote that has closed."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext

from marketplace.governance.models import Proposal
from marketplace.i18n.markers import N_

RESULT_LABELS = {
    "passed": (N_("Passed"), "success"),
    "rejected": (N_("Rejected"), "danger"),
    "no_quorum": (N_("No quorum"), "neutral"),
    "elected": (N_("Seats filled"), "success"),
}


@dataclass(frozen=True)
class Standing:
    """``key`` names the state; ``label`` and ``tone`` (a badge kind) show it; ``in_support``
    is true only while members may still support the proposal."""

    key: str
    label: str
    tone: str
    in_support: bool = False


def standing_of(proposal: Proposal) -> Standing:
    """The proposal's state from its own status and, once it has one, its vote's."""
    vote = proposal.vote
    if proposal.status == "draft":
        return Standing("draft", gettext("Draft"), "neutral")
    if proposal.status == "withdrawn":
        return Standing("withdrawn", gettext("Withdrawn"), "neutral")
    if proposal.status == "open_for_support" and vote is None:
        return Standing("open_for_support", gettext("Open for support"), "info", in_support=True)
    if vote is not None and vote.status == "closed":
        label, tone = RESULT_LABELS.get(vote.result or "", (N_("Vote closed"), "neutral"))
        return Standing("decided", gettext(label), tone)
    if vote is not None and vote.status == "scheduled":
        return Standing("vote_scheduled", gettext("Vote scheduled"), "info")
    if vote is not None:
        return Standing("in_vote", gettext("In a vote"), "warning")
    return Standing(proposal.status, proposal.status.replace("_", " ").capitalize(), "neutral")
