"""Patronage as the law defines it, on SQLite, through the pages and the services they call:
members' consent (application, their own page, an admin's record of a signed paper), held cash
settled by hand, a run approved after its payment period, and a loss charged to reserves."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from marketplace.dividends.models import DividendAllocation, DividendRun
from marketplace.extensions import db
from marketplace.ledger.models import JournalEntry
from marketplace.membership import consent, services
from marketplace.membership.consent import PatronageConsent
from marketplace.membership.models import Member
from tests.fixtures.dividends import (
    RUNS,
    Coop,
    by_member,
    coop_fixture,  # noqa: F401 - a fixture, found here by pytest as ``coop``
    member_id,
)
from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions, post_form

CONSENT_PAGE = "/account/dividends/consent"


def _consents(member: int) -> list[tuple[str, str]]:
    rows = db.session.execute(
        sa.select(PatronageConsent.source, PatronageConsent.agreement_version).where(
            PatronageConsent.member_id == member
        )
    ).all()
    return [(source, version) for source, version in rows]


def test_a_member_consents_on_their_page_once(app: Flask, auth: AuthActions) -> None:
    member = Factory().member()
    auth.login(member.email)
    page = auth.client.get(CONSENT_PAGE).get_data(as_text=True)
    assert "You have not consented yet" in page
    assert consent.CONSENT_CLAUSES[consent.AGREEMENT_VERSION][:60] in page

    post_form(auth.client, CONSENT_PAGE, {"version": consent.AGREEMENT_VERSION})
    assert _consents(member_id(member)) == []  # the box was not ticked
    post_form(auth.client, CONSENT_PAGE, {"version": consent.AGREEMENT_VERSION, "confirm": "1"})
    post_form(auth.client, CONSENT_PAGE, {"version": consent.AGREEMENT_VERSION, "confirm": "1"})
    assert _consents(member_id(member)) == [("member", consent.AGREEMENT_VERSION)]
    page = auth.client.get(CONSENT_PAGE).get_data(as_text=True)
    assert "You consented on" in page
    assert "Give my consent" not in page


def test_consent_given_when_applying_is_recorded_on_admission(app: Flask) -> None:
    factory = Factory()
    admin, applicant = factory.admin(), factory.buyer()
    application = services.submit_application(
        applicant,
        "I photograph harbours at dawn and would love to sell them with the co-op.",
        "",
        patronage_consent=True,
    )
    assert application.patronage_consent_version == consent.AGREEMENT_VERSION
    services.decide_application(admin, application.id, "approve")
    member = consent.member_of_user(db.session(), applicant)
    assert member is not None
    assert _consents(member.id) == [("application", consent.AGREEMENT_VERSION)]
    found = consent.consent_of(db.session(), member.id)
    assert found is not None
    assert found.consented_at == application.patronage_consented_at


def test_an_admin_records_a_signed_paper_with_its_note(app: Flask, auth: AuthActions) -> None:
    factory = Factory()
    admin, member = factory.admin(), factory.member()
    number = db.session.execute(
        sa.select(Member.member_number).where(Member.id == member_id(member))
    ).scalar_one()
    auth.login(admin.email)
    page = "/admin/dividends/"
    post_form(
        auth.client, "/admin/dividends/consents", {"member_number": str(number)}, from_page=page
    )
    assert _consents(member_id(member)) == []  # no note, no record
    post_form(
        auth.client,
        "/admin/dividends/consents",
        {"member_number": str(number), "note": "Signed 2 May, filed in the members' binder"},
        from_page=page,
    )
    assert _consents(member_id(member)) == [("admin", consent.AGREEMENT_VERSION)]


def test_held_cash_is_paid_by_other_means_or_recorded_unpaid(coop: Coop, auth: AuthActions) -> None:
    run = coop.draft()
    coop.approve(run["id"])
    paid = coop.pay(run["id"])
    assert paid["status"] == "partially_paid"  # nobody has a payout account
    a, b = member_id(coop.artist_a), member_id(coop.artist_b)
    allocation_a, allocation_b = by_member(run)[a], by_member(run)[b]
    auth.login(coop.approver.email)
    run_page = f"/admin/dividends/{run['id']}"
    page = auth.client.get(run_page).get_data(as_text=True)
    assert "Cash held: not paid yet" in page
    assert "Payment deadline" in page

    base = f"{run_page}/allocations"
    post_form(auth.client, f"{base}/{allocation_a['id']}/paid-other-means", {}, from_page=run_page)
    db.session.expire_all()
    assert db.session.get(DividendAllocation, allocation_a["id"]).status == "held"  # type: ignore[union-attr]
    post_form(
        auth.client,
        f"{base}/{allocation_a['id']}/paid-other-means",
        {"reference": "Cheque 2207"},
        from_page=run_page,
    )
    post_form(
        auth.client,
        f"{base}/{allocation_b['id']}/unpaid",
        {"reason": "The member's address is unknown"},
        from_page=run_page,
    )
    db.session.expire_all()
    settled_a = db.session.get(DividendAllocation, allocation_a["id"])
    settled_b = db.session.get(DividendAllocation, allocation_b["id"])
    assert settled_a is not None
    assert settled_b is not None
    assert (settled_a.status, settled_a.paid_by_other_means) == ("paid", "Cheque 2207")
    assert (settled_b.status, settled_b.failure_reason) == (
        "failed",
        "The member's address is unknown",
    )
    assert db.session.get(DividendRun, run["id"]).status == "partially_paid"  # type: ignore[union-attr]
    again = coop.client.post(
        f"{RUNS}/{run['id']}/allocations/{allocation_a['id']}/paid-other-means",
        json={"reference": "Cheque 2208"},
        headers=coop.approver_headers,
    )
    assert again.status_code == 409  # paid once only
    keys = db.session.execute(
        sa.select(JournalEntry.idempotency_key).where(
            JournalEntry.idempotency_key == f"dividend_payment:{allocation_a['id']}"
        )
    ).scalars()
    assert len(list(keys)) == 1


def test_approving_after_the_payment_period_marks_the_notices_nonqualified(
    coop: Coop, auth: AuthActions
) -> None:
    run = coop.draft(period_start="2024-01-01", period_end="2024-12-31")
    auth.login(coop.approver.email)
    run_page = f"/admin/dividends/{run['id']}"
    page = auth.client.get(run_page).get_data(as_text=True)
    assert "The payment period ended on 2025-09-15" in page
    response = post_form(auth.client, f"{run_page}/approve", {}, from_page=run_page)
    assert response.status_code == 302
    shown = auth.client.get(run_page).get_data(as_text=True)
    assert "its written notices of allocation are NONQUALIFIED" in shown
    body = coop.get(run["id"])
    assert body["notices_qualified_by_date"] is False
    assert body["past_deadline_on"] is not None


def test_a_loss_is_charged_to_reserves_when_the_board_says_so(app: Flask, coop: Coop) -> None:
    app.config["DIVIDEND_LOSS_POLICY"] = "charge_reserves"
    coop.record_cost(100_000, "A year's insurance")
    run = coop.draft()
    assert run["surplus_cents"] < 0
    assert run["loss_charged_to_reserves_cents"] == -run["surplus_cents"]
    assert run["loss_carried_forward_cents"] == 0
    assert "charged to reserves" in run["reason"]
    coop.approve(run["id"])
    entry = db.session.execute(
        sa.select(JournalEntry).where(
            JournalEntry.idempotency_key == f"dividend_reserve:{run['id']}-loss"
        )
    ).scalar_one()
    assert sorted((line.account.code, line.side, line.amount_cents) for line in entry.lines) == [
        ("3200", "debit", -run["surplus_cents"]),
        ("3300", "credit", -run["surplus_cents"]),
    ]
