"""Pages: the admins' dividend runs (draft, approve, pay, progress) and members' statements."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from marketplace.admin.services import admin_count
from marketplace.dividends import (
    core,
    held_cash,
    paying,
    periods,
    qualification,
    redemptions,
    schemas,
    services,
    statement_words,
    statements,
)
from marketplace.dividends.statement_pdf import statement_pdf as render_statement_pdf
from marketplace.errors import AppError, InvalidInput
from marketplace.extensions import db
from marketplace.ledger import display
from marketplace.membership import consent
from marketplace.web_support import role_required
from marketplace.whole_numbers import parse_whole_number

bp = Blueprint("dividends_admin", __name__, url_prefix="/admin/dividends")
account_bp = Blueprint("dividends", __name__, url_prefix="/account/dividends")


@bp.before_request
@role_required("admin")
def require_admin() -> None:
    """Every page here is for admins only."""


@bp.context_processor
@account_bp.context_processor
def dividend_helpers() -> dict[str, Any]:
    return {
        "money": display.money,
        "pct": _pct,
        "basis_words": statement_words.basis_words(),
        "cash_words": statement_words.words(statement_words.CASH_WORDS),
        "distribution": statement_words.distribution,
        "loss_policy_words": statement_words.loss_policy_words,
        "status_label": display.status_label,
        "day": display.day,
        "run_reason": statement_words.run_reason,
        "deadline_of": qualification.deadline_of,
        "late_notice": qualification.late_notice,
    }


def _pct(bps: int) -> str:
    """A share in basis points as the number before " %": "12.5" (en), "12,5" (fr)."""
    return display.decimal(core.bps_pct(bps))


def _cents_from_form(raw: str) -> int | None:
    """``"1,234.50"`` -> ``123450``: the form takes money in units, the service in cents;
    blank -> None (the run reads its operating costs from the ledger)."""
    if not (raw or "").strip():
        return None
    try:
        amount = Decimal((raw or "0").replace(",", "").strip() or "0")
    except InvalidOperation:
        raise InvalidInput(gettext("Operating costs must be an amount like 1234.50.")) from None
    cents = amount * 100
    if not amount.is_finite() or amount < 0 or cents != cents.to_integral_value():
        raise InvalidInput(gettext("Operating costs must be an amount of 0 or more, to the cent."))
    return int(cents)


def _runs_page(form_values: dict[str, Any] | None = None, error: str | None = None) -> str:
    """The runs and the draft form: its values as the admin sent them, or the suggested period."""
    session = db.session()
    suggested = periods.suggest_period(session)
    defaults: dict[str, Any] = {
        "period_start": suggested.start.isoformat(),
        "period_end": suggested.end.isoformat(),
        "close_books_now": suggested.close_books_now,
        "operating_costs": "",
        "operating_costs_note": "",
        "reserve_pct": "10",
        "cash_pct": "20",
    }
    return render_template(
        "dividends/runs.html",
        runs=services.list_runs(session),
        banner=services.deadline_banner(session),
        suggested=suggested,
        admin_count=admin_count(),
        defaults={**defaults, **(form_values or {})},
        error=error,
    )


@bp.get("/")
def runs() -> str:
    return _runs_page()


@bp.post("/")
def open_run() -> BaseResponse | tuple[str, int]:
    form = request.form
    sent: dict[str, Any] = {
        name: form.get(name, "")
        for name in (
            "period_start",
            "period_end",
            "operating_costs",
            "operating_costs_note",
            "reserve_pct",
            "cash_pct",
        )
    }
    sent["close_books_now"] = form.get("close_books_now") == "1"
    try:
        body: dict[str, Any] = {
            "period_start": sent["period_start"],
            "period_end": sent["period_end"],
            "operating_costs_cents": _cents_from_form(sent["operating_costs"]),
            "operating_costs_note": sent["operating_costs_note"],
            "reserve_pct": sent["reserve_pct"].strip(),
            "cash_pct": sent["cash_pct"].strip() or "20",
            # The books close at this moment only when the admin said so (the service checks).
            "close_books_now": sent["close_books_now"],
        }
        run_request = schemas.run_request(body)
        periods.refuse_open_period(run_request.period_end, sent["close_books_now"])
        run = services.draft_run(current_user, run_request)
    except AppError as error:
        # The form again, as sent, with the reason: nothing typed is lost.
        return _runs_page(sent, error.message), error.status
    flash(
        gettext("Dividend run %(id)s drafted: another admin must approve it.", id=run.id),
        "success",
    )
    return redirect(url_for("dividends_admin.run", run_id=run.id))


@bp.get("/<int:run_id>")
def run(run_id: int) -> str:
    session = db.session()
    dividend_run = services.get_run(session, run_id)
    allocations = dividend_run.allocations
    return render_template(
        "dividends/run.html",
        run=dividend_run,
        progress=paying.progress(session, run_id),
        largest=max((a.allocation_cents for a in allocations), default=0),
        held=held_cash.held_allocations(session, run_id),
        past_deadline=dividend_run.status not in services.FINISHED
        and periods.today_utc() > qualification.deadline_of(dividend_run),
        can_approve=dividend_run.status == "draft"
        and dividend_run.drafted_by_id != current_user.id,
    )


@bp.get("/<int:run_id>/progress.json")
def progress(run_id: int) -> dict[str, Any]:
    session = db.session()
    dividend_run = services.get_run(session, run_id)
    return {"status": dividend_run.status, **paying.progress(session, run_id)}


@bp.get("/<int:run_id>/allocations.csv")
def allocations_csv(run_id: int) -> Response:
    dividend_run = services.get_run(db.session(), run_id)
    return Response(
        stream_with_context(schemas.allocations_csv(dividend_run)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="dividend-run-{run_id}-allocations.csv"'
        },
    )


def _act(run_id: int, action: str) -> BaseResponse:
    late_reason = request.form.get("late_reason", "")
    try:
        if action == "approve":
            done = paying.approve_run(current_user, run_id, late_reason)
            flash(gettext("Approved: the run's entries are posted to the ledger."), "success")
            _flash_late(done)
        elif action == "pay":
            done = paying.pay_run(current_user, run_id, late_reason)
            flash(gettext("Paying: one transfer per member is on its way."), "success")
            _flash_late(done)
        else:
            services.discard_draft(current_user, run_id)
            flash(gettext("The draft is discarded."), "success")
            return redirect(url_for("dividends_admin.runs"))
    except AppError as error:
        flash(error.message, "error")
    return redirect(url_for("dividends_admin.run", run_id=run_id))


def _flash_late(run: Any) -> None:
    notice = qualification.late_notice(run)
    if notice:
        flash(notice, "info" if run.late_reason else "error")


@bp.post("/<int:run_id>/allocations/<int:allocation_id>/paid-other-means")
def paid_other_means(run_id: int, allocation_id: int) -> BaseResponse:
    try:
        done = held_cash.record_other_payment(
            current_user, run_id, allocation_id, request.form.get("reference", "")
        )
    except AppError as error:
        flash(error.message, "error")
    else:
        flash(
            gettext(
                "Member %(number)s's cash is recorded as paid by other means.",
                number=done.member_number,
            ),
            "success",
        )
    return redirect(url_for("dividends_admin.run", run_id=run_id))


@bp.post("/<int:run_id>/allocations/<int:allocation_id>/unpaid")
def cash_unpaid(run_id: int, allocation_id: int) -> BaseResponse:
    try:
        done = held_cash.record_unpaid(
            current_user, run_id, allocation_id, request.form.get("reason", "")
        )
    except AppError as error:
        flash(error.message, "error")
    else:
        flash(
            gettext("Member %(number)s's cash is recorded as not paid.", number=done.member_number),
            "info",
        )
    return redirect(url_for("dividends_admin.run", run_id=run_id))


@bp.post("/consents")
def record_paper_consent() -> BaseResponse:
    try:
        number = parse_whole_number(request.form.get("member_number", "").strip(), 1, 2**31 - 1)
        if number is None:
            raise InvalidInput(gettext("Give the member's number."))
        consent.record_paper_consent(current_user, number, request.form.get("note", ""))
    except AppError as error:
        flash(error.message, "error")
    else:
        flash(gettext("Member %(number)s's signed consent is recorded.", number=number), "success")
    return redirect(url_for("dividends_admin.runs"))


@bp.post("/<int:run_id>/approve")
def approve(run_id: int) -> BaseResponse:
    return _act(run_id, "approve")


@bp.post("/<int:run_id>/pay")
def pay(run_id: int) -> BaseResponse:
    return _act(run_id, "pay")


@bp.post("/<int:run_id>/discard")
def discard(run_id: int) -> BaseResponse:
    return _act(run_id, "discard")


@bp.post("/<int:run_id>/pay-held")
def pay_held(run_id: int) -> BaseResponse:
    try:
        queued = paying.pay_held(current_user, run_id)
    except AppError as error:
        flash(error.message, "error")
    else:
        if queued:
            flash(
                gettext("%(count)s held allocation(s) queued for payment.", count=queued),
                "success",
            )
        else:
            flash(gettext("No held member of this run has a payout account ready yet."), "info")
    return redirect(url_for("dividends_admin.run", run_id=run_id))


@bp.get("/redemptions", endpoint="redemptions")
def redemptions_page() -> str:
    session = db.session()
    return render_template(
        "dividends/redemptions.html",
        runs=redemptions.list_redemptions(session),
        outstanding=redemptions.outstanding_by_year(session),
    )


@bp.post("/redemptions")
def draft_redemption() -> BaseResponse:
    form = request.form
    try:
        year = parse_whole_number(form.get("year", "").strip(), 1900, 9999)
        if year is None:
            raise InvalidInput(gettext("Choose a year like 2025."))
        pct = None if form.get("share") == "all" else form.get("pct", "").strip()
        if pct == "":
            raise InvalidInput(gettext("Give the percentage to redeem, or choose all of it."))
        run = redemptions.draft_redemption(
            current_user,
            year,
            pct,
            allow_out_of_order=form.get("allow_out_of_order") == "1",
        )
    except AppError as error:
        flash(error.message, "error")
        return redirect(url_for("dividends_admin.redemptions"))
    flash(gettext("Redemption %(id)s drafted: check it, then pay it.", id=run.id), "success")
    return redirect(url_for("dividends_admin.redemption", run_id=run.id))


@bp.get("/redemptions/<int:run_id>")
def redemption(run_id: int) -> str:
    session = db.session()
    return render_template(
        "dividends/redemption.html",
        run=redemptions.get_redemption(session, run_id),
        progress=redemptions.progress(session, run_id),
    )


@bp.post("/redemptions/<int:run_id>/approve")
def approve_redemption(run_id: int) -> BaseResponse:
    try:
        redemptions.approve_redemption(current_user, run_id)
        flash(gettext("Approved: the redemption can now be paid."), "success")
    except AppError as error:
        flash(error.message, "error")
    return redirect(url_for("dividends_admin.redemption", run_id=run_id))


@bp.post("/redemptions/<int:run_id>/pay")
def pay_redemption(run_id: int) -> BaseResponse:
    try:
        redemptions.pay_redemption(current_user, run_id)
        flash(
            gettext("Paying: the redemption is posted and one transfer per line is on its way."),
            "success",
        )
    except AppError as error:
        flash(error.message, "error")
    return redirect(url_for("dividends_admin.redemption", run_id=run_id))


@bp.post("/redemptions/<int:run_id>/pay-held")
def pay_held_redemption(run_id: int) -> BaseResponse:
    queued = redemptions.pay_held(current_user, run_id)
    flash(
        gettext("%(count)s held line(s) queued for payment.", count=queued),
        "success" if queued else "info",
    )
    return redirect(url_for("dividends_admin.redemption", run_id=run_id))


@bp.post("/redemptions/<int:run_id>/discard")
def discard_redemption(run_id: int) -> BaseResponse:
    try:
        redemptions.discard_redemption(current_user, run_id)
    except AppError as error:
        flash(error.message, "error")
        return redirect(url_for("dividends_admin.redemption", run_id=run_id))
    flash(gettext("The draft redemption is discarded."), "success")
    return redirect(url_for("dividends_admin.redemptions"))


@account_bp.get("/")
@login_required
def my_statements() -> str:
    return render_template(
        "dividends/statements.html", statements=statements.for_user(db.session(), current_user)
    )


@account_bp.get("/<int:run_id>")
@login_required
def statement(run_id: int) -> str:
    return render_template(
        "dividends/statement.html",
        statement=statements.statement_for(db.session(), current_user, run_id),
        patr_lines=statement_words.patr_lines,
    )


@account_bp.route("/consent", methods=["GET", "POST"])
@role_required("member")
def patronage_consent() -> BaseResponse | str:
    """The member agreement's consent clause, and the member's consent (given once)."""
    if request.method == "POST":
        if request.form.get("confirm") != "1":
            flash(gettext("Tick the box to confirm that you consent."), "error")
        else:
            try:
                consent.give_consent(current_user, request.form.get("version", ""))
            except AppError as error:
                flash(error.message, "error")
            else:
                flash(gettext("Thank you: your consent is recorded."), "success")
        return redirect(url_for("dividends.patronage_consent"))
    member = consent.member_of_user(db.session(), current_user)
    return render_template(
        "dividends/consent.html",
        consent=consent.consent_of(db.session(), member.id) if member else None,
        version=consent.AGREEMENT_VERSION,
        clause=consent.clause(consent.AGREEMENT_VERSION),
    )


@account_bp.get("/<int:run_id>.pdf")
@login_required
def statement_pdf(run_id: int) -> Response:
    found = statements.statement_for(db.session(), current_user, run_id)
    pdf = render_statement_pdf(found, current_app.config["CO_OP_NAME"], current_user.display_name)
    response = Response(pdf, mimetype="application/pdf")
    response.headers.set(
        "Content-Disposition", "inline", filename=f"dividend-statement-{run_id}.pdf"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
