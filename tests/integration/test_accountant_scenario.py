"""The books a co-op accountant signs (issue 17), replayed on PostgreSQL, Redis, the real worker
and the Stripe emulator, through the API the pages and clients use, against a hand computation.

Two founders (one also sells her own photos), a staff member, three artists (one with no payout
account, one who never consents to patronage allocations) and an artist who resigns mid-year.
1996 makes a loss, carried forward; 1997 makes a surplus, costs recorded as they happen. After
the 1997 run: the retained allocations of 1997 are redeemed, then a royalty is clawed back
after it was paid out. The years are the test's own, so no other test's run overlaps them.

Hand computation (royalty 50 %, a $1.00 fee per order, USD cents):

1996: one sale of 10,000 -> revenue 5,000, fees 100, costs 8,000: a loss of 3,100, carried
      forward (the board's default policy); no pool, so nothing to pay.
1997: sales F1 4,000, A1 20,000, A2 8,000, A3 6,000, R 2,000 (before leaving on 1 July) and
      R 3,000 (after: non-member business) -> revenue 10,750 + 10,750 = 21,500 (half of each),
      fees 6 x 100 = 600, costs 1,500 + 2,000 = 3,500; surplus 17,400; less the 3,100 brought
      forward: 14,300; reserve 10 % 1,430; pool 12,870.
      Classes (5 / 5 / 90 % of 12,870 = 643.5 / 643.5 / 11,583; the odd cent to the earlier
      class): founders 644, staff 643, artists 11,583.
      Founders equal: F1 322, F2 322 (non-patronage member distributions).
      Staff by service years (joined 1 June 1993: 4 completed years + 1): S1 643 (staff
      compensation).
      Artists by patronage 40,000 (A1 20,000, A2 8,000, A3 6,000, F1 4,000, R 2,000):
      5,791.5 / 2,316.6 / 1,737.45 / 1,158.3 / 579.15 -> floors 11,581, the 2 cents left to the
      largest remainders (A2 .6, A1 .5): A1 5,792, A2 2,317, A3 1,737, F1 1,158, R 579.
      Cash 20 % rounded up: F1 65 + 232, F2 65, S1 129, A1 1,159, A2 464, A3 348, R 116.
      Statements, one per member: F1's has two parts, founders 322 (cash 65, retained 257, not
      on 1099-PATR) and artists 1,158 (cash 232, retained 926, box 1), totals 1,480 / 297 /
      1,183. A2's held 464 paid by cheque counts in box 1 of the year the cheque went out.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.database import unit_of_work
from marketplace.dividends.models import RedemptionRun
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.ledger.entries import (
    BANK,
    DIVIDENDS_PAYABLE,
    MEMBER_RECEIVABLES,
    ROYALTIES_PAYABLE,
)
from marketplace.ledger.models import JournalEntry
from marketplace.ledger.reports import trial_balance
from marketplace.membership.models import Member
from marketplace.orders.models import Order
from marketplace.payments import refunds
from marketplace.payouts import core as payouts_core
from tests.fixtures.dividends import RUNS, member_id, sell
from tests.fixtures.factories import Factory
from tests.fixtures.stripe_emulator import StripeEmulator, stripe_client
from tests.fixtures.web import api_token
from tests.integration.services.dividend_stack import ready_account, run_status, wait_for

pytestmark = pytest.mark.services

LOSS_YEAR, SURPLUS_YEAR = 1996, 1997
CONSENT = "/api/v1/me/patronage-consent"
STATEMENTS = "/api/v1/me/dividend-statements"


def _set_joined(members: dict[int, date]) -> None:
    with unit_of_work() as session:
        for member, day in members.items():
            found = session.get(Member, member)
            assert found is not None
            found.joined_on = day


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def _cost(client: FlaskClient, headers: dict[str, str], day: date, cents: int, code: str) -> None:
    _ok(
        client.post(
            "/api/v1/admin/costs",
            json={
                "incurred_on": day.isoformat(),
                "description": f"Cost of {day.isoformat()}",
                "amount_cents": cents,
                "expense_code": code,
                "paid_from": "bank",
            },
            headers=headers,
        ),
        201,
    )


def _year(year: int) -> dict[str, Any]:
    return {
        "period_start": date(year, 1, 1).isoformat(),
        "period_end": date(year, 12, 31).isoformat(),
        "reserve_pct": 10,
        "cash_pct": 20,
    }


def _posted_on(key: str) -> date:
    moment = db.session.execute(
        sa.select(JournalEntry.posted_at).where(JournalEntry.idempotency_key == key)
    ).scalar_one()
    return moment.astimezone(UTC).date()


def _statements(client: FlaskClient, email: str, run_id: int) -> list[dict[str, Any]]:
    found = _ok(client.get(STATEMENTS, headers=api_token(client, email)))["results"]
    return [s for s in found if s["run_id"] == run_id]


def test_the_accountants_scenario_matches_the_hand_computation(
    services_app: Flask, stripe_emulator: StripeEmulator
) -> None:
    client = services_app.test_client()
    stripe_api = stripe_client(stripe_emulator.base_url)
    factory = Factory()
    drafter, approver = factory.admin(), factory.admin()
    admin, second = api_token(client, drafter.email), api_token(client, approver.email)
    users = {
        "F1": factory.member(member_class="founders"),
        "F2": factory.member(member_class="founders"),
        "S1": factory.member(member_class="staff"),
        "A1": factory.member(),
        "A2": factory.member(),
        "A3": factory.member(),
        "R": factory.member(),
    }
    ids = {name: member_id(user) for name, user in users.items()}
    joined = {m: date(1990, 1, 1) for m in ids.values()}
    joined[ids["S1"]] = date(1993, 6, 1)
    _set_joined(joined)
    for name in ("F1", "F2", "S1", "A1", "A3", "R"):  # A2 has no payout account
        ready_account(stripe_api, stripe_emulator.base_url, ids[name])
    buyer = factory.buyer()
    try:
        _replay(client, admin, second, users, ids, buyer.id)
    finally:
        # These members joined in 1990: keep them out of any other test's later run.
        _set_joined(dict.fromkeys(ids.values(), date(2999, 1, 1)))


def _replay(
    client: FlaskClient,
    admin: dict[str, str],
    second: dict[str, str],
    users: dict[str, Any],
    ids: dict[str, int],
    buyer: int,
) -> None:
    # 1996: a loss, carried forward.
    sell(ids["A1"], buyer, 10_000, on=date(LOSS_YEAR, 3, 10))
    _cost(client, admin, date(LOSS_YEAR, 6, 30), 8_000, "5210")
    loss = _ok(client.post(RUNS, json=_year(LOSS_YEAR), headers=admin), 201)
    assert (loss["revenue_cents"], loss["fees_cents"], loss["operating_costs_cents"]) == (
        5_000,
        100,
        8_000,
    )
    assert (loss["surplus_cents"], loss["pool_cents"], loss["allocations"]) == (-3_100, 0, [])
    assert loss["loss_carried_forward_cents"] == 3_100
    assert loss["reason"] == (
        "The period made a loss of $31.00: $31.00 is carried forward against later "
        "surpluses; no dividend pool."
    )
    _ok(client.post(f"{RUNS}/{loss['id']}/approve", headers=second))
    assert _posted_on(f"dividend_closing:{loss['id']}") == date(LOSS_YEAR, 12, 31)
    nobody = client.post(f"{RUNS}/{loss['id']}/pay", headers=second)
    assert nobody.status_code == 409
    assert nobody.get_json()["error"]["code"] == "nothing_to_pay"
    assert run_status(loss["id"]) == "approved"  # a run that paid nobody is not "paid"

    # 1997: costs as they happen, sales, a resignation mid-year, consents.
    _cost(client, admin, date(SURPLUS_YEAR, 3, 31), 1_500, "5220")
    _cost(client, admin, date(SURPLUS_YEAR, 10, 15), 2_000, "5210")
    for name, cents, day in (
        ("F1", 4_000, date(SURPLUS_YEAR, 2, 1)),
        ("A1", 20_000, date(SURPLUS_YEAR, 3, 1)),
        ("A2", 8_000, date(SURPLUS_YEAR, 4, 1)),
        ("A3", 6_000, date(SURPLUS_YEAR, 5, 1)),
        ("R", 2_000, date(SURPLUS_YEAR, 6, 1)),
        ("R", 3_000, date(SURPLUS_YEAR, 8, 1)),  # after leaving: non-member business
    ):
        sell(ids[name], buyer, cents, on=day)
    for name in ("A1", "A2", "F1", "R"):  # A3 never consents
        given = client.post(
            CONSENT,
            json={"agreement_version": "2026-12"},
            headers=api_token(client, users[name].email),
        )
        assert _ok(given, 201)["consent"]["source"] == "member"
    _ok(
        client.post(
            "/api/v1/me/membership/resignation",
            json={"confirm": True, "left_on": date(SURPLUS_YEAR, 7, 1).isoformat()},
            headers=api_token(client, users["R"].email),
        )
    )

    run = _ok(client.post(RUNS, json=_year(SURPLUS_YEAR), headers=admin), 201)
    assert (run["revenue_cents"], run["fees_cents"], run["operating_costs_cents"]) == (
        21_500,
        600,
        3_500,
    )
    assert (run["surplus_cents"], run["loss_brought_forward_cents"]) == (17_400, 3_100)
    assert (run["reserve_cents"], run["pool_cents"], run["loss_carried_forward_cents"]) == (
        1_430,
        12_870,
        0,
    )
    assert [(c["code"], c["pool_cents"]) for c in run["classes"]] == [
        ("founders", 644),
        ("staff", 643),
        ("artists", 11_583),
    ]
    expected = {
        ("F1", "founders"): (322, 65, "non_patronage_member_distribution"),
        ("F1", "artists"): (1_158, 232, "patronage_dividend"),
        ("F2", "founders"): (322, 65, "non_patronage_member_distribution"),
        ("S1", "staff"): (643, 129, "staff_compensation"),
        ("A1", "artists"): (5_792, 1_159, "patronage_dividend"),
        ("A2", "artists"): (2_317, 464, "patronage_dividend"),
        ("A3", "artists"): (1_737, 348, "patronage_dividend"),
        ("R", "artists"): (579, 116, "patronage_dividend"),
    }
    names = {m: n for n, m in ids.items()}
    got = {
        (names[a["member_id"]], a["class_code"]): (
            a["allocation_cents"],
            a["cash_cents"],
            a["distribution_kind"],
        )
        for a in run["allocations"]
    }
    assert got == expected
    assert run["patronage_dividends_cents"] == 11_583
    assert run["other_distributions_cents"] == 1_287

    # Approved long after 15 Sep 1998 without a reason: the notices would be nonqualified.
    approved = _ok(client.post(f"{RUNS}/{run['id']}/approve", headers=second))
    assert approved["payment_deadline"] == "1998-09-15"
    assert approved["notices_qualified_by_date"] is False
    for kind in ("dividend_closing", "dividend_reserve", "dividend_allocation"):
        assert _posted_on(f"{kind}:{run['id']}") == date(SURPLUS_YEAR, 12, 31)
    reason = "IRS letter of 3 March: the payment period was extended for the co-op"
    _ok(
        client.post(f"{RUNS}/{run['id']}/pay", json={"late_reason": reason}, headers=second),
        202,
    )
    wait_for(lambda: run_status(run["id"]) != "paying")
    paid = _ok(client.get(f"{RUNS}/{run['id']}", headers=admin))
    assert paid["status"] == "partially_paid"  # A2's cash is held
    assert [(h["member_id"], h["cash_cents"]) for h in paid["cash_held"]] == [(ids["A2"], 464)]
    assert (paid["notices_qualified_by_date"], paid["late_reason"]) == (True, reason)

    [held] = _statements(client, users["A2"].email, run["id"])
    assert held["cash_status"] == "held"
    assert held["form_1099_patr"]["box1_patronage_dividends_cents"] == 0
    assert (
        held["form_1099_patr"]["held_cash_cents"],
        held["form_1099_patr"]["held_notice_cents"],
    ) == (
        464,
        1_853,
    )
    assert "the co-op must pay it by 1998-09-15" in " ".join(held["notice"])

    a2 = next(a for a in paid["allocations"] if a["member_id"] == ids["A2"])
    other = client.post(
        f"{RUNS}/{run['id']}/allocations/{a2['id']}/paid-other-means",
        json={"reference": "Cheque 1001"},
        headers=second,
    )
    assert _ok(other)["status"] == "paid"
    assert run_status(run["id"]) == "paid"
    session = db.session()
    assert ledger.member_balance(session, ids["A2"], "USD", DIVIDENDS_PAYABLE) == 0
    cheque = f"dividend_payment:{a2['id']}"
    bank_credit = session.execute(
        sa.select(JournalEntry).where(JournalEntry.idempotency_key == cheque)
    ).scalar_one()
    assert sorted(
        (line.account.code, line.side, line.amount_cents) for line in bank_credit.lines
    ) == [
        (BANK, "credit", 464),
        (DIVIDENDS_PAYABLE, "debit", 464),
    ]

    _check_statements(client, users, run["id"])
    _redeem_and_claw_back(client, admin, second, users, ids, run["id"])


def _patr(statement: dict[str, Any]) -> tuple[int, int, int, int]:
    patr = statement["form_1099_patr"]
    return (
        patr["box1_patronage_dividends_cents"],
        patr["cash_cents"],
        patr["qualified_notice_cents"],
        patr["nonqualified_notice_cents"],
    )


def _check_statements(client: FlaskClient, users: dict[str, Any], run_id: int) -> None:
    """Every member's statements of the run: kind, 1099-PATR boxes and the notice's words."""
    [a1] = _statements(client, users["A1"].email, run_id)
    assert _patr(a1) == (5_792, 1_159, 4_633, 0)
    assert a1["qualified_notice"] is True
    assert "stated dollar amount of your patronage dividend is $57.92" in a1["notice"][0]
    assert "you must report the whole $57.92 as income" in a1["notice"][1]

    [a2] = _statements(client, users["A2"].email, run_id)
    assert _patr(a2) == (2_317, 464, 1_853, 0)  # the cheque paid its cash
    # ... in the year it went out (the run finished paying in the same year here).
    assert a2["tax_year"] == a2["form_1099_patr"]["tax_year"] == datetime.now(UTC).year
    assert (a2["cash_status"], a2["kept_cents"], a2["paid_cents"]) == ("paid", 0, 464)

    [a3] = _statements(client, users["A3"].email, run_id)
    assert _patr(a3) == (348, 348, 0, 1_389)  # no consent: the retained part is nonqualified
    assert "NONQUALIFIED" in a3["notice"][1]

    [f1] = _statements(client, users["F1"].email, run_id)  # one statement, two parts
    assert (f1["allocation_cents"], f1["cash_cents"], f1["retained_cents"]) == (1_480, 297, 1_183)
    assert (f1["kept_cents"], f1["paid_cents"], f1["class_code"]) == (0, 297, "founders")
    parts = {p["class_code"]: p for p in f1["parts"]}
    assert [p["class_code"] for p in f1["parts"]] == ["founders", "artists"]
    assert parts["founders"]["distribution_kind"] == "non_patronage_member_distribution"
    assert (parts["founders"]["allocation_cents"], parts["founders"]["cash_cents"]) == (322, 65)
    assert parts["founders"]["box"].startswith("Not on Form 1099-PATR")
    assert parts["artists"]["distribution_kind"] == "patronage_dividend"
    assert (parts["artists"]["allocation_cents"], parts["artists"]["cash_cents"]) == (1_158, 232)
    assert _patr(f1) == _patr(parts["artists"]) == (1_158, 232, 926, 0)
    assert f1["form_1099_patr"]["non_patronage_distributions_cents"] == 322
    year = parts["artists"]["tax_year"]
    assert parts["artists"]["box"] == (
        f"Form 1099-PATR {year}, box 1: cash $2.32 (the gross, kept part included), "
        "its qualified notice of $9.26 in box 1 too."
    )

    [f2] = _statements(client, users["F2"].email, run_id)
    assert _patr(f2) == (0, 0, 0, 0)
    assert f2["form_1099_patr"]["required"] is False
    assert "not a patronage dividend" in f2["notice"][0]

    [s1] = _statements(client, users["S1"].email, run_id)
    assert s1["distribution_kind"] == "staff_compensation"
    assert _patr(s1) == (0, 0, 0, 0)
    assert s1["form_1099_patr"]["non_patronage_distributions_cents"] == 643

    [r] = _statements(client, users["R"].email, run_id)  # resigned, still theirs to read
    assert _patr(r) == (579, 116, 463, 0)
    assert r["patronage_cents"] == 2_000  # the 3,000 sold after leaving is not patronage


def _redeem_and_claw_back(
    client: FlaskClient,
    admin: dict[str, str],
    second: dict[str, str],
    users: dict[str, Any],
    ids: dict[str, int],
    run_id: int,
) -> None:
    """Redeeming 1997's retained allocations puts A3's nonqualified notice in box 5; a royalty
    clawed back after it was paid out leaves A1 owing the co-op."""
    drafted = _ok(client.post("/api/v1/admin/redemptions", json={"year": 1997}, headers=admin), 201)
    assert drafted["total_cents"] == 10_292  # the pool 12,870 less the cash 2,578
    _ok(client.post(f"/api/v1/admin/redemptions/{drafted['id']}/approve", headers=second))
    _ok(client.post(f"/api/v1/admin/redemptions/{drafted['id']}/pay", headers=second), 202)

    def redeemed() -> bool:
        db.session.expire_all()
        found = db.session.get(RedemptionRun, drafted["id"])
        return found is not None and found.status in ("paid", "partially_paid")

    wait_for(redeemed)
    [a3] = _statements(client, users["A3"].email, run_id)
    assert a3["form_1099_patr"]["box5_nonqualified_redemptions_cents"] == 1_389
    [a1] = _statements(client, users["A1"].email, run_id)
    assert a1["form_1099_patr"]["box5_nonqualified_redemptions_cents"] == 0  # was qualified

    # A1's royalties (5,000 of 1996 and 10,000 of 1997) paid out, then the 1997 sale refunded.
    a1_id = ids["A1"]
    with unit_of_work() as session:
        ledger.post(
            session,
            payouts_core.royalty_payout_entry(
                f"royalty_payout:scenario-{a1_id}", "USD", a1_id, 15_000, "Royalties paid"
            ),
        )
    order_id = db.session.execute(
        sa.select(Order.id)
        .where(Order.paid_at == datetime(SURPLUS_YEAR, 3, 1, 12, tzinfo=UTC))
        .where(Order.items.any(member_id=a1_id))
    ).scalar_one()
    with unit_of_work() as session:
        order = session.get(Order, order_id)
        assert order is not None
        refunds._reverse_items(
            session, order, list(order.items), f"refund:scenario-{order_id}", chargeback=False
        )
    session = db.session()
    assert ledger.member_balance(session, a1_id, "USD", ROYALTIES_PAYABLE) == 0
    assert ledger.member_balance(session, a1_id, "USD", MEMBER_RECEIVABLES) == 10_000
    balance = trial_balance(session, "USD")
    assert balance.total_debits_cents == balance.total_credits_cents
