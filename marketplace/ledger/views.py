"""Admin pages of the ledger: the trial balance, the journal, account statements, CSV files."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_sqlalchemy.pagination import Pagination

from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.ledger import core, display, reports, services
from marketplace.ledger.account_choices import journal_account_choices
from marketplace.ledger.kinds import ENTRY_KINDS
from marketplace.web_support import role_required
from marketplace.whole_numbers import page_arg

bp = Blueprint("ledger", __name__, url_prefix="/admin/ledger")
PER_PAGE = 50
# An entry shows all its lines (six, often): 25 entries are some 150 rows, a page's worth to
# read, and half the ORM objects and HTML of 50 (its p95 at 1,000,000 entries was over 100 ms).
JOURNAL_PER_PAGE = 25


@bp.before_request
@role_required("admin")
def require_admin() -> None:
    """Every page here is for admins only."""


@bp.context_processor
def ledger_helpers() -> dict[str, Any]:
    return {
        "money": display.money,
        "chart": core.CHART,
        "account_name": display.account_name,
        "account_label": display.account_label,
        "account_type": display.account_type,
        "kind_words": display.entry_kind,
        "short_date": display.short_date,
    }


def _page() -> int:
    return page_arg()


def currency_arg() -> str:
    """``?currency=`` or the co-op's own currency."""
    return reports.currency_from(request.args.get("currency"), current_app.config["CURRENCY"])


def _csv(chunks: Iterator[str], filename: str) -> Response:
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/")
def trial_balance() -> str:
    currency = currency_arg()
    return render_template(
        "ledger/trial_balance.html",
        balance=services.trial_balance(db.session(), currency),
        currency=currency,
    )


@bp.get("/trial-balance.csv")
def trial_balance_csv() -> Response:
    currency = currency_arg()
    balance = services.trial_balance(db.session(), currency)
    return _csv(services.trial_balance_csv(balance), f"trial-balance-{currency}.csv")


def _filters() -> tuple[reports.JournalFilters, str | None]:
    try:
        return services.journal_filters(request.args), None
    except InvalidInput as error:
        return reports.JournalFilters(), error.message


_SOME_ACCOUNT, _SOME_CURRENCY = 987654321, "XYZ"  # stand for a line's in an address built once


def line_accounts(entries: Pagination) -> dict[tuple[int, str], tuple[str, str]]:
    """Each (account, currency) of the page's lines: its statement's address, exactly what
    ``url_for("ledger.account", account_id=…, currency=…)`` gives, and its label in the reader's
    language. Worked out once per account, not per line: fifty entries have some 400 lines
    and far fewer accounts, and a ``url_for`` per line was a quarter of the page's CPU. Ids are
    digits and currencies three capitals, which no URL encoding changes."""
    pattern = url_for("ledger.account", account_id=_SOME_ACCOUNT, currency=_SOME_CURRENCY)
    found: dict[tuple[int, str], tuple[str, str]] = {}
    for entry in entries.items:
        for line in entry.lines:
            key = (line.account_id, line.currency)
            if key not in found:
                href = pattern.replace(str(_SOME_ACCOUNT), str(line.account_id), 1)
                href = href.replace(_SOME_CURRENCY, line.currency, 1)
                found[key] = (href, display.account_label(line.account.label))
    return found


@bp.get("/journal")
def journal() -> str:
    filters, problem = _filters()
    session = db.session()
    entries = services.journal(session, filters, _page(), JOURNAL_PER_PAGE)
    return render_template(
        "ledger/journal.html",
        entries=entries,
        line_accounts=line_accounts(entries),
        filters=filters,
        problem=problem,
        # The shared accounts and the members searched for, not every member's accounts; the
        # kinds the books know (their registry), not a DISTINCT over every entry.
        accounts=journal_account_choices(session, filters.account_id, request.args.get("member")),
        kinds=sorted(ENTRY_KINDS),
    )


@bp.get("/journal.csv")
def journal_csv() -> Response:
    filters = services.journal_filters(request.args)
    return _csv(services.journal_csv(db.session(), filters), "journal.csv")


@bp.get("/accounts/<int:account_id>")
def account(account_id: int) -> str:
    filters, problem = _filters()
    session = db.session()
    account = services.get_account(session, account_id)
    currency = currency_arg()
    statement = services.account_statement(
        session,
        account,
        currency,
        date_from=filters.date_from,
        date_to=filters.date_to,
        page=_page(),
        per_page=PER_PAGE,
    )
    return render_template(
        "ledger/account.html",
        account=account,
        statement=statement,
        filters=filters,
        problem=problem,
        currency=currency,
    )


@bp.get("/accounts/<int:account_id>/statement.csv")
def account_csv(account_id: int) -> Response:
    filters = services.journal_filters(request.args)
    session = db.session()
    account = services.get_account(session, account_id)
    currency = currency_arg()
    chunks = services.statement_csv(
        session, account, currency, date_from=filters.date_from, date_to=filters.date_to
    )
    suffix = f"-member-{account.member_id}" if account.member_id else ""
    return _csv(chunks, f"statement-{account.code}{suffix}-{currency}.csv")
