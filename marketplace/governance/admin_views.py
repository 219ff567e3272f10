"""Admins' governance pages: put a proposal to a vote, call an election, post an announcement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectChoice

from marketplace.errors import AppError
from marketplace.extensions import db
from marketplace.governance import announcements, proposals, votes
from marketplace.governance.forms import AnnouncementForm, ElectionForm, VoteTermsForm
from marketplace.membership.models import Member, MemberClass
from marketplace.web_support import form_status, role_required, show_error_on_form

bp = Blueprint("governance_admin", __name__, url_prefix="/admin/governance")


@bp.before_request
@role_required("admin")
def require_admin() -> None:
    """Every page here is for admins only."""


def _as_utc(moment: datetime | None) -> datetime:
    # The form's datetime-local has no zone; the label says UTC.
    return (moment or datetime.now(UTC)).replace(tzinfo=UTC)


def _default_close() -> datetime:
    days = int(current_app.config["VOTE_DEFAULT_DAYS"])
    return (datetime.now(UTC) + timedelta(days=days)).replace(second=0, microsecond=0)


@bp.get("")
def index() -> str:
    session = db.session()
    return render_template(
        "governance/admin_index.html",
        proposals=proposals.list_visible(session, current_user),
        votes=votes.list_votes(session),
    )


@bp.route("/proposals/<int:proposal_id>/vote", methods=["GET", "POST"])
def put_to_vote(proposal_id: int) -> str | BaseResponse | tuple[str, int]:
    proposal = proposals.get_visible(db.session(), current_user, proposal_id)
    # Say why before the admin fills in the form: a draft (their own) cannot go to a vote.
    if proposal.status == "draft":
        votes.check_can_go_to_vote(proposal)
    form = VoteTermsForm()
    if not form.is_submitted():
        form.closes_at.data = _default_close()
        form.quorum_pct.data = int(current_app.config["VOTE_DEFAULT_QUORUM_PCT"])
    if form.validate_on_submit():
        terms = votes.VoteTerms(
            closes_at=_as_utc(form.closes_at.data),
            quorum_pct=form.quorum_pct.data or 0,
            majority=form.majority.data or "simple",
        )
        try:
            vote = votes.put_proposal_to_vote(current_user, proposal_id, terms)
        except AppError as error:
            show_error_on_form(form, error)
        else:
            flash(gettext("The vote is open and members are being told by email."), "success")
            return redirect(url_for("governance.vote", vote_id=vote.id))
    return render_template(
        "governance/admin_put_to_vote.html", form=form, proposal=proposal
    ), form_status(form)


@bp.route("/elections/new", methods=["GET", "POST"])
def new_election() -> str | BaseResponse | tuple[str, int]:
    session = db.session()
    form = ElectionForm()
    classes = list(session.execute(sa.select(MemberClass).order_by(MemberClass.id)).scalars())
    form.member_class.choices = [SelectChoice(c.code, c.name) for c in classes]
    members = session.execute(
        sa.select(Member).where(Member.status == "active").order_by(Member.member_number)
    ).scalars()
    form.candidates.choices = [(m.id, f"{m.display_name} ({m.member_class.name})") for m in members]
    if not form.is_submitted():
        form.closes_at.data = _default_close()
        form.quorum_pct.data = int(current_app.config["VOTE_DEFAULT_QUORUM_PCT"])
    if form.validate_on_submit():
        request = votes.ElectionRequest(
            title=form.title.data or "",
            member_class_code=form.member_class.data or "",
            seats=form.seats.data,
            candidate_member_ids=list(form.candidates.data or []),
            terms=votes.VoteTerms(
                closes_at=_as_utc(form.closes_at.data), quorum_pct=form.quorum_pct.data or 0
            ),
        )
        try:
            vote = votes.create_election(current_user, request)
        except AppError as error:
            show_error_on_form(form, error)
        else:
            flash(
                gettext("The election is open and the class's members are being told."), "success"
            )
            return redirect(url_for("governance.vote", vote_id=vote.id))
    return render_template("governance/admin_election.html", form=form), form_status(form)


@bp.route("/announcements/new", methods=["GET", "POST"])
def new_announcement() -> str | BaseResponse | tuple[str, int]:
    form = AnnouncementForm()
    if form.validate_on_submit():
        try:
            posted = announcements.post(current_user, form.title.data or "", form.body.data or "")
        except AppError as error:
            show_error_on_form(form, error)
        else:
            flash(gettext("Announcement posted; every active member is being emailed."), "success")
            return redirect(url_for("governance.announcement", announcement_id=posted.id))
    return render_template("governance/admin_announcement.html", form=form), form_status(form)
