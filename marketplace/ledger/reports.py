"""Reading the ledger: the trial balance, an account's statement, the journal, and CSV files.

Read-only: nothing here writes, so pages that show these need no transaction of their own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from flask_sqlalchemy.pagination import Pagination, SelectPagination
from sqlalchemy.orm import Session, selectinload

from marketplace.errors import InvalidInput
from marketplace.ledger import core
from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount
from marketplace.pagination import two_way_paginate
from marketplace.whole_numbers import parse_whole_number

CSV_BATCH = 500
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class JournalFilters:
    date_from: date | None = None
    date_to: date | None = None
    account_id: int | None = None
    order_id: int | None = None
    kind: str | None = None

    def as_args(self) -> dict[str, Any]:
        """The filters as query-string arguments, for links (pagination, CSV)."""
        return {
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "account": self.account_id,
            "order": self.order_id,
            "kind": self.kind,
        }


def _date_arg(args: Mapping[str, str], name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            gettext("'%(name)s' must be a date such as 2026-01-31.", name=name),
            fields={name: gettext("Invalid date.")},
        ) from None


def _id_arg(args: Mapping[str, str], name: str) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    number = parse_whole_number(raw)
    if number is None:
        raise InvalidInput(
            gettext("'%(name)s' must be an id (a whole number).", name=name),
            fields={name: gettext("Invalid.")},
        )
    return number


def currency_from(raw: str | None, default: str) -> str:
    """A ``?currency=`` argument, or the co-op's own currency when there is none."""
    try:
        return core.check_currency((raw or default).strip().upper())
    except core.LedgerError:
        raise InvalidInput(
            gettext("The currency is a three-letter code such as USD."),
            fields={"currency": gettext("Invalid.")},
        ) from None


def journal_filters(args: Mapping[str, str]) -> JournalFilters:
    """Read ``date_from``, ``date_to``, ``account``, ``order`` and ``kind`` from a query string."""
    filters = JournalFilters(
        date_from=_date_arg(args, "date_from"),
        date_to=_date_arg(args, "date_to"),
        account_id=_id_arg(args, "account"),
        order_id=_id_arg(args, "order"),
        kind=(args.get("kind") or "").strip()[:32] or None,
    )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise InvalidInput(
            gettext("The start date is after the end date."),
            fields={"date_to": gettext("Before the start.")},
        )
    return filters


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _in_range(column: Any, date_from: date | None, date_to: date | None) -> list[Any]:
    """Conditions for a posted_at column within whole UTC days, both ends included."""
    conditions = []
    if date_from:
        conditions.append(column >= _start_of(date_from))
    if date_to:
        conditions.append(column < _start_of(date_to + timedelta(days=1)))
    return conditions


def kinds(session: Session) -> list[str]:
    return list(session.execute(sa.select(JournalEntry.kind).distinct().order_by("kind")).scalars())


def accounts(session: Session) -> list[LedgerAccount]:
    """Every account, shared ones first, by code, then by member number."""
    return list(
        session.execute(
            sa.select(LedgerAccount).order_by(
                LedgerAccount.code, LedgerAccount.member_id.is_not(None), LedgerAccount.member_id
            )
        ).scalars()
    )


def _side_sum(side: str) -> Any:
    return sa.func.coalesce(
        sa.func.sum(sa.case((JournalLine.side == side, JournalLine.amount_cents))), 0
    )


def trial_balance(session: Session, currency: str) -> core.TrialBalance:
    """Every account's balance in ``currency``, rolled up by code; the totals always agree."""
    sums = (
        sa.select(
            JournalLine.account_id,
            _side_sum("debit").label("debits"),
            _side_sum("credit").label("credits"),
        )
        .where(JournalLine.currency == currency)
        .group_by(JournalLine.account_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(
            LedgerAccount,
            sa.func.coalesce(sums.c.debits, 0),
            sa.func.coalesce(sums.c.credits, 0),
        ).outerjoin(sums, sums.c.account_id == LedgerAccount.id)
    ).all()
    totals = [
        core.AccountTotals(
            account_id=account.id,
            code=account.code,
            name=account.name,
            type=account.type,
            member_id=account.member_id,
            label=account.label,
            debits_cents=int(debits),
            credits_cents=int(credits),
        )
        for account, debits, credits in rows
        # A member's account appears once it has seen this currency; shared ones always do.
        if account.member_id is None or debits or credits
    ]
    return core.build_trial_balance(currency, totals)


@dataclass(frozen=True)
class StatementLine:
    line_id: int
    entry_id: int
    posted_at: datetime
    kind: str
    description: str
    order_id: int | None
    debit_cents: int
    credit_cents: int
    balance_cents: int


class _StatementPagination(SelectPagination):
    def _query_items(self) -> list[Any]:
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return [_statement_line(row) for row in self._query_args["session"].execute(select)]


def _statement_line(row: Any) -> StatementLine:
    return StatementLine(
        line_id=row.line_id,
        entry_id=row.entry_id,
        posted_at=row.posted_at,
        kind=row.kind,
        description=row.description,
        order_id=row.order_id,
        debit_cents=row.amount_cents if row.side == "debit" else 0,
        credit_cents=row.amount_cents if row.side == "credit" else 0,
        balance_cents=int(row.balance_cents),
    )


@dataclass(frozen=True)
class Statement:
    account: LedgerAccount
    currency: str
    date_from: date | None
    date_to: date | None
    opening_balance_cents: int
    closing_balance_cents: int
    lines: Pagination


def _statement_select(
    account: LedgerAccount, currency: str, date_from: date | None, date_to: date | None
) -> sa.Select[Any]:
    """The account's lines in the range, oldest first, each with the balance after it.

    The running balance is a window over all of the account's lines, so a page or a date range
    starting in the middle still shows the true balance.
    """
    debit_effect, credit_effect = (
        (JournalLine.amount_cents, -JournalLine.amount_cents)
        if account.type in core.DEBIT_NORMAL
        else (-JournalLine.amount_cents, JournalLine.amount_cents)
    )
    signed = sa.case((JournalLine.side == "debit", debit_effect), else_=credit_effect)
    order = (JournalEntry.posted_at, JournalEntry.id, JournalLine.id)
    inner = (
        sa.select(
            JournalLine.id.label("line_id"),
            JournalEntry.id.label("entry_id"),
            JournalEntry.posted_at,
            JournalEntry.kind,
            JournalEntry.description,
            JournalEntry.order_id,
            JournalLine.side,
            JournalLine.amount_cents,
            sa.func.sum(signed).over(order_by=order).label("balance_cents"),
        )
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalLine.account_id == account.id, JournalLine.currency == currency)
        .subquery()
    )
    return (
        sa.select(inner)
        .where(*_in_range(inner.c.posted_at, date_from, date_to))
        .order_by(inner.c.posted_at, inner.c.entry_id, inner.c.line_id)
    )


def balance_before(
    session: Session, account: LedgerAccount, currency: str, moment: datetime | None
) -> int:
    """The account's balance in its normal direction from lines posted before ``moment``
    (all of them when None)."""
    query = sa.select(_side_sum("debit"), _side_sum("credit")).where(
        JournalLine.account_id == account.id, JournalLine.currency == currency
    )
    if moment is not None:
        query = query.join(JournalEntry, JournalEntry.id == JournalLine.entry_id).where(
            JournalEntry.posted_at < moment
        )
    debits, credits = session.execute(query).one()
    return core.signed_balance(account.type, int(debits), int(credits))


def account_statement(
    session: Session,
    account: LedgerAccount,
    currency: str,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = 1,
    per_page: int = 100,
) -> Statement:
    """The account's lines in a date range, with the opening, running and closing balances."""
    opening = balance_before(session, account, currency, _start_of(date_from)) if date_from else 0
    closing = balance_before(
        session,
        account,
        currency,
        _start_of(date_to + timedelta(days=1)) if date_to else None,
    )
    lines = _StatementPagination(
        select=_statement_select(account, currency, date_from, date_to),
        session=session,
        page=page,
        per_page=per_page,
        error_out=False,
    )
    return Statement(account, currency, date_from, date_to, opening, closing, lines)


def _journal_select(filters: JournalFilters) -> sa.Select[Any]:
    query = sa.select(JournalEntry).where(
        *_in_range(JournalEntry.posted_at, filters.date_from, filters.date_to)
    )
    if filters.account_id is not None:
        query = query.where(
            JournalEntry.id.in_(
                sa.select(JournalLine.entry_id).where(JournalLine.account_id == filters.account_id)
            )
        )
    if filters.order_id is not None:
        query = query.where(JournalEntry.order_id == filters.order_id)
    if filters.kind:
        query = query.where(JournalEntry.kind == filters.kind)
    return query.options(selectinload(JournalEntry.lines))


def journal(session: Session, filters: JournalFilters, page: int, per_page: int) -> Pagination:
    """Entries matching the filters, newest first, each with its lines.

    The last page costs what the first does, at any length (``marketplace.pagination``).
    """
    query = _journal_select(filters)
    return two_way_paginate(
        query.order_by(JournalEntry.posted_at.desc(), JournalEntry.id.desc()),
        query.order_by(JournalEntry.posted_at.asc(), JournalEntry.id.asc()),
        session,
        page,
        per_page,
    )


def _cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula is quoted (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """CSV, a chunk per row, so a long export streams instead of filling memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(value) for value in row])
        yield buffer.getvalue()


def trial_balance_csv(balance: core.TrialBalance) -> Iterator[str]:
    def rows() -> Iterator[list[object]]:
        for row in balance.rows:
            yield [
                row.code,
                "",
                row.name,
                row.type,
                balance.currency,
                core.decimal_string(row.debit_cents),
                core.decimal_string(row.credit_cents),
                core.decimal_string(row.balance_cents),
            ]
            for account in row.accounts:
                if account.member_id is not None:
                    yield [
                        account.code,
                        account.member_id,
                        account.label,
                        account.type,
                        balance.currency,
                        "",
                        "",
                        core.decimal_string(account.balance_cents),
                    ]
        yield [
            "",
            "",
            "Total",
            "",
            balance.currency,
            core.decimal_string(balance.total_debits_cents),
            core.decimal_string(balance.total_credits_cents),
            "",
        ]

    header = ["code", "member_id", "account", "type", "currency", "debit", "credit", "balance"]
    return csv_text(header, rows())


def journal_csv(session: Session, filters: JournalFilters) -> Iterator[str]:
    """Every line of every matching entry, oldest first: one CSV row per line."""

    def rows() -> Iterator[list[object]]:
        query = _journal_select(filters).order_by(JournalEntry.id)
        last_id = 0
        while True:
            # Keyset batches: steady memory and no long-lived cursor, on either database.
            batch = list(
                session.execute(query.where(JournalEntry.id > last_id).limit(CSV_BATCH)).scalars()
            )
            if not batch:
                return
            for entry in batch:
                for line in entry.lines:
                    yield [
                        entry.id,
                        entry.posted_at.isoformat(),
                        entry.kind,
                        entry.idempotency_key,
                        entry.order_id or "",
                        entry.description,
                        line.account.code,
                        line.account.member_id or "",
                        line.account.label,
                        line.currency,
                        core.decimal_string(line.debit_cents) if line.debit_cents else "",
                        core.decimal_string(line.credit_cents) if line.credit_cents else "",
                    ]
            last_id = batch[-1].id

    header = [
        "entry_id",
        "posted_at",
        "kind",
        "idempotency_key",
        "order_id",
        "description",
        "account_code",
        "member_id",
        "account",
        "currency",
        "debit",
        "credit",
    ]
    return csv_text(header, rows())


def statement_csv(
    session: Session,
    account: LedgerAccount,
    currency: str,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Iterator[str]:
    def rows() -> Iterator[list[object]]:
        select = _statement_select(account, currency, date_from, date_to)
        for row in session.execute(select):
            line = _statement_line(row)
            yield [
                line.entry_id,
                line.posted_at.isoformat(),
                line.kind,
                line.order_id or "",
                line.description,
                currency,
                core.decimal_string(line.debit_cents) if line.debit_cents else "",
                core.decimal_string(line.credit_cents) if line.credit_cents else "",
                core.decimal_string(line.balance_cents),
            ]

    header = [
        "entry_id",
        "posted_at",
        "kind",
        "order_id",
        "description",
        "currency",
        "debit",
        "credit",
        "balance",
    ]
    return csv_text(header, rows())
