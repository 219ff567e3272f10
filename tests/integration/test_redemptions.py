"""Revolving redemptions and paying held dividends, on SQLite with a stand-in for Stripe."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.database import unit_of_work
from marketplace.dividends import services
from marketplace.dividends.models import DividendAllocation, DividendRun, RedemptionLine
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.ledger.core import DIVIDENDS_PAYABLE, MEMBER_CAPITAL
from marketplace.payments.gateway import ConnectedAccountState
from marketplace.payouts import accounts as payout_accounts
from marketplace.payouts import services as payouts
from marketplace.payouts.models import PayoutAccount
from tests.fixtures.dividends import Coop, by_member, entry_keys, member_id
from tests.fixtures.web import AuthActions, api_token, post_form

REDEMPTIONS = "/api/v1/admin/redemptions"
RUNS = "/api/v1/admin/dividend-runs"


class Stripe:
    """A stand-in payer: records every transfer, and which members have a ready account."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.accounts: dict[int, str] = {}
        self.sent: list[dict[str, Any]] = []
        monkeypatch.setattr(services, "ready_payout_account", lambda s, m: self.accounts.get(m))
        monkeypatch.setattr(services, "stripe_transfer", self.transfer)

    def transfer(self, **kwargs: Any) -> str:
        self.sent.append(kwargs)
        return f"tr_{len(self.sent)}"


@pytest.fixture
def coop(app: Flask) -> Coop:
    return Coop(app)


@pytest.fixture
def stripe(monkeypatch: pytest.MonkeyPatch) -> Stripe:
    return Stripe(monkeypatch)


def paid_run(coop: Coop) -> dict[str, Any]:
    run = coop.draft()
    coop.approve(run["id"])
    return coop.pay(run["id"])


def move_to_year(run_id: int, year: int) -> None:
    """Put an approved run's period in an earlier year (its entries stay as posted)."""
    with unit_of_work() as session:
        run = session.get(DividendRun, run_id)
        assert run is not None
        run.period_start, run.period_end = date(year, 1, 1), date(year, 12, 31)


def draft(coop: Coop, **body: Any) -> Any:
    return coop.client.post(REDEMPTIONS, json=body, headers=coop.drafter_headers)


def pay(coop: Coop, run_id: int) -> dict[str, Any]:
    """A second admin approves the draft (four eyes), then pays it."""
    approve = coop.client.post(f"{REDEMPTIONS}/{run_id}/approve", headers=coop.approver_headers)
    assert approve.status_code in (200, 409), approve.get_json()
    response = coop.client.post(f"{REDEMPTIONS}/{run_id}/pay", headers=coop.approver_headers)
    assert response.status_code == 202, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def balanced() -> bool:
    balance = ledger.trial_balance(db.session(), "USD")
    return bool(balance.total_debits_cents == balance.total_credits_cents)


def test_held_dividends_are_paid_once_the_member_has_a_payout_account(
    coop: Coop, stripe: Stripe
) -> None:
    run = paid_run(coop)
    assert run["progress"]["held"] == 4
    a = member_id(coop.artist_a)
    allocation = by_member(run)[a]

    stripe.accounts[a] = "acct_a"
    response = coop.client.post(f"{RUNS}/{run['id']}/pay-held", headers=coop.approver_headers)
    assert response.status_code == 202
    body = response.get_json()
    assert body["queued"] == 1
    assert body["status"] == "partially_paid"  # three members' cash is still held
    assert body["progress"] == {"pending": 0, "paid": 1, "held": 3, "failed": 0}
    again = coop.client.post(f"{RUNS}/{run['id']}/pay-held", headers=coop.approver_headers)
    assert again.get_json()["queued"] == 0
    coop.pay(run["id"])

    assert len(stripe.sent) == 1
    assert re.fullmatch(
        rf"dividend-allocation-{allocation['id']}-[0-9a-f]{{32}}", stripe.sent[0]["idempotency_key"]
    )
    assert stripe.sent[0]["amount_cents"] == allocation["cash_cents"]
    session = db.session()
    assert ledger.member_balance(session, a, "USD", DIVIDENDS_PAYABLE) == 0
    assert balanced()
    # The run keeps the day it first finished (its tax year).
    assert db.session.get(DividendRun, run["id"]).paid_at is not None  # type: ignore[union-attr]


def test_an_account_becoming_ready_pays_the_held_dividends(
    coop: Coop, stripe: Stripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # the real payout accounts decide who is ready; Stripe stays a stand-in
    monkeypatch.setattr(services, "stripe_transfer", stripe.transfer)
    run = paid_run(coop)
    a = member_id(coop.artist_a)
    with unit_of_work() as session:
        session.add(
            PayoutAccount(
                member_id=a,
                stripe_account_id="acct_ready",
                idempotency_key="payout-account-test",
                details_submitted=False,
                payouts_enabled=False,
                transfers_active=False,
                requirements_due=[],
            )
        )

    class Gateway:
        def retrieve_account(self, account_id: str) -> ConnectedAccountState:
            return ConnectedAccountState(account_id, True, True, True, [], None)

    monkeypatch.setattr(payout_accounts, "gateway", Gateway)
    payouts.apply_connect_event("account.updated", {"id": "acct_ready"})
    payouts.apply_connect_event("account.updated", {"id": "acct_ready"})

    allocation = db.session.get(DividendAllocation, by_member(run)[a]["id"])
    assert allocation is not None
    assert allocation.status == "paid"
    assert [s["destination"] for s in stripe.sent] == ["acct_ready"]


def test_a_redemption_takes_the_retained_parts_and_pays_them_once(
    coop: Coop, stripe: Stripe
) -> None:
    run = paid_run(coop)
    year = date.fromisoformat(run["period_end"]).year
    a, b = member_id(coop.artist_a), member_id(coop.artist_b)
    stripe.accounts[a] = "acct_a"
    retained = {m: x["retained_cents"] for m, x in by_member(run).items()}

    response = draft(coop, year=year, pct=50)
    assert response.status_code == 201, response.get_json()
    half = response.get_json()
    assert half["status"] == "draft"
    assert half["total_cents"] == sum(retained.values()) // 2
    assert sum(line["amount_cents"] for line in half["lines"]) == half["total_cents"]
    for line in half["lines"]:
        assert 0 < line["amount_cents"] <= retained[line["member_id"]]
    # A draft posts nothing.
    assert not [k for k in entry_keys(db.session()) if k.startswith("dividend_redemption")]

    first = pay(coop, half["id"])
    second = pay(coop, half["id"])
    assert first["status"] == second["status"] == "paid"
    assert first["progress"]["paid"] == 1
    assert first["progress"]["held"] == len(half["lines"]) - 1
    line_a = next(line for line in first["lines"] if line["member_id"] == a)
    assert len(stripe.sent) == 1
    assert re.fullmatch(
        rf"dividend-redemption-line-{line_a['id']}-[0-9a-f]{{32}}",
        stripe.sent[0]["idempotency_key"],
    )
    assert stripe.sent[0]["amount_cents"] == line_a["amount_cents"]

    session = db.session()
    for m in (a, b):
        redeemed = next(x["amount_cents"] for x in half["lines"] if x["member_id"] == m)
        assert ledger.member_balance(session, m, "USD", MEMBER_CAPITAL) == retained[m] - redeemed
    # Member A's cash dividend is still held; their redemption left through Stripe.
    assert (
        ledger.member_balance(session, a, "USD", DIVIDENDS_PAYABLE)
        == by_member(run)[a]["cash_cents"]
    )
    assert balanced()

    # The rest: "all" now takes only what is left, never more than was retained.
    rest = draft(coop, year=year).get_json()
    assert rest["total_cents"] == sum(retained.values()) - half["total_cents"]
    pay(coop, rest["id"])
    taken = dict.fromkeys(retained, 0)
    for line in db.session.execute(sa.select(RedemptionLine)).scalars():
        taken[line.member_id] += line.amount_cents
    assert taken == retained
    assert ledger.member_balance(session, a, "USD", MEMBER_CAPITAL) == 0
    nothing = draft(coop, year=year)
    assert nothing.status_code == 422
    assert nothing.get_json()["error"]["code"] == "nothing_to_redeem"
    assert balanced()


def test_two_drafts_of_a_year_cannot_both_be_paid(coop: Coop, stripe: Stripe) -> None:
    run = paid_run(coop)
    year = date.fromisoformat(run["period_end"]).year
    one = draft(coop, year=year).get_json()
    two = draft(coop, year=year).get_json()
    pay(coop, one["id"])
    unapproved = coop.client.post(f"{REDEMPTIONS}/{two['id']}/pay", headers=coop.approver_headers)
    assert unapproved.status_code == 409
    assert unapproved.get_json()["error"]["code"] == "not_approved"
    coop.client.post(f"{REDEMPTIONS}/{two['id']}/approve", headers=coop.approver_headers)
    response = coop.client.post(f"{REDEMPTIONS}/{two['id']}/pay", headers=coop.approver_headers)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "redemption_outdated"
    assert coop.client.get(f"{REDEMPTIONS}/{two['id']}", headers=coop.drafter_headers).get_json()[
        "status"
    ] == ("approved")
    assert (
        coop.client.delete(f"{REDEMPTIONS}/{two['id']}", headers=coop.drafter_headers).status_code
        == 204
    )
    assert (
        coop.client.delete(f"{REDEMPTIONS}/{one['id']}", headers=coop.drafter_headers).status_code
        == 409
    )
    assert balanced()


def test_the_oldest_year_is_redeemed_first(coop: Coop, stripe: Stripe) -> None:
    older = paid_run(coop)
    this_year = date.today().year
    move_to_year(older["id"], this_year - 1)
    newer = paid_run(coop)
    assert date.fromisoformat(newer["period_end"]).year == this_year

    refused = draft(coop, year=this_year)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "older_years_outstanding"
    assert str(this_year - 1) in refused.get_json()["error"]["message"]

    out_of_order = draft(coop, year=this_year, allow_out_of_order=True)
    assert out_of_order.status_code == 201
    assert {line["year"] for line in out_of_order.get_json()["lines"]} == {this_year}

    oldest = draft(coop, year=this_year - 1)
    assert oldest.status_code == 201
    pay(coop, oldest.get_json()["id"])
    assert draft(coop, year=this_year).status_code == 201


def test_bad_redemption_input_is_refused(coop: Coop) -> None:
    paid_run(coop)
    assert draft(coop, year="last").status_code == 422
    assert draft(coop, year=date.today().year, pct=0).status_code == 422
    assert draft(coop, year=date.today().year, pct=120).status_code == 422
    assert draft(coop, year=1999).status_code == 422
    member = api_token(coop.client, coop.artist_a.email)
    response = coop.client.post(REDEMPTIONS, json={"year": date.today().year}, headers=member)
    assert response.status_code == 403


def test_admin_pages_redeem_a_year(coop: Coop, stripe: Stripe, auth: AuthActions) -> None:
    run = paid_run(coop)
    year = date.fromisoformat(run["period_end"]).year
    client = auth.client
    auth.login(coop.drafter.email)
    page = client.get("/admin/dividends/redemptions")
    assert page.status_code == 200
    assert str(year) in page.get_data(as_text=True)
    response = post_form(
        client, "/admin/dividends/redemptions", {"year": str(year), "share": "all"}
    )
    assert response.status_code == 302
    line = db.session.execute(sa.select(RedemptionLine).limit(1)).scalar_one()
    draft_page = client.get(f"/admin/dividends/redemptions/{line.run_id}").get_data(as_text=True)
    assert "Discard draft" in draft_page
    assert "Another admin approves" in draft_page
    assert "Approve</button>" not in draft_page  # not by the admin who drafted it
    auth.logout()
    auth.login(coop.approver.email)
    post_form(
        client,
        f"/admin/dividends/redemptions/{line.run_id}/approve",
        from_page=f"/admin/dividends/redemptions/{line.run_id}",
    )
    assert "approved by" in client.get(f"/admin/dividends/redemptions/{line.run_id}").get_data(
        as_text=True
    )
    post_form(
        client,
        f"/admin/dividends/redemptions/{line.run_id}/pay",
        from_page=f"/admin/dividends/redemptions/{line.run_id}",
    )
    paid_page = client.get(f"/admin/dividends/redemptions/{line.run_id}").get_data(as_text=True)
    assert "Pay held lines" in paid_page
    run_page = client.get(f"/admin/dividends/{run['id']}").get_data(as_text=True)
    assert "Pay held dividends" in run_page
