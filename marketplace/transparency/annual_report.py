"""The members' annual report: the trial balance at the year end, the dividend policy in force,
the year's dividend runs and the votes held, on a page and as one CSV file.

Read-only, like the ledger's reports. Per-member accounts appear only rolled up into their
chart code: members see the co-op's books, not each other's balances.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.dividends import core as dividends_core
from marketplace.dividends.models import DividendAllocation, DividendRun
from marketplace.ledger import core as ledger_core
from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount
from marketplace.ledger.reports import csv_text
from marketplace.membership.models import MemberClass
from marketplace.transparency import votes as votes_section


def _start_of_year(year: int) -> datetime:
    return datetime.combine(date(year, 1, 1), time.min, tzinfo=UTC)


def trial_balance_at(session: Session, currency: str, before: datetime) -> ledger_core.TrialBalance:
    """The trial balance of lines posted before ``before``: ``reports.trial_balance`` as of a
    moment (every account that had a line by then, the shared ones always)."""
    debits = sa.func.coalesce(
        sa.func.sum(sa.case((JournalLine.side == "debit", JournalLine.amount_cents), else_=0)), 0
    )
    credits = sa.func.coalesce(
        sa.func.sum(sa.case((JournalLine.side == "credit", JournalLine.amount_cents), else_=0)), 0
    )
    sums = (
        sa.select(JournalLine.account_id, debits.label("debits"), credits.label("credits"))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalLine.currency == currency, JournalEntry.posted_at < before)
        .group_by(JournalLine.account_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(
            LedgerAccount.id,
            LedgerAccount.code,
            LedgerAccount.name,
            LedgerAccount.type,
            LedgerAccount.member_id,
            sa.func.coalesce(sums.c.debits, 0),
            sa.func.coalesce(sums.c.credits, 0),
        ).outerjoin(sums, sums.c.account_id == LedgerAccount.id)
    ).all()
    return ledger_core.build_trial_balance(
        currency,
        (
            ledger_core.AccountTotals(
                account_id=account_id,
                code=code,
                name=name,
                type=type_,
                member_id=member_id,
                # Members' own accounts are never named in the report: the code says enough.
                label=name,
                debits_cents=int(d),
                credits_cents=int(c),
            )
            for account_id, code, name, type_, member_id, d, c in rows
            if member_id is None or d or c
        ),
    )


@dataclass(frozen=True)
class ClassPolicy:
    code: str
    name: str
    share_bps: int
    basis: str

    @property
    def share_pct(self) -> Decimal:
        return dividends_core.bps_pct(self.share_bps)


@dataclass(frozen=True)
class RunSummary:
    """A dividend run whose period ended in the year, with what it allocated and paid."""

    id: int
    period_start: date
    period_end: date
    status: str
    currency: str
    surplus_cents: int
    reserve_cents: int
    pool_cents: int
    cash_bps: int
    members: int
    allocated_cents: int
    cash_cents: int
    retained_cents: int
    cash_paid_cents: int

    @property
    def cash_pct(self) -> Decimal:
        return dividends_core.bps_pct(self.cash_bps)


def policy_in_force(session: Session) -> list[ClassPolicy]:
    """Every member class with its share of a dividend pool (0 leaves it out) and basis."""
    return [
        ClassPolicy(c.code, c.name, c.dividend_share_bps, c.dividend_basis)
        for c in session.execute(sa.select(MemberClass).order_by(MemberClass.id)).scalars()
    ]


def runs_of_year(session: Session, year: int) -> list[RunSummary]:
    """The runs whose period ends in ``year``, oldest first, their allocations summed in SQL."""
    paid_cash = sa.case((DividendAllocation.status == "paid", DividendAllocation.cash_cents))
    totals = (
        sa.select(
            DividendAllocation.run_id,
            sa.func.count().label("members"),
            sa.func.sum(DividendAllocation.allocation_cents).label("allocated"),
            sa.func.sum(DividendAllocation.cash_cents).label("cash"),
            sa.func.sum(DividendAllocation.retained_cents).label("retained"),
            sa.func.sum(paid_cash).label("paid"),
        )
        .group_by(DividendAllocation.run_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(DividendRun, totals.c.members, totals.c.allocated, totals.c.cash)
        .add_columns(totals.c.retained, totals.c.paid)
        .outerjoin(totals, totals.c.run_id == DividendRun.id)
        .where(
            DividendRun.period_end >= date(year, 1, 1), DividendRun.period_end <= date(year, 12, 31)
        )
        .order_by(DividendRun.period_end, DividendRun.id)
    ).all()
    return [
        RunSummary(
            id=run.id,
            period_start=run.period_start,
            period_end=run.period_end,
            status=run.status,
            currency=run.currency,
            surplus_cents=run.surplus_cents,
            reserve_cents=run.reserve_cents,
            pool_cents=run.pool_cents,
            cash_bps=run.cash_bps,
            members=int(members or 0),
            allocated_cents=int(allocated or 0),
            cash_cents=int(cash or 0),
            retained_cents=int(retained or 0),
            cash_paid_cents=int(paid or 0),
        )
        for run, members, allocated, cash, retained, paid in rows
    ]


@dataclass(frozen=True)
class AnnualReport:
    year: int
    currency: str
    computed_at: datetime
    trial_balance: ledger_core.TrialBalance
    policy: list[ClassPolicy]
    min_cash_bps: int
    runs: list[RunSummary]
    votes: list[votes_section.VoteSummary]

    @property
    def min_cash_pct(self) -> Decimal:
        return dividends_core.bps_pct(self.min_cash_bps)


def annual_report(session: Session, year: int, currency: str, now: datetime) -> AnnualReport:
    """Everything the report shows, as of the end of ``year`` (or ``now`` in the current year)."""
    end = min(_start_of_year(year + 1), now)
    return AnnualReport(
        year=year,
        currency=currency,
        computed_at=now,
        trial_balance=trial_balance_at(session, currency, end),
        policy=policy_in_force(session),
        min_cash_bps=dividends_core.MIN_CASH_BPS,
        runs=runs_of_year(session, year),
        votes=votes_section.votes_of_year(session, year),
    )


def report_csv(report: AnnualReport) -> Iterator[str]:
    """The whole report in one long table, a figure a row: section, item, label, field, value.

    Money is a decimal number of units (``-12.34``) in ``currency``; basis points and counts are
    integers.
    """

    def money(cents: int) -> Decimal:
        # A Decimal, not text: ``csv_text`` quotes text starting with "-" against formula
        # injection, which would turn a negative balance into a string.
        return Decimal(ledger_core.decimal_string(cents))

    def rows() -> Iterator[list[object]]:
        tb = report.trial_balance
        for row in tb.rows:
            for name, cents in (
                ("debit", row.debit_cents),
                ("credit", row.credit_cents),
                ("balance", row.balance_cents),
            ):
                yield ["trial_balance", row.code, row.name, name, money(cents), tb.currency]
        for name, cents in (("debit", tb.total_debits_cents), ("credit", tb.total_credits_cents)):
            yield ["trial_balance", "total", "Total", name, money(cents), tb.currency]
        for c in report.policy:
            yield ["dividend_policy", c.code, c.name, "share_bps", c.share_bps, ""]
            yield ["dividend_policy", c.code, c.name, "basis", c.basis, ""]
        yield ["dividend_policy", "cash", "Cash share", "min_cash_bps", report.min_cash_bps, ""]
        for run in report.runs:
            label = f"{run.period_start.isoformat()} to {run.period_end.isoformat()}"
            yield ["dividend_runs", run.id, label, "status", run.status, ""]
            yield ["dividend_runs", run.id, label, "cash_bps", run.cash_bps, ""]
            yield ["dividend_runs", run.id, label, "members", run.members, ""]
            for name, cents in (
                ("surplus", run.surplus_cents),
                ("reserve", run.reserve_cents),
                ("pool", run.pool_cents),
                ("allocated", run.allocated_cents),
                ("cash", run.cash_cents),
                ("retained", run.retained_cents),
                ("cash_paid", run.cash_paid_cents),
            ):
                yield ["dividend_runs", run.id, label, name, money(cents), run.currency]
        for vote in report.votes:
            for name, value in votes_section.vote_fields(vote):
                yield ["votes", vote.vote_id, vote.title, name, value, ""]

    return csv_text(["section", "item", "label", "field", "value", "currency"], rows())
