"""The ledger at scale and its newer entries, on SQLite and PostgreSQL: the day totals its
trigger keeps, the balance checked once per entry at commit (also for lines added later), an
entry of thousands of lines, and a lost dispute's fee as an entry of its own."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from marketplace.database import unit_of_work, utcnow
from marketplace.extensions import db
from marketplace.ledger import core, day_totals, services
from marketplace.ledger.core import (
    LICENCE_REVENUE,
    PAYMENT_FEES,
    ROYALTIES_PAYABLE,
    STRIPE_CLEARING,
    AccountRef,
    SaleItem,
)
from marketplace.ledger.models import JournalLine, LedgerAccount, LedgerDayTotal
from tests.integration.test_ledger import key, ledger_app, new_member, sell

__all__ = ["ledger_app"]  # the fixture, parametrised over both engines


def test_a_lost_disputes_fee_is_its_own_entry(ledger_app: Flask) -> None:
    dispute = f"dp_{uuid.uuid4().hex[:14]}"
    with unit_of_work() as session:
        entry = services.post_dispute_fee(
            session, dispute_id=dispute, order_id=9101, currency="USD"
        )
        assert entry is not None
        assert entry.kind == core.KIND_DISPUTE_FEE
        sides = {(line.account.code, line.side, line.amount_cents) for line in entry.lines}
        assert sides == {
            (PAYMENT_FEES, "debit", core.DISPUTE_FEE_CENTS),
            (STRIPE_CLEARING, "credit", core.DISPUTE_FEE_CENTS),
        }
    with unit_of_work() as session:
        again = services.post_dispute_fee(
            session, dispute_id=dispute, order_id=9101, currency="USD", fee_cents=2_000
        )
        assert again is None
        assert (
            services.post_dispute_fee(
                session, dispute_id=f"{dispute}x", order_id=9101, currency="USD", fee_cents=0
            )
            is None
        )
    assert services.trial_balance(db.session(), "USD").balanced


def _line_sums_by_account() -> dict[int, tuple[int, int]]:
    debit = sa.case((JournalLine.side == "debit", JournalLine.amount_cents), else_=0)
    credit = sa.case((JournalLine.side == "credit", JournalLine.amount_cents), else_=0)
    rows = db.session.execute(
        sa.select(JournalLine.account_id, sa.func.sum(debit), sa.func.sum(credit))
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(LedgerAccount.member_id.is_(None))
        .group_by(JournalLine.account_id)
    )
    return {account: (int(d), int(c)) for account, d, c in rows}


def _day_total_sums_by_account() -> dict[int, tuple[int, int]]:
    rows = db.session.execute(
        sa.select(
            LedgerDayTotal.account_id,
            sa.func.sum(LedgerDayTotal.debit_cents),
            sa.func.sum(LedgerDayTotal.credit_cents),
        ).group_by(LedgerDayTotal.account_id)
    )
    return {account: (int(d), int(c)) for account, d, c in rows}


def test_the_day_totals_are_the_shared_accounts_lines_summed(ledger_app: Flask) -> None:
    member = new_member()
    items = [SaleItem(1, member, 2_900, 5_000), SaleItem(2, member, 7_901, 5_000)]
    today = utcnow().date()
    codes = [LICENCE_REVENUE, PAYMENT_FEES]
    ours = ["sale", "refund", core.KIND_DISPUTE_FEE]

    def totals(exclude: list[str]) -> dict[str, day_totals.CodeTotals]:
        return day_totals.period_totals(
            db.session(), codes, today, today, "USD", exclude_kinds=exclude
        )

    before, before_others = totals([]), totals(ours)
    sell(9201, items, fee=250)
    with unit_of_work() as session:
        services.post_refund(
            session, idempotency_key=key("refund"), order_id=9201, currency="USD", items=items[:1]
        )
        services.post_dispute_fee(session, dispute_id=key("dp"), order_id=9201, currency="USD")
    assert _day_total_sums_by_account() == _line_sums_by_account()

    after, after_others = totals([]), totals(ours)
    none = day_totals.CodeTotals(0, 0)

    def moved(code: str) -> tuple[int, int]:
        old, new = before.get(code, none), after[code]
        return new.debits_cents - old.debits_cents, new.credits_cents - old.credits_cents

    # The co-op's half of 2900 + 7901 (the odd cent goes to the member), less the refund's.
    assert moved(LICENCE_REVENUE) == (0, 1_450 + 3_950)
    assert moved(PAYMENT_FEES) == (250 + core.DISPUTE_FEE_CENTS, 0)
    assert after_others == before_others
    long_ago = date(2000, 1, 1)
    assert day_totals.period_totals(db.session(), codes, long_ago, long_ago, "USD") == {}


@pytest.mark.services
def test_lines_added_later_to_a_posted_entry_are_checked_at_commit(services_app: Flask) -> None:
    clearing = services.find_account(db.session(), STRIPE_CLEARING)
    assert clearing is not None

    def insert_lines(session: Session, entry_id: int, lines: list[tuple[str, int]]) -> None:
        for side, cents in lines:
            session.execute(
                sa.text(
                    "INSERT INTO journal_lines (entry_id, account_id, side, amount_cents, "
                    "currency) VALUES (:entry, :account, :side, :cents, 'USD')"
                ),
                {"entry": entry_id, "account": clearing.id, "side": side, "cents": cents},
            )

    def add_lines(entry_id: int, lines: list[tuple[str, int]]) -> None:
        with unit_of_work() as session:
            insert_lines(session, entry_id, lines)

    with unit_of_work() as session:
        entry_id = session.execute(
            sa.text(
                "INSERT INTO journal_entries (idempotency_key, kind, description, currency, "
                "posted_at) VALUES (:key, 'manual', 'raw', 'USD', now()) RETURNING id"
            ),
            {"key": key("raw")},
        ).scalar_one()
        insert_lines(session, entry_id, [("debit", 500), ("credit", 500)])
    with pytest.raises(sa.exc.IntegrityError, match="does not balance"):
        add_lines(entry_id, [("debit", 10)])
    add_lines(entry_id, [("debit", 10), ("credit", 10)])
    queued = db.session.execute(sa.text("SELECT count(*) FROM ledger_unchecked_entries"))
    assert queued.scalar_one() == 0


def test_an_entry_of_thousands_of_lines_posts_and_balances(ledger_app: Flask) -> None:
    members = [new_member() for _ in range(3)]
    # Stripe clearing to royalties payable: nothing a dividend run's surplus counts (other
    # tests draft runs over today on this database).
    lines = [core.debit(AccountRef(STRIPE_CLEARING), 3 * 1_000 * 7)]
    for n in range(3_000):
        lines.append(core.credit(AccountRef(ROYALTIES_PAYABLE, members[n % 3]), 7))
    draft = core.EntryDraft(key("many"), "Many lines", "USD", tuple(lines), "manual")
    with unit_of_work() as session:
        entry = services.post(session, draft)
        assert entry is not None
        entry_id = entry.id
    count = db.session.execute(
        sa.select(sa.func.count()).select_from(JournalLine).where(JournalLine.entry_id == entry_id)
    ).scalar_one()
    assert count == 3_001
    assert services.trial_balance(db.session(), "USD").balanced
