"""Payout accounts and royalty payouts on the fast tier: SQLite, tasks inline, the real Stripe
emulator (Connect included). Members earn royalties by real sales through the API.

After each test, every transfer the emulator made to the test's accounts matches exactly one
ledger entry, for the same amount.
"""

from __future__ import annotations

import http.client
import json
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.extensions import db
from marketplace.ledger import member_debts
from marketplace.ledger import services as ledger
from marketplace.ledger.models import JournalEntry
from marketplace.membership.models import Member
from marketplace.payouts import core
from marketplace.payouts import queries as payout_queries
from marketplace.payouts import services as payouts
from marketplace.payouts.models import PayoutLine
from tests.fixtures.buying import Buying
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.mail import SmtpSink
from tests.fixtures.payments import WEBHOOK_SECRET, signature_header, stripe_event
from tests.fixtures.stripe_emulator import StripeEmulator, stripe_client
from tests.fixtures.web import AuthActions, api_token, post_form

LOW_THRESHOLD = 2_000


def deliver_connect(
    client: FlaskClient, event: dict[str, Any], secret: str = WEBHOOK_SECRET
) -> Any:
    payload = json.dumps(event).encode()
    return client.post(
        "/webhooks/stripe/connect",
        data=payload,
        headers={"Stripe-Signature": signature_header(payload, secret)},
        content_type="application/json",
    )


def _http(url: str, method: str = "GET", form: str | None = None) -> tuple[int, str | None]:
    """(status, Location) of one request to the emulator, redirects not followed."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if form else {}
    connection.request(method, parts.path, body=form, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, response.getheader("Location")


class Payouts(Buying):
    """Buying, plus the member whose photos sell, with their API headers."""

    def __init__(self, app: Flask, emulator: StripeEmulator) -> None:
        super().__init__(app, emulator)
        self.member: Member = self.catalogue.member
        self.member_email = self.member.user.email
        self.member_headers = api_token(self.client, self.member_email)
        self.stripe = stripe_client(emulator.base_url)
        app.config["PAYOUT_THRESHOLD_CENTS"] = LOW_THRESHOLD

    def sell(self, asset_id: int | None = None) -> dict[str, Any]:
        return self.bought((asset_id or self.photo, "standard", "M"))

    def due(self, member_id: int | None = None) -> int:
        return ledger.member_balance(db.session(), member_id or self.member.id, "USD")

    def account_id(self, member_id: int | None = None) -> str:
        account = payouts.payout_account(db.session(), member_id or self.member.id)
        assert account is not None
        assert account.stripe_account_id
        return account.stripe_account_id

    def connect(self, headers: dict[str, str] | None = None, complete: bool = True) -> str:
        """Onboard through the emulator's page, as a member's browser does; the account id."""
        response = self.client.post(
            "/api/v1/me/payout-account", headers=headers or self.member_headers
        )
        assert response.status_code == 200, response.get_json()
        url = response.get_json()["onboarding_url"]
        assert _http(url)[0] == 200
        status, location = _http(url, "POST", f"outcome={'complete' if complete else 'incomplete'}")
        assert status == 303
        assert location is not None
        assert location.endswith("/account/earnings?payout_account=returned")
        return url

    def account_updated(self, account_id: str) -> None:
        event = stripe_event("account.updated", {"id": account_id, "object": "account"})
        assert deliver_connect(self.client, event).status_code == 200

    def set_state(self, account_id: str, **state: Any) -> None:
        request = urllib.request.Request(  # noqa: S310 - loopback
            f"{self.emulator.base_url}/_config/connect/accounts/{account_id}/state",
            data=json.dumps(state).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - loopback
            pass

    def pay_now(self) -> dict[str, Any]:
        response = self.client.post(
            "/api/v1/admin/royalty-payouts", json={}, headers=self.admin_headers
        )
        assert response.status_code == 202, response.get_json()
        started = response.get_json()
        assert set(started) == {"id", "status"}
        run = self.client.get(
            f"/api/v1/admin/royalty-payouts/{started['id']}", headers=self.admin_headers
        )
        assert run.status_code == 200
        return run.get_json()  # type: ignore[no-any-return]

    def transfers(self, account_id: str) -> list[Any]:
        page = self.stripe.v1.transfers.list({"destination": account_id, "limit": 100})
        return list(page.auto_paging_iter())

    def check_transfers_match_ledger(self, *account_ids: str) -> None:
        """Every transfer to these accounts has exactly one ledger entry, for its amount."""
        session = db.session()
        for account_id in account_ids:
            for transfer in self.transfers(account_id):
                line_id = transfer.metadata["payout_line_id"]
                entries = (
                    session.execute(
                        sa.select(JournalEntry).where(
                            JournalEntry.idempotency_key == f"payout-line:{line_id}"
                        )
                    )
                    .scalars()
                    .all()
                )
                assert len(entries) == 1, transfer.id
                assert sum(line.debit_cents for line in entries[0].lines) == transfer.amount
                line = session.get(PayoutLine, int(line_id))
                assert line is not None
                assert line.stripe_transfer_id == transfer.id
        balance = ledger.trial_balance(session, "USD")
        assert balance.total_debits_cents == balance.total_credits_cents


@pytest.fixture
def shop(shop_app: Flask, stripe_emulator: StripeEmulator) -> Payouts:
    return Payouts(shop_app, stripe_emulator)


def test_onboarding_through_stripe_makes_the_account_ready(shop: Payouts) -> None:
    shop.client.post("/api/v1/me/payout-account", headers=shop.member_headers)
    account_id = shop.account_id()
    assert payouts.ready_payout_account(db.session(), shop.member.id) is None
    shop.connect()
    # The same connected account, a fresh link each time.
    assert shop.account_id() == account_id
    assert payouts.ready_payout_account(db.session(), shop.member.id) is None  # no event yet
    shop.account_updated(account_id)
    db.session.expire_all()
    assert payouts.ready_payout_account(db.session(), shop.member.id) == account_id
    account = payouts.payout_account(db.session(), shop.member.id)
    assert account is not None
    assert account.details_submitted
    assert account.payouts_enabled
    assert account.transfers_active
    assert account.requirements_due == []
    raw = shop.stripe.v1.accounts.retrieve(account_id)
    assert raw.controller is not None
    assert raw.controller.stripe_dashboard is not None
    assert raw.controller.stripe_dashboard.type == "express"


def test_incomplete_onboarding_says_what_stripe_still_needs(shop: Payouts) -> None:
    shop.connect(complete=False)
    shop.account_updated(shop.account_id())
    db.session.expire_all()
    account = payouts.payout_account(db.session(), shop.member.id)
    assert account is not None
    assert not account.ready
    assert "external_account" in account.requirements_due
    client = shop.app.test_client()
    AuthActions(client).login(shop.member_email)
    page = client.get("/account/earnings").get_data(as_text=True)
    assert "a bank account to receive your payouts" in page
    assert "your date of birth" in page


def test_connect_webhook_needs_a_valid_signature(shop: Payouts) -> None:
    event = stripe_event("account.updated", {"id": "acct_nope", "object": "account"})
    assert deliver_connect(shop.client, event, secret="whsec_wrong").status_code == 400


def test_a_run_pays_a_member_above_the_threshold_once(shop: Payouts) -> None:
    shop.sell()
    shop.sell(shop.other)
    due = shop.due()
    assert due >= LOW_THRESHOLD
    shop.connect()
    account_id = shop.account_id()
    shop.account_updated(account_id)

    run = shop.pay_now()
    assert run["status"] == "done"
    assert [
        {k: line[k] for k in ("member_id", "amount_cents", "status")} for line in run["lines"]
    ] == [{"member_id": shop.member.id, "amount_cents": due, "status": "sent"}]
    assert run["lines"][0]["stripe_transfer_id"].startswith("tr_")
    assert run["lines"][0]["failure_reason"] is None
    transfers = shop.transfers(account_id)
    assert [t.amount for t in transfers] == [due]
    assert transfers[0].transfer_group in (None, f"payout-run-{run['id']}")
    assert shop.due() == 0

    again = shop.pay_now()
    assert again["id"] != run["id"]
    assert again["lines"] == []
    assert len(shop.transfers(account_id)) == 1

    earnings = shop.client.get("/api/v1/me/earnings", headers=shop.member_headers).get_json()
    assert earnings["royalties_paid_cents"] == due
    assert earnings["royalties_due_cents"] == 0
    assert earnings["royalties_earned_cents"] == due
    assert len(earnings["sales"]) == 2
    shop.check_transfers_match_ledger(account_id)


def test_members_below_the_threshold_or_without_an_account_are_not_paid(
    shop: Payouts, smtp_sink: SmtpSink
) -> None:
    shop.sell()
    other = Catalogue()
    other_photo = other.add("Quiet bay", "bay", size=(4000, 3000))
    shop.bought((other_photo, "standard", "S"))
    small = shop.due(other.member.id)
    assert 0 < small
    shop.app.config["PAYOUT_THRESHOLD_CENTS"] = small + 1
    assert shop.due() > small

    run = shop.pay_now()
    assert run["status"] == "done"
    # Only the first member reached the threshold, and has no payout account: held and told.
    assert [(line["member_id"], line["status"]) for line in run["lines"]] == [
        (shop.member.id, "held")
    ]
    assert "payout account" in run["lines"][0]["failure_reason"]
    message = smtp_sink.wait_for(shop.member_email, "payout account")
    assert "/account/earnings" in message.get_content()
    assert shop.due() > 0


def test_a_refused_transfer_fails_then_a_retry_with_a_new_key_pays_once(shop: Payouts) -> None:
    shop.sell()
    due = shop.due()
    shop.connect()
    account_id = shop.account_id()
    shop.account_updated(account_id)
    # Stripe changed its mind and the webhook has not arrived: the app still thinks it ready.
    shop.set_state(account_id, transfers="inactive")

    run = shop.pay_now()
    [line] = run["lines"]
    assert line["status"] == "failed"
    assert "capabilities" in line["failure_reason"]
    assert run["status"] == "done"
    assert shop.transfers(account_id) == []
    first_key = db.session.get(PayoutLine, line["id"]).idempotency_key

    shop.set_state(account_id, transfers="active", payouts_enabled=True, currently_due=[])
    shop.account_updated(account_id)
    admin_client = shop.app.test_client()
    AuthActions(admin_client).login(shop.admin.email)
    response = post_form(
        admin_client, f"/admin/payouts/{run['id']}/retry", from_page=f"/admin/payouts/{run['id']}"
    )
    assert response.status_code == 302

    after = shop.client.get(
        f"/api/v1/admin/royalty-payouts/{run['id']}", headers=shop.admin_headers
    ).get_json()
    assert after["status"] == "done"
    assert after["lines"][0]["status"] == "sent"
    assert after["lines"][0]["attempts"] == 2
    db.session.expire_all()
    assert db.session.get(PayoutLine, line["id"]).idempotency_key != first_key
    assert [t.amount for t in shop.transfers(account_id)] == [due]
    assert shop.due() == 0
    # A second retry finds nothing to do.
    assert payouts.retry_failed(run["id"], shop.admin) == 0
    assert len(shop.transfers(account_id)) == 1
    shop.check_transfers_match_ledger(account_id)


def test_a_refund_after_a_payout_is_owed_and_kept_from_the_next_royalties(shop: Payouts) -> None:
    order = shop.sell()
    shop.connect()
    account_id = shop.account_id()
    shop.account_updated(account_id)
    paid = shop.pay_now()["lines"][0]["amount_cents"]

    refund = shop.client.post(
        f"/api/v1/admin/orders/{order['id']}/refund", json={}, headers=shop.admin_headers
    )
    assert refund.status_code == 202
    assert shop.get(order["id"])["status"] == "refunded"
    # Not a negative payable: royalties payable stays at 0 and the member owes the co-op.
    assert shop.due() == 0
    assert member_debts.owed_cents(db.session(), shop.member.id, "USD") == paid

    assert shop.pay_now()["lines"] == []
    # A new sale's royalty is kept against the debt first: nothing is paid while it is owed.
    shop.sell(shop.other)
    royalty = shop.due()
    assert royalty > 0
    assert shop.pay_now()["lines"] == []
    kept = min(paid, royalty)
    assert shop.due() == royalty - kept
    assert member_debts.owed_cents(db.session(), shop.member.id, "USD") == paid - kept
    assert len(shop.transfers(account_id)) == 1
    earnings = shop.client.get("/api/v1/me/earnings", headers=shop.member_headers).get_json()
    assert earnings["royalties_due_cents"] == shop.due()
    assert earnings["royalties_paid_cents"] == paid
    assert earnings["owed_to_coop_cents"] == paid - kept
    assert earnings["royalties_earned_cents"] == royalty
    shop.check_transfers_match_ledger(account_id)


def test_a_transfer_event_settles_a_line_whose_answer_was_lost(shop: Payouts) -> None:
    shop.sell()
    due = shop.due()
    shop.connect()
    account_id = shop.account_id()
    # The app has not heard that the account is ready: the run holds the line.
    run_id = payouts.start_run(None)
    [line] = payout_queries.get_run(run_id).lines
    assert line.status == "held"
    # A transfer for the line exists at Stripe all the same (a worker died before its commit).
    transfer = shop.stripe.v1.transfers.create(
        {
            "amount": line.amount_cents,
            "currency": "usd",
            "destination": account_id,
            "metadata": {"payout_line_id": str(line.id), "member_id": str(shop.member.id)},
        },
        {"idempotency_key": line.idempotency_key},
    )
    event = stripe_event("transfer.created", {"id": transfer.id, "object": "transfer"})
    assert deliver_connect(shop.client, event).status_code == 200
    assert deliver_connect(shop.client, event).get_json()["duplicate"] is True
    db.session.expire_all()
    settled = db.session.get(PayoutLine, line.id)
    assert settled is not None
    assert (settled.status, settled.stripe_transfer_id) == ("sent", transfer.id)
    assert shop.due() == 0
    shop.check_transfers_match_ledger(account_id)

    # Stripe reverses part of it: those royalties are owed again, once however often told.
    shop.stripe.v1.transfers.reversals.create(transfer.id, {"amount": 500})
    for _ in range(2):
        reversed_event = stripe_event(
            "transfer.reversed", {"id": transfer.id, "object": "transfer"}
        )
        assert deliver_connect(shop.client, reversed_event).status_code == 200
    assert shop.due() == 500
    earnings = shop.client.get("/api/v1/me/earnings", headers=shop.member_headers).get_json()
    assert earnings["royalties_paid_cents"] == due - 500
    balance = ledger.trial_balance(db.session(), "USD")
    assert balance.total_debits_cents == balance.total_credits_cents


def test_api_shapes_and_roles(shop: Payouts) -> None:
    buyer_me = shop.client.get("/api/v1/me/earnings", headers=shop.headers)
    assert buyer_me.status_code == 403
    assert shop.client.post("/api/v1/me/payout-account", headers=shop.headers).status_code == 403
    member_pay = shop.client.post(
        "/api/v1/admin/royalty-payouts", json={}, headers=shop.member_headers
    )
    assert member_pay.status_code == 403
    assert (
        shop.client.get(
            "/api/v1/admin/royalty-payouts/999999", headers=shop.admin_headers
        ).status_code
        == 404
    )
    shop.sell()
    body = shop.client.get("/api/v1/me/earnings", headers=shop.member_headers).get_json()
    assert set(body) == {
        "currency", "royalties_earned_cents", "royalties_paid_cents", "royalties_due_cents",
        "dividends_cash_paid_cents", "capital_account_cents", "redemptions_paid_cents",
        "owed_to_coop_cents", "tax_withheld_cents", "sales",
    }  # fmt: skip
    assert body["currency"] == "USD"
    assert body["royalties_due_cents"] == shop.due() == body["royalties_earned_cents"]
    assert body["dividends_cash_paid_cents"] == 0
    assert body["capital_account_cents"] == 0
    [sale] = body["sales"]
    assert sale["asset_id"] == shop.photo
    assert sale["licence"] == "standard"
    assert sale["royalty_cents"] == shop.due()


def test_earnings_and_admin_pages(shop: Payouts) -> None:
    shop.sell()
    member_client = shop.app.test_client()
    AuthActions(member_client).login(shop.member_email)
    page = member_client.get("/account/earnings")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Royalties due" in text
    assert "Harbour at dawn" in text
    assert "<meter" in text
    assert "Connect a payout account" in text
    csv_text = member_client.get("/account/earnings/sales.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("sold_at,order_id")
    assert "Harbour at dawn" in csv_text
    connect = post_form(
        member_client, "/account/earnings/payout-account", from_page="/account/earnings"
    )
    assert connect.status_code == 200
    assert "/js.stripe.com/coop/connect/setup/" in connect.get_data(as_text=True)

    buyer_client = shop.app.test_client()
    AuthActions(buyer_client).login(shop.buyer.email)
    assert buyer_client.get("/account/earnings").status_code == 403
    assert buyer_client.get("/admin/payouts").status_code == 403

    admin_client = shop.app.test_client()
    AuthActions(admin_client).login(shop.admin.email)
    runs_page = admin_client.get("/admin/payouts")
    assert runs_page.status_code == 200
    assert "Pay royalties now" in runs_page.get_data(as_text=True)
    started = post_form(admin_client, "/admin/payouts", from_page="/admin/payouts")
    assert started.status_code == 302
    run_page = admin_client.get(started.headers["Location"])
    assert run_page.status_code == 200
    assert "held" in run_page.get_data(as_text=True).lower()


@pytest.mark.parametrize(
    ("codes", "words"),
    [
        ([], []),
        (["external_account"], ["a bank account to receive your payouts"]),
        (
            ["individual.dob.day", "individual.dob.month", "tos_acceptance.date"],
            ["your date of birth", "your acceptance of Stripe's services agreement"],
        ),
        (["something.new"], ["something: new"]),
    ],
)
def test_requirements_in_plain_words(codes: list[str], words: list[str]) -> None:
    assert core.describe_requirements(codes) == words


def test_monthly_bars_cover_twelve_months() -> None:
    from datetime import date

    bars = core.monthly_bars(
        date(2025, 3, 15),
        [(date(2025, 3, 1), 300), (date(2024, 4, 2), 100), (date(2024, 3, 31), 7)],
    )
    assert len(bars) == 12
    assert bars[0].month == date(2024, 4, 1)
    assert bars[-1].month == date(2025, 3, 1)
    assert (bars[0].cents, bars[0].percent) == (100, 33)
    assert (bars[-1].cents, bars[-1].percent) == (300, 100)
    assert sum(bar.cents for bar in bars) == 400
