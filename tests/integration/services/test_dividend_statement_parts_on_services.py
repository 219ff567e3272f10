"""One dividend statement per member and run on PostgreSQL: a founder who also sells gets one
statement with two parts (a non-patronage member distribution and a patronage dividend), each
with its figures and box, totals that add up, cash kept against a debt shown as gross, kept and
paid (on the page, in the API and in the PDF's text), and held cash paid by cheque in the next
calendar year counted in 1099-PATR box 1 of the year it was paid, not the year the run finished.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask

from marketplace.database import unit_of_work, utcnow
from marketplace.dividends import held_cash, paying, schemas, statements
from marketplace.dividends.models import DividendAllocation, DividendRun
from marketplace.extensions import db
from marketplace.ledger import debts
from marketplace.ledger import services as ledger
from marketplace.ledger.core import transfer_entry
from marketplace.ledger.entries import DIVIDENDS_PAYABLE, RETAINED_SURPLUS, AccountRef
from marketplace.membership.consent import PatronageConsent
from marketplace.taxes import services as taxes
from tests.fixtures.dividends import member_id
from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions, api_token
from tests.pdf_text import pdf_words as pdf_text

pytestmark = pytest.mark.services

# Hand computation (cash share 50 %): founders' equal share 1,000 (cash 500, retained 500),
# the founder's patronage as an artist 2,000 (cash 1,000, retained 1,000); she owes 300 from a
# clawback, kept from the first cash paid: founders' part gross 500, kept 300, paid 200.
# The run finished paying on 30 Dec of last year with the artists' cash held; the cheque pays
# it this year, so this year's box 1 is 1,000 cash + 1,000 qualified notice, last year's 0.


def founder_run(admin_id: int, m: int, number: int, finished: datetime) -> DividendRun:
    run = DividendRun(
        period_start=date(finished.year - 1, 1, 1),
        period_end=date(finished.year - 1, 12, 31),
        currency="USD",
        status="paying",
        revenue_cents=3_000,
        refunds_cents=0,
        fees_cents=0,
        operating_costs_cents=0,
        surplus_cents=3_000,
        reserve_bps=0,
        reserve_cents=0,
        pool_cents=3_000,
        cash_bps=5_000,
        policy=[],
        classes=[
            {
                "code": "founders",
                "share_pct": "33.33",
                "basis": "equal",
                "pool_cents": 1_000,
                "total_weight": 1,
            },
            {
                "code": "artists",
                "share_pct": "66.67",
                "basis": "patronage",
                "pool_cents": 2_000,
                "total_weight": 2_000,
            },
        ],
        drafted_by_id=admin_id,
    )
    common = {"member_id": m, "member_number": number, "status": "pending"}
    run.allocations = [
        DividendAllocation(
            class_code="founders",
            basis="equal",
            weight=1,
            patronage_cents=2_000,
            allocation_cents=1_000,
            cash_cents=500,
            retained_cents=500,
            **common,
        ),
        DividendAllocation(
            class_code="artists",
            basis="patronage",
            weight=2_000,
            patronage_cents=2_000,
            allocation_cents=2_000,
            cash_cents=1_000,
            retained_cents=1_000,
            **common,
        ),
    ]
    return run


def test_a_founder_who_sells_gets_one_statement_and_held_cash_counts_when_paid(
    services_app: Flask,
) -> None:
    factory = Factory()
    admin = factory.admin()
    founder = factory.member(member_class="founders")
    m = member_id(founder)
    number = founder.member.member_number  # type: ignore[union-attr]
    this_year = utcnow().year
    finished = datetime(this_year - 1, 12, 30, 12, tzinfo=UTC)
    with unit_of_work() as session:
        run = founder_run(admin.id, m, number, finished)
        session.add(run)
        session.flush()
        run_id = run.id
        founders_id, artists_id = (a.id for a in run.allocations)
        ledger.post(
            session,
            transfer_entry(
                f"test-founder-cash-{run_id}",
                "Dividend cash owed",
                "USD",
                AccountRef(RETAINED_SURPLUS),
                AccountRef(DIVIDENDS_PAYABLE, m),
                1_500,
                "dividend_allocation",
            ),
        )
        ledger.post(
            session, debts.clawback_entry(f"test-founder-debt-{run_id}", "USD", m, 300, "Clawed")
        )
        session.add(
            PatronageConsent(
                member_id=m,
                agreement_version="2026-12",
                consented_at=datetime(this_year - 1, 6, 1, tzinfo=UTC),
                source="member",
            )
        )
    paying.pay_allocation(
        founders_id, payer=lambda **kwargs: "tr_founder", destination_for=lambda s, member: "acct"
    )
    with unit_of_work() as session:
        # Paid on 30 Dec of last year; the artists' cash held (no payout account then).
        found = session.get(DividendRun, run_id)
        assert found is not None
        found.status, found.paid_at = "partially_paid", finished
        by_id = {a.id: a for a in found.allocations}
        by_id[founders_id].settled_at = finished
        by_id[artists_id].status = "held"
    before = taxes.patronage_dividends(db.session(), this_year - 1, "USD", m)[m]
    assert (before.box1_patronage_dividends_cents, before.held_cash_cents) == (0, 1_000)
    assert before.non_patronage_cents == 1_000

    held_cash.record_other_payment(admin, run_id, artists_id, "Cheque 42")  # this year

    db.session.expire_all()
    [statement] = [
        s for s in statements.statements_for_member(db.session(), m) if s.run_id == run_id
    ]
    founders, artists = statement.parts
    assert (founders.class_code, artists.class_code) == ("founders", "artists")
    assert (founders.kept_cents, founders.paid_cents, artists.kept_cents) == (300, 200, 0)
    assert (founders.tax_year, artists.tax_year) == (this_year - 1, this_year)
    assert (statement.allocation_cents, statement.cash_cents, statement.retained_cents) == (
        3_000,
        1_500,
        1_500,
    )
    assert (statement.kept_cents, statement.paid_cents) == (300, 1_200)
    assert founders.box.startswith("Not on Form 1099-PATR")
    assert artists.box == (
        f"Form 1099-PATR {this_year}, box 1: cash $10.00 (the gross, kept part included), "
        "its qualified notice of $10.00 in box 1 too."
    )
    assert [p.tax_year for p in statement.patr_parts] == [this_year - 1, this_year]

    # 1099-PATR box 1 counts the cheque's cash in the year it went out.
    last = taxes.patronage_dividends(db.session(), this_year - 1, "USD", m)[m]
    assert (last.box1_patronage_dividends_cents, last.held_cash_cents) == (0, 0)
    assert last.non_patronage_cents == 1_000
    now = taxes.patronage_dividends(db.session(), this_year, "USD", m)[m]
    assert (now.cash_cents, now.qualified_notice_cents, now.box1_patronage_dividends_cents) == (
        1_000,
        1_000,
        2_000,
    )

    client = services_app.test_client()
    [body] = [
        s
        for s in client.get(
            "/api/v1/me/dividend-statements", headers=api_token(client, founder.email)
        ).get_json()["results"]
        if s["run_id"] == run_id
    ]
    assert (body["allocation_cents"], body["cash_cents"], body["kept_cents"]) == (3_000, 1_500, 300)
    assert (body["paid_cents"], body["cash_status"], body["class_code"]) == (
        1_200,
        "paid",
        "founders",
    )
    assert [
        (p["distribution_kind"], p["allocation_cents"], p["kept_cents"], p["tax_year"])
        for p in body["parts"]
    ] == [
        ("non_patronage_member_distribution", 1_000, 300, this_year - 1),
        ("patronage_dividend", 2_000, 0, this_year),
    ]

    auth = AuthActions(client)
    auth.login(founder.email)
    page = client.get(f"/account/dividends/{run_id}").get_data(as_text=True)
    for text in ("Part 1 of 2: Non-patronage member distribution", "Kept for your debt", "$3.00"):
        assert text in page
    listing = client.get("/account/dividends/").get_data(as_text=True)
    assert listing.count(f"/account/dividends/{run_id}.pdf") == 1
    text = pdf_text(client.get(f"/account/dividends/{run_id}.pdf").data)
    for words in (
        "Part 2 of 2: Patronage dividend",
        "Kept for your debt",
        "$3.00",
        "Cash paid to you",
        "$12.00",
        f"Form 1099-PATR, tax year {this_year}",
    ):
        assert words in text, words
    tax_page = client.get(f"/account/tax/summary?year={this_year}").get_data(as_text=True)
    assert "$20.00" in tax_page  # box 1: the cheque's cash and its qualified notice
    last_page = client.get(f"/account/tax/summary?year={this_year - 1}").get_data(as_text=True)
    assert "$20.00" not in last_page

    csv_rows = "".join(schemas.allocations_csv(db.session.get(DividendRun, run_id))).splitlines()
    assert csv_rows[0].endswith(",distribution_kind,paid_by_other_means,kept,cash_paid_to_member")
    assert sorted(row.split(",", 2)[2] for row in csv_rows[1:]) == [
        "artists,patronage,2000,20.00,20.00,10.00,10.00,paid,,"
        "patronage_dividend,Cheque 42,0.00,10.00",
        "founders,equal,1,20.00,10.00,5.00,5.00,paid,tr_founder,"
        "non_patronage_member_distribution,,3.00,2.00",
    ]
