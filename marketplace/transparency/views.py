"""Pages: the public open books (no sign-in) and the members' annual report with its CSV."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_compact_currency
from flask import Blueprint, Response, abort, current_app, render_template, stream_with_context
from flask_babel import gettext
from flask_login import current_user, login_required
from markupsafe import Markup

from marketplace.database import utcnow
from marketplace.dividends import statement_words
from marketplace.extensions import db
from marketplace.i18n import formats
from marketplace.ledger import display
from marketplace.ledger.core import format_cents
from marketplace.transparency import annual_report, charts, core, figures
from marketplace.transparency import votes as votes_section
from marketplace.transparency.annual_report_pdf import annual_report_pdf as render_annual_report_pdf
from marketplace.transparency.core import OpenBooks

bp = Blueprint("transparency", __name__)


@bp.context_processor
def transparency_helpers() -> dict[str, Any]:
    return {
        "money": display.money,
        "decimal": display.decimal,
        "account_name": display.account_name,
        "account_type": display.account_type,
        "basis_names": statement_words.basis_names(),
        "run_status_words": statement_words.run_status_words(),
        "result_words": votes_section.result_words(),
        "kind_words": votes_section.kind_words(),
        "choice_words": votes_section.choice_words(),
    }


def _currency() -> str:
    return str(current_app.config["CURRENCY"])


def compact_money(cents: int, currency: str) -> str:
    """An axis value in a few characters: ``$950``, ``$12.3k``, ``$1.2M`` (whole units,
    rounded down; integer arithmetic). The exact figures are in the tooltips and tables.
    Other languages than English take CLDR's compact form ("12 k €")."""
    where = formats.reader_locale()
    if where.language != "en":
        whole = (abs(cents) // 100) * (-1 if cents < 0 else 1)
        return format_compact_currency(whole, currency, locale=where, fraction_digits=1)
    units = abs(cents) // 100
    size, suffix = next(
        ((size, suffix) for size, suffix in ((1_000_000, "M"), (1_000, "k")) if units >= size),
        (1, ""),
    )
    tenths = units * 10 // size
    number = str(tenths // 10)
    if suffix and tenths < 1000 and tenths % 10:
        number += f".{tenths % 10}"
    # The currency's symbol and sign, as the ledger writes them: "$0.00" -> "$", "−€0.01" -> "−€".
    sign_and_symbol = format_cents(-1 if cents < 0 else 0, currency)
    sign_and_symbol = sign_and_symbol.replace("0.01", "").replace("0.00", "")
    return f"{sign_and_symbol}{number}{suffix}"


def open_books_charts(books: OpenBooks) -> dict[str, Markup]:
    """The page's charts, as inline SVG; every figure is also in a table on the page."""
    month_names = display.month_abbreviations()
    labels = [month_names[int(m.label[5:7]) - 1] for m in books.months]

    def money(cents: int) -> str:
        return display.money(cents, books.currency)

    def count(value: int) -> str:
        return display.decimal(value)

    def tick(cents: int) -> str:
        return compact_money(cents, books.currency)

    def series(name: str, field: str) -> charts.Series:
        return charts.Series(name, tuple(m.figure(field) for m in books.months))

    year = books.year
    classes = list(books.total.members_by_class)
    member_series = [
        charts.Series(code, tuple(m.members_by_class.get(code, 0) for m in books.months))
        for code in classes[: charts.MAX_SERIES - 1]
    ]
    member_series.append(
        charts.Series(gettext("All members"), tuple(m.members_total for m in books.months))
    )
    drawn = {
        "sales": charts.bar_chart(
            "chart-sales",
            gettext("Sales and royalties by month, %(year)s", year=year),
            gettext(
                "For each month, licence sales net of refunds, and the artists' share of them."
            ),
            labels,
            [
                series(gettext("Sales"), "sales_cents"),
                series(gettext("Royalties to artists"), "royalties_cents"),
            ],
            money,
            tick,
        ),
        "dividends": charts.bar_chart(
            "chart-dividends",
            gettext("Patronage dividends by month, %(year)s", year=year),
            gettext(
                "For each month, dividends paid to members in cash and allocated as member capital."
            ),
            labels,
            [
                series(gettext("Paid in cash"), "dividends_cash_cents"),
                series(gettext("Retained as capital"), "dividends_retained_cents"),
            ],
            money,
            tick,
        ),
        "reserves": charts.line_chart(
            "chart-reserves",
            gettext("Reserves at the end of each month, %(year)s", year=year),
            gettext("The balance of the co-op's reserves account at each month's end."),
            labels,
            [series(gettext("Reserves"), "reserves_cents")],
            money,
            tick,
        ),
        "members": charts.line_chart(
            "chart-members",
            gettext("Members at the end of each month, %(year)s", year=year),
            gettext("How many members the co-op had at each month's end, by class and in all."),
            labels,
            member_series,
            count,
        ),
        "assets": charts.line_chart(
            "chart-assets",
            gettext("Works on sale at the end of each month, %(year)s", year=year),
            gettext("How many photos and videos were published and on sale at each month's end."),
            labels,
            [
                charts.Series(
                    gettext("Works on sale"), tuple(m.assets_published for m in books.months)
                )
            ],
            count,
        ),
    }
    # Safe: charts.py escapes every piece of text it puts in the SVG.
    return {name: Markup(svg) for name, svg in drawn.items()}  # noqa: S704


def _open_books_page(year: int | None) -> str:
    try:
        books = figures.cached_open_books(db.session(), _currency(), year, figures.cache_seconds())
    except core.BadYear:
        abort(404)
    # A quiet year asked for by address still appears in the picker, as the current page.
    years = sorted({*books.years, books.year}, reverse=True)
    return render_template(
        "transparency/open_books.html",
        books=books,
        years=years,
        charts=open_books_charts(books),
        month_names=display.month_abbreviations(),
    )


@bp.get("/open-books")
def open_books() -> str:
    """The latest year with ledger activity."""
    return _open_books_page(None)


@bp.get("/open-books/<int:year>")
def open_books_year(year: int) -> str:
    return _open_books_page(year)


def _report_for_member(year: int) -> annual_report.AnnualReport:
    """The year's report, for active members and admins only (others: 403)."""
    if "member" not in current_user.roles and "admin" not in current_user.roles:
        abort(403)
    now = utcnow()
    try:
        core.months_shown(year, now.date())
    except core.BadYear:
        abort(404)
    return annual_report.annual_report(db.session(), year, _currency(), now)


@bp.get("/members/annual-report/<int:year>")
@login_required
def annual_report_page(year: int) -> str:
    report = _report_for_member(year)
    return render_template("transparency/annual_report.html", report=report)


@bp.get("/members/annual-report/<int:year>.pdf")
@login_required
def annual_report_pdf(year: int) -> Response:
    report = _report_for_member(year)
    pdf = render_annual_report_pdf(report, current_app.config["CO_OP_NAME"])
    response = Response(pdf, mimetype="application/pdf")
    response.headers.set("Content-Disposition", "inline", filename=f"annual-report-{year}.pdf")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/members/annual-report/<int:year>.csv")
@login_required
def annual_report_csv(year: int) -> Response:
    report = _report_for_member(year)
    return Response(
        stream_with_context(annual_report.report_csv(report)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="annual-report-{year}.csv"'},
    )
