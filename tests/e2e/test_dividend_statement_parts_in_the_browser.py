"""A founder who also sells reads one dividend statement for the run, with two parts (a
non-patronage member distribution and a patronage dividend) and the cash kept for her debt,
on phone and desktop (screenshots and axe)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from marketplace.database import unit_of_work, utcnow
from marketplace.dividends import held_cash, paying
from marketplace.dividends.models import DividendRun
from marketplace.ledger import debts
from marketplace.ledger import services as ledger
from marketplace.ledger.core import transfer_entry
from marketplace.ledger.entries import DIVIDENDS_PAYABLE, RETAINED_SURPLUS, AccountRef
from tests.e2e.looks import look_at
from tests.e2e.navigation import sign_in
from tests.fixtures.dividends import member_id
from tests.fixtures.factories import Factory
from tests.integration.services.test_dividend_statement_parts_on_services import founder_run


def test_a_founder_reads_one_statement_with_two_parts(
    app: Flask, live_server: str, browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    factory = Factory()
    admin = factory.admin()
    founder = factory.member("founder@example.org", member_class="founders")
    m = member_id(founder)
    number = founder.member.member_number  # type: ignore[union-attr]
    finished = datetime(utcnow().year - 1, 12, 30, 12, tzinfo=UTC)
    with unit_of_work() as session:
        run = founder_run(admin.id, m, number, finished)
        session.add(run)
        session.flush()
        run_id = run.id
        founders_id, artists_id = (a.id for a in run.allocations)
        ledger.post(
            session,
            transfer_entry(
                "e2e-founder-cash",
                "Dividend cash owed",
                "USD",
                AccountRef(RETAINED_SURPLUS),
                AccountRef(DIVIDENDS_PAYABLE, m),
                1_500,
                "dividend_allocation",
            ),
        )
        ledger.post(session, debts.clawback_entry("e2e-founder-debt", "USD", m, 300, "Clawed"))
    paying.pay_allocation(
        founders_id, payer=lambda **kwargs: "tr_founder", destination_for=lambda s, member: "acct"
    )
    with unit_of_work() as session:
        found = session.get(DividendRun, run_id)
        assert found is not None
        found.status, found.paid_at = "partially_paid", finished
        for allocation in found.allocations:
            if allocation.id == artists_id:
                allocation.status = "held"
            else:
                allocation.settled_at = finished
    held_cash.record_other_payment(admin, run_id, artists_id, "Cheque 42")

    sign_in(page, live_server, "founder@example.org")
    page.goto(f"{live_server}/account/dividends/")
    expect(page.get_by_role("link", name="PDF", exact=True)).to_have_count(1)
    look_at(page, "dividend-statements-founder")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/account/dividends/{run_id}")
    expect(page.get_by_text("Part 1 of 2: Non-patronage member distribution")).to_be_visible()
    expect(page.get_by_text("Part 2 of 2: Patronage dividend")).to_be_visible()
    expect(page.get_by_text("paid by other means (Cheque 42)")).to_be_visible()
    # The founders' cash went out last year, the cheque this year: two tax years.
    expect(page.get_by_text(f"Form 1099-PATR, tax year {finished.year}")).to_be_visible()
    expect(page.get_by_text(f"Form 1099-PATR, tax year {finished.year + 1}")).to_be_visible()
    look_at(page, "dividend-statement-two-parts")
