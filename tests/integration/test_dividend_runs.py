"""Dividend runs on SQLite: drafting from sales and refunds, four eyes, paying once, statements."""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.database import unit_of_work, utcnow
from marketplace.dividends import paying, services
from marketplace.dividends.models import DividendAllocation, DividendRun
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.ledger.core import DIVIDENDS_PAYABLE, MEMBER_CAPITAL, SaleItem
from marketplace.ledger.models import JournalEntry
from marketplace.orders.models import Order, OrderItem
from marketplace.payments.gateway import TransferRefused
from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions, api_token, post_form

ROYALTY_BPS = 5_000
FEE_CENTS = 100
RUNS = "/api/v1/admin/dividend-runs"


@dataclass
class Sale:
    order_id: int
    item_id: int
    price_cents: int


def member_id(user: User) -> int:
    assert user.member is not None
    return user.member.id


def sell(member: int, buyer_id: int, price_cents: int) -> Sale:
    """A paid order of one item of ``member``'s work, in the orders and in the ledger."""
    with unit_of_work() as session:
        asset = Asset(
            member_id=member,
            kind="photo",
            status="published",
            title="Harbour",
            description="",
            keywords=[],
            has_people=False,
            original_key=f"originals/test/{uuid.uuid4().hex}",
            original_mime="image/jpeg",
            original_size_bytes=1,
            original_sha256=uuid.uuid4().hex * 2,
            width=3000,
            height=2000,
            published_at=utcnow(),
            dominant_colours=[],
        )
        session.add(asset)
        session.flush()
        order = Order(
            buyer_id=buyer_id,
            status="paid",
            currency="USD",
            total_cents=price_cents,
            paid_at=utcnow(),
            fee_cents=FEE_CENTS,
        )
        order.items = [
            OrderItem(
                asset_id=asset.id,
                member_id=member,
                licence="standard",
                terms_id=1,
                size="L",
                price_cents=price_cents,
                royalty_bps=ROYALTY_BPS,
            )
        ]
        session.add(order)
        session.flush()
        item = order.items[0]
        ledger.post_sale(
            session,
            idempotency_key=f"order:{order.id}:paid",
            order_id=order.id,
            currency="USD",
            items=[SaleItem(item.id, member, price_cents, ROYALTY_BPS)],
            fee_cents=FEE_CENTS,
        )
        return Sale(order.id, item.id, price_cents)


def refund(sale: Sale, member: int) -> None:
    with unit_of_work() as session:
        item = session.get(OrderItem, sale.item_id)
        assert item is not None
        item.status, item.refunded_at = "refunded", utcnow()
        ledger.post_refund(
            session,
            idempotency_key=f"refund:test-{sale.item_id}",
            order_id=sale.order_id,
            currency="USD",
            items=[SaleItem(item.id, member, sale.price_cents, ROYALTY_BPS)],
        )


class Coop:
    """Two admins, a founder, a staff member, three artists (one without sales) and sales."""

    def __init__(self, app: Flask) -> None:
        factory = Factory()
        self.client: FlaskClient = app.test_client()
        self.drafter = factory.admin()
        self.approver = factory.admin()
        self.founder = factory.member(member_class="founders")
        self.staff = factory.member(member_class="staff")
        self.artist_a = factory.member()
        self.artist_b = factory.member()
        self.artist_c = factory.member()
        self.buyer = factory.buyer()
        self.drafter_headers = api_token(self.client, self.drafter.email)
        self.approver_headers = api_token(self.client, self.approver.email)
        a, b = member_id(self.artist_a), member_id(self.artist_b)
        sell(a, self.buyer.id, 10_000)
        sell(a, self.buyer.id, 6_000)
        sell(b, self.buyer.id, 6_000)
        refund(sell(b, self.buyer.id, 2_000), b)
        self.today = date.today()

    def body(self, **changes: Any) -> dict[str, Any]:
        return {
            "period_start": (self.today - timedelta(days=30)).isoformat(),
            "period_end": self.today.isoformat(),
            "operating_costs_cents": 1_000,
            "operating_costs_note": "Hosting",
            "reserve_pct": 10,
            "cash_pct": 30,
            **changes,
        }

    def draft(self, **changes: Any) -> dict[str, Any]:
        response = self.client.post(RUNS, json=self.body(**changes), headers=self.drafter_headers)
        assert response.status_code == 201, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body

    def approve(self, run_id: int) -> dict[str, Any]:
        response = self.client.post(f"{RUNS}/{run_id}/approve", headers=self.approver_headers)
        assert response.status_code == 200, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body

    def pay(self, run_id: int) -> dict[str, Any]:
        response = self.client.post(f"{RUNS}/{run_id}/pay", headers=self.approver_headers)
        assert response.status_code == 202, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body

    def get(self, run_id: int) -> dict[str, Any]:
        response = self.client.get(f"{RUNS}/{run_id}", headers=self.drafter_headers)
        assert response.status_code == 200, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body


@pytest.fixture
def coop(app: Flask) -> Coop:
    return Coop(app)


def entry_keys(session: Session) -> list[str]:
    return sorted(session.execute(sa.select(JournalEntry.idempotency_key)).scalars())


def by_member(run: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {a["member_id"]: a for a in run["allocations"]}


def test_a_draft_computes_the_surplus_and_allocates_the_whole_pool(coop: Coop) -> None:
    before = entry_keys(db.session())
    run = coop.draft()

    # Revenue is the co-op's half of 24000 of sales (royalties are booked to the members);
    # the refund takes back the co-op's half of 2000; four orders paid a fee each.
    assert run["status"] == "draft"
    assert run["revenue_cents"] == 12_000
    assert run["refunds_cents"] == 1_000
    assert run["fees_cents"] == 4 * FEE_CENTS
    assert run["royalties_cents"] == 0
    assert run["surplus_cents"] == 12_000 - 1_000 - 400 - 1_000
    assert run["reserve_cents"] == 960
    assert run["pool_cents"] == 9_600 - 960
    assert sum(a["allocation_cents"] for a in run["allocations"]) == run["pool_cents"]
    assert run["cash_pct"] == 30
    assert [(c["code"], c["share_pct"], c["basis"]) for c in run["classes"]] == [
        ("founders", 5, "equal"),
        ("staff", 5, "service_years"),
        ("artists", 90, "patronage"),
    ]
    assert sum(c["pool_cents"] for c in run["classes"]) == run["pool_cents"]

    allocations = by_member(run)
    a, b = member_id(coop.artist_a), member_id(coop.artist_b)
    assert allocations[a]["patronage_cents"] == 16_000
    assert allocations[b]["patronage_cents"] == 6_000
    # The artists' 90 % (7776) split 16000 : 6000.
    assert allocations[a]["allocation_cents"] == 5_655
    assert allocations[b]["allocation_cents"] == 2_121
    assert member_id(coop.artist_c) not in allocations  # no sales, no share
    assert allocations[member_id(coop.founder)]["allocation_cents"] == 432
    for allocation in run["allocations"]:
        assert (
            allocation["cash_cents"] + allocation["retained_cents"]
            == (allocation["allocation_cents"])
        )
        assert allocation["cash_cents"] * 10 >= allocation["allocation_cents"] * 3
        assert allocation["member_number"] > 0
    # A draft posts nothing.
    assert entry_keys(db.session()) == before


def test_the_cash_share_cannot_be_under_20_percent(coop: Coop) -> None:
    response = coop.client.post(RUNS, json=coop.body(cash_pct=19), headers=coop.drafter_headers)
    assert response.status_code == 422
    assert "20" in response.get_json()["error"]["message"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(DividendRun)).scalar() == 0


@pytest.mark.parametrize(
    "changes",
    [{"period_end": "31/12/2025"}, {"reserve_pct": 120}, {"operating_costs_cents": -5}],
)
def test_bad_input_is_refused(coop: Coop, changes: dict[str, Any]) -> None:
    response = coop.client.post(RUNS, json=coop.body(**changes), headers=coop.drafter_headers)
    assert response.status_code == 422


def test_only_admins_draft_runs(coop: Coop) -> None:
    headers = api_token(coop.client, coop.artist_a.email)
    assert coop.client.post(RUNS, json=coop.body(), headers=headers).status_code == 403


def test_a_period_without_surplus_has_no_pool_and_says_why(coop: Coop) -> None:
    run = coop.draft(operating_costs_cents=50_000)
    assert run["surplus_cents"] < 0
    assert run["pool_cents"] == 0
    assert run["allocations"] == []
    assert "loss" in run["reason"]


def test_one_draft_per_period_and_a_draft_can_be_discarded(coop: Coop) -> None:
    run = coop.draft()
    again = coop.client.post(RUNS, json=coop.body(), headers=coop.drafter_headers)
    assert again.status_code == 409
    assert f"run {run['id']}" in again.get_json()["error"]["message"]

    response = coop.client.delete(f"{RUNS}/{run['id']}", headers=coop.drafter_headers)
    assert response.status_code == 204
    assert coop.client.get(f"{RUNS}/{run['id']}", headers=coop.drafter_headers).status_code == 404
    coop.draft()


def test_four_eyes_then_approval_posts_balanced_entries(coop: Coop) -> None:
    run = coop.draft()
    response = coop.client.post(f"{RUNS}/{run['id']}/approve", headers=coop.drafter_headers)
    assert response.status_code == 403
    assert "another admin" in response.get_json()["error"]["message"]

    approved = coop.approve(run["id"])
    assert approved["status"] == "approved"
    session = db.session()
    keys = entry_keys(session)
    for kind in ("operating_costs", "dividend_closing", "dividend_reserve", "dividend_allocation"):
        assert f"{kind}:{run['id']}" in keys
    balance = ledger.trial_balance(session, "USD")
    assert balance.total_debits_cents == balance.total_credits_cents
    a = member_id(coop.artist_a)
    allocation = by_member(run)[a]
    assert ledger.member_balance(session, a, "USD", DIVIDENDS_PAYABLE) == allocation["cash_cents"]
    assert (
        ledger.member_balance(session, a, "USD", MEMBER_CAPITAL) == (allocation["retained_cents"])
    )

    # Approving again posts nothing more; an approved run cannot be discarded.
    assert coop.approve(run["id"])["status"] == "approved"
    assert entry_keys(session) == keys
    response = coop.client.delete(f"{RUNS}/{run['id']}", headers=coop.approver_headers)
    assert response.status_code == 409
    # Its period is closed: a new draft over it is refused.
    again = coop.client.post(RUNS, json=coop.body(), headers=coop.drafter_headers)
    assert again.status_code == 409


def test_a_draft_cannot_be_paid(coop: Coop) -> None:
    run = coop.draft()
    response = coop.client.post(f"{RUNS}/{run['id']}/pay", headers=coop.approver_headers)
    assert response.status_code == 409


def test_members_without_a_payout_account_are_held_and_paying_twice_queues_once(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[tuple[str, tuple[Any, ...]]] = []
    original = paying.enqueue

    def recording(session: Session, name: str, *args: Any) -> None:
        queued.append((name, args))
        original(session, name, *args)

    monkeypatch.setattr(paying, "enqueue", recording)
    run = coop.draft()
    coop.approve(run["id"])
    paid = coop.pay(run["id"])
    again = coop.pay(run["id"])

    assert len(queued) == len(run["allocations"]) == 4
    assert {args[0] for _, args in queued} == {a["id"] for a in run["allocations"]}
    assert paid["status"] == again["status"] == "paid"
    assert again["progress"] == {"pending": 0, "paid": 0, "held": 4, "failed": 0}
    assert all(a["status"] == "held" for a in again["allocations"])
    session = db.session()
    # Held cash stays in dividends payable; nothing left through Stripe clearing.
    assert not [k for k in entry_keys(session) if k.startswith("dividend_payment:")]
    a = member_id(coop.artist_a)
    assert (
        ledger.member_balance(session, a, "USD", DIVIDENDS_PAYABLE)
        == (by_member(run)[a]["cash_cents"])
    )


def test_transfers_are_sent_once_and_refusals_are_retried_under_a_new_key(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = member_id(coop.artist_a), member_id(coop.artist_b)
    accounts = {a: "acct_artist_a", b: "acct_artist_b"}
    sent: list[dict[str, Any]] = []
    refuse = {"acct_artist_b"}

    def transfer(**kwargs: Any) -> str:
        sent.append(kwargs)
        if kwargs["destination"] in refuse:
            raise TransferRefused("The destination account cannot receive transfers yet.")
        return f"tr_{len(sent)}"

    monkeypatch.setattr(services, "ready_payout_account", lambda s, m: accounts.get(m))
    monkeypatch.setattr(services, "stripe_transfer", transfer)
    run = coop.draft()
    coop.approve(run["id"])
    first = coop.pay(run["id"])

    assert first["status"] == "partially_paid"
    assert first["progress"] == {"pending": 0, "paid": 1, "held": 2, "failed": 1}
    assert first["failures"] == [
        {
            "member_id": b,
            "member_number": by_member(run)[b]["member_number"],
            "reason": "The destination account cannot receive transfers yet.",
        }
    ]
    allocation_a = by_member(first)[a]
    assert allocation_a["status"] == "paid"
    assert allocation_a["stripe_transfer_id"] == "tr_1"
    assert re.fullmatch(
        rf"dividend-allocation-{allocation_a['id']}-[0-9a-f]{{32}}", sent[0]["idempotency_key"]
    )
    assert sent[0]["amount_cents"] == allocation_a["cash_cents"]
    session = db.session()
    assert ledger.member_balance(session, a, "USD", DIVIDENDS_PAYABLE) == 0
    assert f"dividend_payment:{allocation_a['id']}" in entry_keys(session)

    refuse.clear()
    second = coop.pay(run["id"])
    assert second["status"] == "paid"
    assert second["progress"] == {"pending": 0, "paid": 2, "held": 2, "failed": 0}
    # Member A is not paid again; B's retry uses a new key (Stripe keeps the refusal).
    assert [s["destination"] for s in sent] == ["acct_artist_a", "acct_artist_b", "acct_artist_b"]
    allocation_b = by_member(second)[b]
    assert re.fullmatch(
        rf"dividend-allocation-{allocation_b['id']}-[0-9a-f]{{32}}-1", sent[2]["idempotency_key"]
    )
    coop.pay(run["id"])
    assert len(sent) == 3
    balance = ledger.trial_balance(session, "USD")
    assert balance.total_debits_cents == balance.total_credits_cents


def test_a_crash_before_commit_retries_under_the_same_key(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys: list[str] = []
    a = member_id(coop.artist_a)
    monkeypatch.setattr(services, "ready_payout_account", lambda s, m: "acct_a" if m == a else None)

    def transfer(**kwargs: Any) -> str:
        keys.append(kwargs["idempotency_key"])
        return "tr_same"

    run = coop.draft()
    coop.approve(run["id"])
    allocation_id = by_member(run)[a]["id"]

    def crash(**kwargs: Any) -> str:
        transfer(**kwargs)
        raise RuntimeError("worker lost")

    with pytest.raises(RuntimeError):
        paying.pay_allocation(allocation_id, payer=crash)
    assert db.session.get(DividendAllocation, allocation_id).status == "pending"  # type: ignore[union-attr]
    paying.pay_allocation(allocation_id, payer=transfer)
    paying.pay_allocation(allocation_id, payer=transfer)
    assert len(keys) == 2
    assert keys[0] == keys[1]
    assert re.fullmatch(rf"dividend-allocation-{allocation_id}-[0-9a-f]{{32}}", keys[0])


def test_allocations_csv(coop: Coop) -> None:
    run = coop.draft()
    response = coop.client.get(f"{RUNS}/{run['id']}/allocations.csv", headers=coop.drafter_headers)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == len(run["allocations"])
    a = by_member(run)[member_id(coop.artist_a)]
    row = next(r for r in rows if r["member_id"] == str(a["member_id"]))
    assert row["patronage"] == "160.00"
    assert row["allocation"] == f"{a['allocation_cents'] // 100}.{a['allocation_cents'] % 100:02d}"


def test_statements_exist_once_the_run_is_paid(coop: Coop, auth: AuthActions) -> None:
    member_headers = api_token(coop.client, coop.artist_a.email)
    run = coop.draft()
    coop.approve(run["id"])
    statements = coop.client.get("/api/v1/me/dividend-statements", headers=member_headers)
    assert statements.get_json()["results"] == []

    coop.pay(run["id"])
    statements = coop.client.get("/api/v1/me/dividend-statements", headers=member_headers)
    [statement] = statements.get_json()["results"]
    allocation = by_member(run)[member_id(coop.artist_a)]
    assert statement["run_id"] == run["id"]
    assert statement["patronage_cents"] == 16_000
    assert statement["pool_cents"] == run["pool_cents"]
    assert statement["allocation_cents"] == allocation["allocation_cents"]
    assert statement["cash_cents"] == allocation["cash_cents"]
    assert statement["retained_cents"] == allocation["retained_cents"]
    assert statement["cash_status"] == "held"
    assert statement["form_1099_patr"]["required"] is True
    assert (
        statement["form_1099_patr"]["box1_patronage_dividends_cents"]
        == (allocation["allocation_cents"])
    )

    buyer_headers = api_token(coop.client, coop.buyer.email)
    response = coop.client.get("/api/v1/me/dividend-statements", headers=buyer_headers)
    assert response.get_json()["results"] == []

    client = auth.client
    auth.login(coop.artist_a.email)
    page = client.get(f"/account/dividends/{run['id']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "$160.00" in text
    assert "capital account" in text
    assert "1099-PATR" in text
    assert client.get("/account/dividends/").status_code == 200
    pdf = client.get(f"/account/dividends/{run['id']}.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert client.get(f"/account/dividends/{run['id'] + 1}").status_code == 404


def test_admin_pages_draft_approve_and_pay(coop: Coop, auth: AuthActions) -> None:
    client = auth.client
    auth.login(coop.drafter.email)
    assert client.get("/admin/dividends/").status_code == 200
    response = post_form(
        client,
        "/admin/dividends/",
        {
            "period_start": (coop.today - timedelta(days=30)).isoformat(),
            "period_end": coop.today.isoformat(),
            "operating_costs": "10.00",
            "operating_costs_note": "Hosting",
            "reserve_pct": "10",
            "cash_pct": "30",
        },
    )
    assert response.status_code == 302
    run = db.session.execute(sa.select(DividendRun)).scalar_one()
    assert run.operating_costs_cents == 1_000
    page = client.get(f"/admin/dividends/{run.id}").get_data(as_text=True)
    assert "<meter" in page
    assert "Discard draft" in page
    assert f"/admin/dividends/{run.id}/approve" not in page  # not for the drafter

    auth.logout()
    auth.login(coop.approver.email)
    page = client.get(f"/admin/dividends/{run.id}").get_data(as_text=True)
    assert f"/admin/dividends/{run.id}/approve" in page
    post_form(client, f"/admin/dividends/{run.id}/approve", from_page=f"/admin/dividends/{run.id}")
    post_form(client, f"/admin/dividends/{run.id}/pay", from_page=f"/admin/dividends/{run.id}")
    db.session.expire_all()
    assert db.session.get(DividendRun, run.id).status == "paid"  # type: ignore[union-attr]
    progress = client.get(f"/admin/dividends/{run.id}/progress.json").get_json()
    assert progress == {"status": "paid", "pending": 0, "paid": 0, "held": 4, "failed": 0}
    csv_response = client.get(f"/admin/dividends/{run.id}/allocations.csv")
    assert csv_response.status_code == 200


def test_the_deadline_banner_warns_of_an_unpaid_run(coop: Coop) -> None:
    run = coop.draft(period_start="2025-01-01", period_end="2025-12-31")
    session = db.session()
    assert services.deadline_banner(session, date(2026, 3, 1)) is None
    warning = services.deadline_banner(session, date(2026, 9, 1))
    assert warning is not None
    assert "2026-09-15" in warning
    coop.approve(run["id"])
    coop.pay(run["id"])
    assert services.deadline_banner(session, date(2026, 9, 1)) is None
