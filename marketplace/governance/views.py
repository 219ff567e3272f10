"""Members' governance pages: proposals and their discussion, votes and ballots, announcements."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from marketplace.errors import AppError
from marketplace.extensions import db
from marketplace.governance import announcements, ballots, proposals, reports, votes
from marketplace.governance.forms import CommentForm, ProposalForm, YesNoBallotForm
from marketplace.governance.standing import standing_of
from marketplace.governance.text import render_markdown
from marketplace.membership.models import membership_of
from marketplace.web_support import form_status, show_error_on_form
from marketplace.whole_numbers import parse_whole_number

bp = Blueprint("governance", __name__, url_prefix="/governance")

RESULT_WORDS = {
    "passed": lazy_gettext("Passed"),
    "rejected": lazy_gettext("Rejected"),
    "no_quorum": lazy_gettext("No decision: quorum not reached"),
    "elected": lazy_gettext("Seats filled"),
}


@bp.before_request
@login_required
def require_member_or_admin() -> None:
    """Governance is the members' own business, and the admins' who run it."""
    if not (current_user.is_member or current_user.is_admin):
        abort(403)


@bp.context_processor
def governance_helpers() -> dict[str, Any]:
    return {"markdown": render_markdown, "result_words": RESULT_WORDS, "standing_of": standing_of}


@bp.get("")
def index() -> str:
    session = db.session()
    listed = proposals.list_visible(session, current_user)
    return render_template(
        "governance/index.html",
        open_votes=votes.list_votes(session, "open"),
        closed_votes=votes.list_votes(session, "closed")[:10],
        proposals=listed,
        supporters={p.id: proposals.supporter_count(session, p.id) for p in listed},
        needed=proposals.support_needed(session),
        announcements=announcements.latest(session, 3),
    )


@bp.route("/proposals/new", methods=["GET", "POST"])
def new_proposal() -> str | BaseResponse | tuple[str, int]:
    form = ProposalForm()
    if form.validate_on_submit():
        draft = proposals.ProposalDraft(
            form.title.data or "", form.body.data or "", publish=not form.save_draft.data
        )
        try:
            proposal = proposals.create(current_user, draft)
        except AppError as error:
            show_error_on_form(form, error)
        else:
            flash(
                gettext("Proposal published: members can now support it.")
                if draft.publish
                else gettext("Draft saved. Only you can see it until you publish it."),
                "success",
            )
            return redirect(url_for("governance.proposal", proposal_id=proposal.id))
    return render_template("governance/proposal_form.html", form=form), form_status(form)


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
def edit_proposal(proposal_id: int) -> str | BaseResponse | tuple[str, int]:
    proposal = proposals.get_visible(db.session(), current_user, proposal_id)
    form = ProposalForm()
    if request.method == "GET":
        form.title.data, form.body.data = proposal.title, proposal.body_markdown
    if form.validate_on_submit():
        draft = proposals.ProposalDraft(
            form.title.data or "", form.body.data or "", publish=not form.save_draft.data
        )
        try:
            proposals.edit(current_user, proposal_id, draft)
        except AppError as error:
            show_error_on_form(form, error)
        else:
            flash(
                gettext("Proposal published.") if draft.publish else gettext("Draft saved."),
                "success",
            )
            return redirect(url_for("governance.proposal", proposal_id=proposal_id))
    return render_template(
        "governance/proposal_form.html", form=form, proposal=proposal
    ), form_status(form)


@bp.get("/proposals/<int:proposal_id>")
def proposal(proposal_id: int) -> str:
    session = db.session()
    found = proposals.get_visible(session, current_user, proposal_id)
    if found.vote is not None and found.vote.status != "closed":
        # As the vote page does: a vote past its closing time is counted on this read, so the
        # proposal's badge shows the result rather than "In a vote".
        votes.close_if_due(found.vote.id)
        found = proposals.get_visible(session, current_user, proposal_id)
    member = membership_of(current_user)
    return render_template(
        "governance/proposal.html",
        proposal=found,
        supporters=proposals.supporter_count(session, found.id),
        needed=proposals.support_needed(session),
        you_support=bool(member and proposals.supports(session, found.id, member.id)),
        is_author=bool(member and member.id == found.author_id),
        comments=proposals.comments(session, found.id),
        comment_form=CommentForm(),
    )


def _back_to_proposal(proposal_id: int, action: Any, done: str) -> BaseResponse:
    try:
        action()
    except AppError as error:
        flash(error.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("governance.proposal", proposal_id=proposal_id))


@bp.post("/proposals/<int:proposal_id>/support")
def support(proposal_id: int) -> BaseResponse:
    return _back_to_proposal(
        proposal_id,
        lambda: proposals.support(current_user, proposal_id),
        gettext("Thank you: your support is counted."),
    )


@bp.post("/proposals/<int:proposal_id>/withdraw")
def withdraw(proposal_id: int) -> BaseResponse:
    return _back_to_proposal(
        proposal_id,
        lambda: proposals.withdraw(current_user, proposal_id),
        gettext("Proposal withdrawn."),
    )


@bp.post("/proposals/<int:proposal_id>/comments")
def comment(proposal_id: int) -> BaseResponse:
    form = CommentForm()
    if not form.validate_on_submit():
        flash(gettext("Write something before posting."), "error")
        return redirect(url_for("governance.proposal", proposal_id=proposal_id))
    return _back_to_proposal(
        proposal_id,
        lambda: proposals.comment(current_user, proposal_id, form.body.data or ""),
        gettext("Comment posted."),
    )


@bp.route("/votes/<int:vote_id>", methods=["GET", "POST"])
def vote(vote_id: int) -> str | BaseResponse | tuple[str, int]:
    found = votes.close_if_due(vote_id)
    form = YesNoBallotForm()
    error: str | None = None
    if request.method == "POST":
        body = _ballot_body(found.kind, form)
        if body is not None:
            try:
                replaced = ballots.cast(current_user, vote_id, body)
            except AppError as failure:
                error = failure.message
            else:
                flash(
                    gettext("Your vote was changed.")
                    if replaced
                    else gettext("Your vote is recorded."),
                    "success",
                )
                return redirect(url_for("governance.vote", vote_id=vote_id))
        else:
            error = (
                gettext("Choose yes, no or abstain.")
                if found.kind == "yes_no"
                else (gettext("Rank at least one candidate, each at most once."))
            )
    session = db.session()
    member = membership_of(current_user)
    return render_template(
        "governance/vote.html",
        vote=found,
        form=form,
        error=error,
        live=votes.live_turnout(session, found) if found.status != "closed" else None,
        you_voted=bool(member and ballots.has_voted(session, found.id, member.id)),
        names=reports.candidate_names(found),
        summary=reports.summarise(found) if found.status == "closed" else None,
    ), (422 if error else 200)


def _ballot_body(kind: str, form: YesNoBallotForm) -> dict[str, Any] | None:
    if kind == "yes_no":
        return {"choice": form.choice.data} if form.validate_on_submit() else None
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        return None
    ranking: list[int] = []
    for position in range(1, 51):
        choice = parse_whole_number(request.form.get(f"rank_{position}", ""))
        if choice is not None:
            ranking.append(choice)
    if not ranking or len(set(ranking)) != len(ranking):
        return None
    return {"ranking": ranking}


@bp.get("/announcements")
def announcement_list() -> str:
    return render_template(
        "governance/announcements.html", announcements=announcements.latest(db.session())
    )


@bp.get("/announcements/<int:announcement_id>")
def announcement(announcement_id: int) -> str:
    return render_template(
        "governance/announcement.html",
        announcement=announcements.get(db.session(), announcement_id),
    )
