"""Paying in euros on the fast tier (SQLite, tasks inline, the real Stripe emulator): the
PaymentIntent is in euros, the emulator converts the charge into dollars on its balance
transaction, the sale is posted on what the co-op received, and a refund at a later rate
books the exchange difference."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount
from marketplace.orders.models import Order
from marketplace.payments.models import Refund
from tests.fixtures.buying import (
    Buying,
    buying_fixture,  # noqa: F401 - a fixture, found here by pytest as ``buying``
    charge_of,
)
from tests.fixtures.connect import post_json
from tests.fixtures.payments import deliver, dispute_event, payment_succeeded

RATES = "/_config/exchange_rates"


@pytest.fixture
def rates(buying: Buying) -> Iterator[None]:
    yield
    post_json(buying.emulator, RATES, {"reset": True})


def _signed(order_id: int, currency: str) -> dict[str, int]:
    """Per account code (members' accounts summed), debits less credits in one currency."""
    rows = db.session.execute(
        sa.select(LedgerAccount.code, JournalLine.side, sa.func.sum(JournalLine.amount_cents))
        .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalEntry.order_id == order_id, JournalLine.currency == currency)
        .group_by(LedgerAccount.code, JournalLine.side)
    ).all()
    found: dict[str, int] = {}
    for code, side, cents in rows:
        found[code] = found.get(code, 0) + (int(cents) if side == "debit" else -int(cents))
    return {code: cents for code, cents in sorted(found.items()) if cents}


def test_a_sale_in_euros_settles_in_dollars_and_a_refund_books_the_difference(
    buying: Buying, rates: None, caplog: pytest.LogCaptureFixture
) -> None:
    member_id = buying.catalogue.member.id
    order = buying.client.post(
        "/api/v1/orders",
        json={
            "items": [
                {"asset_id": buying.photo, "licence": "standard", "size": "M"},
                {"asset_id": buying.other, "licence": "standard", "size": "S"},
            ],
            "currency": "EUR",
        },
        headers=buying.headers,
    ).get_json()
    assert (order["currency"], order["total_cents"]) == ("EUR", 5_600)
    paid = buying.pay(order["id"])
    assert deliver(buying.client, payment_succeeded(paid["payment_intent_id"])).status_code == 200
    assert buying.get(order["id"])["status"] == "paid"
    # Settled by a batch (payments.batch), not by the one-at-a-time way after it failed.
    assert not [r for r in caplog.records if r.getMessage().startswith("Batch of Stripe event")]

    stored = db.session.get(Order, order["id"])
    assert stored is not None
    # 56.00 € at 1.08 is $60.48; Stripe's fee 3.9 % + 30 cents of that, $2.66.
    assert (stored.settled_cents, stored.settled_currency, stored.exchange_rate) == (
        6_048,
        "USD",
        "1.08",
    )
    assert stored.fee_cents == 266
    # Royalties on what the co-op received: half of $45.36 and of $15.12.
    assert ledger.member_balance(db.session(), member_id, "USD") == 2_268 + 756
    assert ledger.member_balance(db.session(), member_id, "EUR") == 0
    assert _signed(order["id"], "USD") == {
        "1100": 6_048 - 266,
        "2100": -3_024,
        "4000": -3_024,
        "5100": 266,
    }
    assert _signed(order["id"], "EUR") == {}

    # The euro costs more when the first item is refunded: 42.00 € is now $46.62.
    post_json(buying.emulator, RATES, {"eur": "1.11"})
    first = order["items"][0]
    response = buying.client.post(
        f"/api/v1/admin/orders/{order['id']}/refund",
        json={"items": [first["id"]]},
        headers=buying.admin_headers,
    )
    assert response.status_code == 202, response.get_json()
    assert buying.get(order["id"])["status"] == "partially_refunded"
    refund = db.session.execute(
        sa.select(Refund).where(Refund.order_id == order["id"])
    ).scalar_one()
    assert (refund.amount_cents, refund.currency, refund.settled_cents) == (4_200, "EUR", 4_662)
    assert ledger.member_balance(db.session(), member_id, "USD") == 756
    assert _signed(order["id"], "USD") == {
        "1100": 6_048 - 266 - 4_662,
        "2100": -756,
        "4000": -3_024,
        "4900": 2_268,
        "5100": 266,
        "5400": 126,
    }
    for currency in ("USD", "EUR"):
        balance = ledger.trial_balance(db.session(), currency)
        assert balance.total_debits_cents == balance.total_credits_cents


def test_a_lost_dispute_of_a_sale_in_euros_is_reversed_at_its_withdrawal(buying: Buying) -> None:
    member_id = buying.catalogue.member.id
    order = buying.client.post(
        "/api/v1/orders",
        json={
            "items": [
                {"asset_id": buying.photo, "licence": "standard", "size": "M"},
                {"asset_id": buying.other, "licence": "standard", "size": "S"},
            ],
            "currency": "EUR",
        },
        headers=buying.headers,
    ).get_json()
    paid = buying.pay(order["id"])
    assert deliver(buying.client, payment_succeeded(paid["payment_intent_id"])).status_code == 200
    charge = charge_of(order["id"])
    opened = dispute_event("charge.dispute.created", "dp_eur", charge, 5_600, "needs_response")
    opened["data"]["object"]["currency"] = "eur"
    deliver(buying.client, opened)
    closed = dispute_event("charge.dispute.closed", "dp_eur", charge, 5_600, "lost")
    # Stripe withdrew the 56.00 € at 1.11 ($62.16) and charged its $15.00 fee, in dollars.
    closed["data"]["object"].update(
        currency="eur",
        balance_transactions=[
            {
                "id": "txn_dp_eur",
                "object": "balance_transaction",
                "amount": -6_216,
                "fee": 1_500,
                "currency": "usd",
                "type": "adjustment",
            }
        ],
    )
    assert deliver(buying.client, closed).status_code == 200
    assert buying.get(order["id"])["status"] == "refunded"
    assert ledger.member_balance(db.session(), member_id, "USD") == 0
    # The sale's $60.48 less its fee, the withdrawal and the dispute fee; what the dearer euro
    # cost is an exchange difference.
    assert _signed(order["id"], "USD") == {
        "1100": 6_048 - 266 - 6_216 - 1_500,
        "4000": -3_024,
        "4900": 3_024,
        "5100": 266 + 1_500,
        "5400": 6_216 - 6_048,
    }
    assert _signed(order["id"], "EUR") == {}
    for currency in ("USD", "EUR"):
        balance = ledger.trial_balance(db.session(), currency)
        assert balance.total_debits_cents == balance.total_credits_cents


def test_a_dividend_run_counts_sales_in_euros_at_what_the_ledger_posted_in_dollars(
    buying: Buying, rates: None
) -> None:
    """Patronage of an item paid in euros is its share of the dollars the co-op received, as
    the sale entry posted it, less the share a refund at a later rate took back: the draft's
    patronage is the ledger's net dollar sales to the cent, and the reconciliation agrees."""
    from datetime import date

    from marketplace.audit.models import AuditEntry
    from marketplace.dividends import services as dividends
    from marketplace.dividends.models import DividendAllocation

    member_id = buying.catalogue.member.id
    created = buying.client.post(
        "/api/v1/orders",
        json={
            "items": [
                {"asset_id": buying.photo, "licence": "standard", "size": "M"},
                {"asset_id": buying.other, "licence": "standard", "size": "S"},
            ],
            "currency": "EUR",
        },
        headers=buying.headers,
    )
    assert created.status_code == 201, created.get_json()
    order = created.get_json()
    paid = buying.pay(order["id"])
    assert deliver(buying.client, payment_succeeded(paid["payment_intent_id"])).status_code == 200
    # 56.00 € brought $60.48: 42.00 € of it is $45.36, refunded when the euro costs $46.62.
    post_json(buying.emulator, RATES, {"eur": "1.11"})
    response = buying.client.post(
        f"/api/v1/admin/orders/{order['id']}/refund",
        json={"items": [order["items"][0]["id"]]},
        headers=buying.admin_headers,
    )
    assert response.status_code == 202, response.get_json()
    assert _signed(order["id"], "USD")["5400"] == 4_662 - 4_536
    # The refunded licence bought again, in dollars.
    in_dollars = buying.bought((buying.photo, "standard", "M"))
    assert in_dollars["currency"] == "USD"

    today = date.today()
    request = dividends.RunRequest(date(today.year, 1, 1), today, None, "10", "20", "", True)
    run = dividends.draft_run(buying.admin, request)
    allocation = db.session.execute(
        sa.select(DividendAllocation).where(
            DividendAllocation.run_id == run.id, DividendAllocation.member_id == member_id
        )
    ).scalar_one()
    dollars = in_dollars["total_cents"]
    assert allocation.patronage_cents == dollars + 6_048 - 4_536
    assert run.member_business_cents == allocation.patronage_cents
    assert run.non_member_business_cents == 0
    # The ledger's net licence sales in dollars: the member's royalties and the co-op's part.
    net_sales = -sum(
        cents for code, cents in _signed_all("USD").items() if code in ("2100", "4000", "4900")
    )
    assert allocation.patronage_cents == net_sales
    assert ledger.member_balance(db.session(), member_id, "USD") * 2 == net_sales
    summary = db.session.execute(
        sa.select(AuditEntry.summary).where(
            AuditEntry.action == "dividends.draft", AuditEntry.subject_id == str(run.id)
        )
    ).scalar_one()
    assert "patronage agrees with the ledger's net licence sales" in summary


def _signed_all(currency: str) -> dict[str, int]:
    """Per account code, over the whole ledger, debits less credits in one currency."""
    rows = db.session.execute(
        sa.select(LedgerAccount.code, JournalLine.side, sa.func.sum(JournalLine.amount_cents))
        .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
        .where(JournalLine.currency == currency)
        .group_by(LedgerAccount.code, JournalLine.side)
    ).all()
    found: dict[str, int] = {}
    for code, side, cents in rows:
        found[code] = found.get(code, 0) + (int(cents) if side == "debit" else -int(cents))
    return found
