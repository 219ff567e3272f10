"""Money a member owes, on PostgreSQL: a royalty clawed back after it was paid out becomes a
receivable (1300), the next royalty payout keeps it, and an admin can write one off."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.database import unit_of_work
from marketplace.dividends import paying
from marketplace.dividends.models import DividendAllocation, DividendRun
from marketplace.errors import Conflict, InvalidInput
from marketplace.extensions import db
from marketplace.ledger import debts, member_debts
from marketplace.ledger import services as ledger
from marketplace.ledger.core import transfer_entry
from marketplace.ledger.entries import (
    DIVIDENDS_PAYABLE,
    MEMBER_DEBTS_WRITTEN_OFF,
    MEMBER_RECEIVABLES,
    RETAINED_SURPLUS,
    ROYALTIES_PAYABLE,
    AccountRef,
)
from marketplace.ledger.models import JournalEntry
from marketplace.orders.models import Order
from marketplace.payments import refunds
from marketplace.payouts import core as payouts_core
from marketplace.payouts import earnings
from marketplace.payouts import services as payouts
from marketplace.payouts.models import PayoutLine
from tests.fixtures.dividends import Sale, member_id, sell
from tests.fixtures.factories import Factory

pytestmark = pytest.mark.services


def paid_out(member: int, cents: int, key: str) -> None:
    """The member's royalties leave by transfer (what ``payouts._mark_sent`` posts)."""
    with unit_of_work() as session:
        ledger.post(
            session,
            payouts_core.royalty_payout_entry(key, "USD", member, cents, f"Payout {key}"),
        )


def refunded(sale: Sale) -> None:
    """The refund path every refund and lost dispute takes (``refunds._reverse_items``)."""
    with unit_of_work() as session:
        order = session.get(Order, sale.order_id)
        assert order is not None
        refunds._reverse_items(
            session, order, list(order.items), f"refund:debt-{sale.item_id}", chargeback=False
        )


def balances(member: int) -> tuple[int, int]:
    session = db.session()
    return (
        ledger.member_balance(session, member, "USD", ROYALTIES_PAYABLE),
        ledger.member_balance(session, member, "USD", MEMBER_RECEIVABLES),
    )


def balanced() -> bool:
    trial = ledger.trial_balance(db.session(), "USD")
    return bool(trial.total_debits_cents == trial.total_credits_cents)


def test_a_clawback_after_payout_is_a_receivable_kept_from_the_next_royalties(
    services_app: Flask,
) -> None:
    services_app.config["PAYOUT_THRESHOLD_CENTS"] = 1_000
    admin = Factory().admin()
    artist = Factory().member()
    buyer = Factory().buyer()
    m = member_id(artist)
    # 10,000 at 50 %: 5,000 royalty, paid out, then the sale is refunded.
    first = sell(m, buyer.id, 10_000)
    paid_out(m, 5_000, "payout-line:debt-1")
    refunded(first)

    assert balances(m) == (0, 5_000)  # 2100 never below 0: the member owes 5,000 in 1300
    shown = earnings.earnings(db.session(), m, "USD")
    assert (shown.royalties_earned_cents, shown.royalties_paid_cents) == (0, 5_000)
    assert (shown.royalties_due_cents, shown.owed_to_coop_cents) == (0, 5_000)
    assert shown.as_json()["owed_to_coop_cents"] == 5_000
    kinds = db.session.execute(
        sa.select(JournalEntry.kind).order_by(JournalEntry.id.desc()).limit(2)
    ).scalars()
    assert list(kinds) == ["member_receivable", "refund"]

    # The next sale's 16,000 royalty pays off the 5,000 first; 11,000 is paid.
    sell(m, buyer.id, 32_000)
    run_id = payouts.start_run(admin)
    with unit_of_work() as session:
        lines = session.execute(
            sa.select(PayoutLine).where(PayoutLine.run_id == run_id, PayoutLine.member_id == m)
        ).scalars()
        assert [line.amount_cents for line in lines] == [11_000]
    assert balances(m) == (11_000, 0)
    shown = earnings.earnings(db.session(), m, "USD")
    assert shown.royalties_earned_cents == 16_000  # 5,000 paid and clawed back, 16,000 earned
    assert shown.owed_to_coop_cents == 0
    assert balanced()


def test_an_admin_writes_a_debt_off_with_a_reason_and_the_figures_confirmed(
    services_app: Flask,
) -> None:
    admin = Factory().admin()
    artist = Factory().member()
    buyer = Factory().buyer()
    m = member_id(artist)
    number = artist.member.member_number  # type: ignore[union-attr]
    sale = sell(m, buyer.id, 4_000)
    paid_out(m, 2_000, "payout-line:debt-2")
    refunded(sale)
    assert balances(m) == (0, 2_000)

    with pytest.raises(InvalidInput, match="reason"):
        member_debts.write_off(admin, number, 2_000, "gone", "USD", expected_owed_cents=2_000)
    with pytest.raises(Conflict, match="owes \\$20.00"):
        member_debts.write_off(admin, number, 2_500, "Member left the country", "USD")
    with pytest.raises(Conflict, match="not the \\$15.00 you confirmed"):
        member_debts.write_off(
            admin, number, 1_500, "Member left the country", "USD", expected_owed_cents=1_500
        )
    entry = member_debts.write_off(
        admin, number, 2_000, "Member left the country", "USD", expected_owed_cents=2_000
    )
    assert entry.kind == "receivable_write_off"
    assert "Member left the country" in entry.description
    assert balances(m) == (0, 0)
    # Sent twice, the confirmation finds nothing owed any more.
    with pytest.raises(Conflict):
        member_debts.write_off(
            admin, number, 2_000, "Member left the country", "USD", expected_owed_cents=2_000
        )
    written = ledger.find_account(db.session(), MEMBER_DEBTS_WRITTEN_OFF)
    assert written is not None
    assert ledger.account_balance(db.session(), written.id, "USD") == 2_000
    assert balanced()


def test_dividend_cash_pays_what_the_member_owes_first(services_app: Flask) -> None:
    admin = Factory().admin()
    artist = Factory().member()
    m = member_id(artist)
    number = artist.member.member_number  # type: ignore[union-attr]
    with unit_of_work() as session:
        run = DividendRun(
            period_start=date(2021, 1, 1),
            period_end=date(2021, 12, 31),
            currency="USD",
            status="paying",
            revenue_cents=2_000,
            refunds_cents=0,
            fees_cents=0,
            operating_costs_cents=0,
            surplus_cents=2_000,
            reserve_bps=0,
            reserve_cents=0,
            pool_cents=2_000,
            cash_bps=5_000,
            policy=[],
            classes=[],
            drafted_by_id=admin.id,
        )
        run.allocations = [
            DividendAllocation(
                member_id=m,
                member_number=number,
                class_code="artists",
                basis="patronage",
                weight=1,
                patronage_cents=2_000,
                allocation_cents=2_000,
                cash_cents=1_000,
                retained_cents=1_000,
                status="pending",
            )
        ]
        session.add(run)
        session.flush()
        allocation_id = run.allocations[0].id
        ledger.post(
            session,
            transfer_entry(
                "test-dividend-cash",
                "Dividend cash owed",
                "USD",
                AccountRef(RETAINED_SURPLUS),
                AccountRef(DIVIDENDS_PAYABLE, m),
                1_000,
                "dividend_allocation",
            ),
        )
        ledger.post(session, debts.clawback_entry("test-debt-3", "USD", m, 300, "Clawed back"))
    sent: list[dict[str, object]] = []

    def payer(**kwargs: object) -> str:
        sent.append(kwargs)
        return "tr_dividend"

    paying.pay_allocation(allocation_id, payer=payer, destination_for=lambda s, member: "acct_a")
    paying.pay_allocation(allocation_id, payer=payer, destination_for=lambda s, member: "acct_a")

    assert [t["amount_cents"] for t in sent] == [700]  # once, less the 300 owed
    allocation = db.session.get(DividendAllocation, allocation_id)
    assert allocation is not None
    assert (allocation.status, allocation.kept_cents) == ("paid", 300)
    assert balances(m)[1] == 0
    assert ledger.member_balance(db.session(), m, "USD", DIVIDENDS_PAYABLE) == 0
    assert balanced()
