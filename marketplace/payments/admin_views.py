"""Admin pages for money coming in: orders and refunds, Stripe events, reconciliation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from marketplace.errors import AppError
from marketplace.extensions import db
from marketplace.orders.api import licences_for
from marketplace.orders.models import ORDER_STATUSES, Order
from marketplace.orders.tax_report import tax_report, tax_report_csv
from marketplace.pagination import two_way_paginate
from marketplace.payments import reconciliation, services
from marketplace.payments.models import EVENT_STATUSES, Refund, StripeEvent
from marketplace.payments.refunds import request_refund
from marketplace.web_support import role_required
from marketplace.whole_numbers import page_arg, parse_whole_number

bp = Blueprint("payments_admin", __name__, url_prefix="/admin")
PER_PAGE = 50


@bp.before_request
@role_required("admin")
def require_admin() -> None:
    """Every page here is for admins only."""


def _page() -> int:
    return page_arg()


@bp.get("/orders")
def orders() -> str:
    status = request.args.get("status") or None
    # Each row names its buyer: all fifty in one more query, not one each.
    statement = sa.select(Order).options(selectinload(Order.buyer))
    if status in ORDER_STATUSES:
        statement = statement.where(Order.status == status)
    # The last of 500,000 orders costs what the first page does (marketplace.pagination).
    page = two_way_paginate(
        statement.order_by(Order.id.desc()),
        statement.order_by(Order.id.asc()),
        db.session(),
        _page(),
        PER_PAGE,
    )
    return render_template(
        "payments/admin_orders.html", orders=page, status=status, statuses=ORDER_STATUSES
    )


@bp.get("/orders/<int:order_id>")
def order(order_id: int) -> str:
    found = db.get_or_404(Order, order_id)
    refunds = db.session.execute(
        sa.select(Refund).where(Refund.order_id == found.id).order_by(Refund.id)
    ).scalars()
    licences = {lic.id: lic for lic in licences_for(found)}
    return render_template(
        "payments/admin_order.html", order=found, refunds=list(refunds), licences=licences
    )


@bp.post("/orders/<int:order_id>/refund")
def refund(order_id: int) -> Response:
    numbers = (parse_whole_number(i) for i in request.form.getlist("items"))
    item_ids = [number for number in numbers if number is not None]
    # Everything left only when asked for by name: an empty selection is a mistake.
    if not item_ids and request.form.get("scope") != "all":
        flash(gettext("Tick the items to refund, or use “Refund everything left”."), "error")
        return redirect(url_for("payments_admin.order", order_id=order_id))
    try:
        requested = request_refund(current_user, order_id, None if not item_ids else item_ids)
    except AppError as error:
        flash(error.message, "error")
    else:
        flash(
            gettext(
                "Refund of %(count)s item(s) sent to Stripe; the order changes once Stripe "
                "confirms it.",
                count=len(requested.item_ids),
            ),
            "success",
        )
    return redirect(url_for("payments_admin.order", order_id=order_id))


@bp.get("/payments/events")
def events() -> str:
    status = request.args.get("status") or None
    statement = sa.select(StripeEvent).order_by(StripeEvent.received_at.desc())
    if status in EVENT_STATUSES:
        statement = statement.where(StripeEvent.status == status)
    page = db.paginate(statement, page=_page(), per_page=PER_PAGE, error_out=False)
    return render_template(
        "payments/admin_events.html", events=page, status=status, statuses=EVENT_STATUSES
    )


@bp.post("/payments/events/<event_id>/rerun")
def rerun(event_id: str) -> Response:
    try:
        services.rerun_event(event_id)
    except AppError as error:
        flash(error.message, "error")
    else:
        flash(gettext("Event %(event)s queued again.", event=event_id), "success")
    return redirect(url_for("payments_admin.events"))


@bp.get("/payments/reconciliation")
def reconciliation_issues() -> str:
    return render_template(
        "payments/admin_reconciliation.html",
        issues=reconciliation.open_issues(),
        yesterday=date.today() - timedelta(days=1),
    )


@bp.post("/payments/reconciliation")
def reconcile() -> Response:
    try:
        day = date.fromisoformat(request.form.get("day") or "")
    except ValueError:
        flash(gettext("Pick a day to compare, as YYYY-MM-DD."), "error")
        return redirect(url_for("payments_admin.reconciliation_issues"))
    found = reconciliation.reconcile_day(day)
    flash(
        gettext(
            "Compared %(day)s with Stripe: %(count)s new difference(s).",
            day=day.isoformat(),
            count=found,
        ),
        "success",
    )
    return redirect(url_for("payments_admin.reconciliation_issues"))


@bp.get("/payments/sales-tax")
def sales_tax() -> Response | str:
    """The sales tax report for a period (this month until today by default), as a page or,
    with ``?format=csv``, the CSV the API gives."""
    today = date.today()
    try:
        start = date.fromisoformat(
            request.args.get("period_start") or today.replace(day=1).isoformat()
        )
        end = date.fromisoformat(request.args.get("period_end") or today.isoformat())
    except ValueError:
        flash(gettext("Give the period's first and last days as YYYY-MM-DD."), "error")
        return redirect(url_for("payments_admin.sales_tax"))
    if end < start:
        flash(gettext("The period ends before it starts."), "error")
        return redirect(url_for("payments_admin.sales_tax"))
    rows = tax_report(
        db.session(),
        datetime.combine(start, time.min, UTC),
        datetime.combine(end + timedelta(days=1), time.min, UTC),
    )
    if request.args.get("format") == "csv":
        return Response(
            tax_report_csv(rows),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="sales-tax-{start}-{end}.csv"'},
        )
    return render_template("payments/admin_sales_tax.html", rows=rows, start=start, end=end)
