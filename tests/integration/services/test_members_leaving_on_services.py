"""Members leaving, on PostgreSQL: a resignation with a date keeps the patronage earned while a
member, takes the work off sale, leaves the money pages readable; sales after the date are
non-member business; a leaver's capital is redeemed by two admins, what they owe kept first."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.assets.models import Asset
from marketplace.database import unit_of_work
from marketplace.dividends import member_business
from marketplace.dividends.models import DividendAllocation, DividendRun, RedemptionRun
from marketplace.dividends.patronage import reconcile_patronage, split_business
from marketplace.extensions import db
from marketplace.ledger import core as ledger_core
from marketplace.ledger import debts
from marketplace.ledger import services as ledger
from marketplace.ledger.entries import DIVIDENDS_PAYABLE, MEMBER_CAPITAL, MEMBER_RECEIVABLES
from marketplace.membership.models import Member
from tests.fixtures.dividends import at_noon, member_id, sell
from tests.fixtures.factories import Factory
from tests.fixtures.web import api_token

pytestmark = pytest.mark.services


def joined_on(member: int, day: date) -> None:
    with unit_of_work() as session:
        found = session.get(Member, member)
        assert found is not None
        found.joined_on = day


def test_a_resignation_with_a_date_keeps_patronage_up_to_it_and_the_money_pages(
    services_app: Flask,
) -> None:
    client = services_app.test_client()
    artist = Factory().member()
    buyer = Factory().buyer()
    m = member_id(artist)
    today = date.today()
    joined_on(m, today - timedelta(days=60))
    left = today - timedelta(days=10)
    sell(m, buyer.id, 10_000, on=left - timedelta(days=5))  # member business
    sell(m, buyer.id, 4_000, on=left)  # the leaving day still counts
    sell(m, buyer.id, 3_000, on=left + timedelta(days=1))  # after: non-member business
    headers = api_token(client, artist.email)

    unconfirmed = client.post(
        "/api/v1/me/membership/resignation", json={"confirm": False}, headers=headers
    )
    assert unconfirmed.status_code == 422
    future = client.post(
        "/api/v1/me/membership/resignation",
        json={"confirm": True, "left_on": (today + timedelta(days=1)).isoformat()},
        headers=headers,
    )
    assert future.status_code == 422
    resigned = client.post(
        "/api/v1/me/membership/resignation",
        json={"confirm": True, "left_on": left.isoformat(), "reason": "Moving on"},
        headers=headers,
    )
    assert resigned.status_code == 200, resigned.get_json()
    assert resigned.get_json()["status"] == "resigned"
    assert resigned.get_json()["left_on"] == left.isoformat()
    again = client.post(
        "/api/v1/me/membership/resignation", json={"confirm": True}, headers=headers
    )
    assert again.status_code == 403  # no longer a member

    # Their work left sale; their money pages stay theirs.
    withdrawn = db.session.execute(
        sa.select(Asset.withdrawn_at).where(Asset.member_id == m)
    ).scalars()
    assert all(moment is not None for moment in withdrawn)
    assert client.get("/api/v1/me/earnings", headers=headers).status_code == 200
    assert client.get("/api/v1/me/membership", headers=headers).get_json()["status"] == "resigned"
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert "member" not in me["roles"]  # no vote, no uploads

    # Patronage of the year: the 14,000 sold up to the leaving day; 3,000 is non-member.
    session = db.session()
    start, closes = at_noon(today - timedelta(days=59)), at_noon(today + timedelta(days=1))
    outside = member_business.non_member_sales(session, "USD", start, closes)
    assert outside == {m: 3_000}
    assert member_business.member_patronage({m: 17_000}, outside) == {m: 14_000}
    check = reconcile_patronage({m: 14_000}, 17_000, 0, outside)
    assert check.agrees
    assert "of which $30.00 is non-member business" in check.describe("USD")
    split = split_business(1_700, 14_000, 3_000)
    assert (split.surplus_from_members_cents, split.surplus_from_non_members_cents) == (
        1_400,
        300,
    )


def _retained_for(member: int, year: int, cents: int, admin_id: int) -> None:
    """A paid run of ``year`` that retained ``cents`` for the member, its entries posted."""
    with unit_of_work() as session:
        number = session.get(Member, member).member_number  # type: ignore[union-attr]
        run = DividendRun(
            period_start=date(year, 1, 1),
            period_end=date(year, 12, 31),
            currency="USD",
            status="paid",
            revenue_cents=cents * 2,
            refunds_cents=0,
            fees_cents=0,
            operating_costs_cents=0,
            surplus_cents=cents * 2,
            reserve_bps=0,
            reserve_cents=0,
            pool_cents=cents * 2,
            cash_bps=5_000,
            policy=[],
            classes=[],
            drafted_by_id=admin_id,
        )
        run.allocations = [
            DividendAllocation(
                member_id=member,
                member_number=number,
                class_code="artists",
                basis="patronage",
                weight=1,
                patronage_cents=cents,
                allocation_cents=cents * 2,
                cash_cents=cents,
                retained_cents=cents,
                status="paid",
            )
        ]
        session.add(run)
        session.flush()
        ledger.post(
            session,
            ledger_core.transfer_entry(
                f"test-capital:{run.id}",
                "Retained allocation",
                "USD",
                ledger_core.AccountRef(ledger_core.RETAINED_SURPLUS),
                ledger_core.AccountRef(MEMBER_CAPITAL, member),
                cents,
                "dividend_allocation",
            ),
        )


def test_a_leavers_capital_is_redeemed_by_two_admins_what_they_owe_kept_first(
    services_app: Flask,
) -> None:
    client = services_app.test_client()
    drafter, approver = Factory().admin(), Factory().admin()
    artist = Factory().member()
    m = member_id(artist)
    number = artist.member.member_number  # type: ignore[union-attr]
    joined_on(m, date(2023, 1, 1))
    _retained_for(m, 2023, 1_200, drafter.id)
    _retained_for(m, 2024, 800, drafter.id)
    # The member owes 300 (a royalty clawed back after it was paid out).
    with unit_of_work() as session:
        ledger.post(session, debts.clawback_entry("test-debt", "USD", m, 300, "Clawed back"))
    drafter_headers = api_token(client, drafter.email)
    approver_headers = api_token(client, approver.email)

    early = client.post(f"/api/v1/admin/members/{number}/redemption", headers=drafter_headers)
    assert early.status_code == 409  # still a member
    expelled = client.post(
        f"/api/v1/admin/members/{number}/expulsion",
        json={"board_decision_ref": "Board minutes 2026-11-30, item 4", "reason": "Plagiarism"},
        headers=drafter_headers,
    )
    assert expelled.status_code == 200, expelled.get_json()
    services_app.config["LEAVER_REDEMPTION_AFTER_DAYS"] = 30
    assert (
        client.post(
            f"/api/v1/admin/members/{number}/redemption", headers=drafter_headers
        ).get_json()["error"]["code"]
        == "redemption_not_due"
    )
    services_app.config["LEAVER_REDEMPTION_AFTER_DAYS"] = 0
    drafted = client.post(f"/api/v1/admin/members/{number}/redemption", headers=drafter_headers)
    assert drafted.status_code == 201, drafted.get_json()
    run_id = drafted.get_json()["id"]
    assert drafted.get_json()["total_cents"] == 2_000

    not_yet = client.post(f"/api/v1/admin/redemptions/{run_id}/pay", headers=approver_headers)
    assert not_yet.status_code == 409
    own = client.post(f"/api/v1/admin/redemptions/{run_id}/approve", headers=drafter_headers)
    assert own.status_code == 403
    approved = client.post(f"/api/v1/admin/redemptions/{run_id}/approve", headers=approver_headers)
    assert approved.get_json()["status"] == "approved"
    paid = client.post(f"/api/v1/admin/redemptions/{run_id}/pay", headers=approver_headers)
    assert paid.status_code == 202, paid.get_json()
    # The worker holds both lines (the leaver has no payout account yet).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        db.session.expire_all()
        run = db.session.get(RedemptionRun, run_id)
        assert run is not None
        if run.status != "paying":
            break
        time.sleep(0.3)
    lines = sorted(
        (line.year, line.amount_cents, line.kept_cents, line.status) for line in run.lines
    )
    # 2023's 1,200 pays the 300 owed first (900 to transfer), then 2024's 800.
    assert lines == [(2023, 1_200, 300, "held"), (2024, 800, 0, "held")]
    assert (run.member_id, run.approved_by_id) == (m, approver.id)
    session = db.session()
    assert ledger.member_balance(session, m, "USD", MEMBER_CAPITAL) == 0
    assert ledger.member_balance(session, m, "USD", MEMBER_RECEIVABLES) == 0
    assert ledger.member_balance(session, m, "USD", DIVIDENDS_PAYABLE) == 1_700
    trial = ledger.trial_balance(session, "USD")
    assert trial.total_debits_cents == trial.total_credits_cents


def test_a_run_counts_a_leavers_sales_after_leaving_as_non_member_business(
    services_app: Flask,
) -> None:
    client = services_app.test_client()
    admin = Factory().admin()
    stayer, leaver = Factory().member(), Factory().member()
    buyer = Factory().buyer()
    s, m = member_id(stayer), member_id(leaver)
    # A year of its own (2022): no other test's sales or runs fall in it.
    for member in (s, m):
        joined_on(member, date(2021, 5, 1))
    left = date(2022, 6, 30)
    sell(s, buyer.id, 6_000, on=date(2022, 3, 1))
    sell(m, buyer.id, 4_000, on=left)  # the leaving day: member business
    sell(m, buyer.id, 2_000, on=left + timedelta(days=2))  # after: non-member business
    headers = api_token(client, leaver.email)
    resigned = client.post(
        "/api/v1/me/membership/resignation",
        json={"confirm": True, "left_on": left.isoformat()},
        headers=headers,
    )
    assert resigned.status_code == 200, resigned.get_json()

    drafted = client.post(
        "/api/v1/admin/dividend-runs",
        json={
            "period_start": "2022-01-01",
            "period_end": "2022-12-31",
            "reserve_pct": 10,
            "cash_pct": 30,
        },
        headers=api_token(client, admin.email),
    )
    assert drafted.status_code == 201, drafted.get_json()
    run = drafted.get_json()
    assert run["member_business_cents"] == 10_000
    assert run["non_member_business_cents"] == 2_000
    assert (
        run["surplus_from_members_cents"] + run["surplus_from_non_members_cents"]
        == run["surplus_cents"]
    )
    patronage = {
        a["member_id"]: a["patronage_cents"]
        for a in run["allocations"]
        if a.get("basis", "patronage") == "patronage"
    }
    # The leaver keeps the patronage of the 4,000 sold while a member, not the 2,000 after.
    assert patronage.get(m) == 4_000
    assert patronage.get(s) == 6_000
