"""Dividend runs on SQLite: what members and admins read: the allocations CSV, members'
statements and 1099-PATR, the admin pages, and the payment deadline banner."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import sqlalchemy as sa

from marketplace.dividends import services
from marketplace.dividends.models import DividendRun
from marketplace.dividends.subchapter_t import payment_deadline
from marketplace.extensions import db
from tests.fixtures.dividends import (
    RUNS,
    Coop,
    by_member,
    coop_fixture,  # noqa: F401 - a fixture, found here by pytest as ``coop``
    member_id,
)
from tests.fixtures.web import AuthActions, api_token, post_form


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
    # Held cash has not been paid, so nothing is in box 1 yet; it waits with its notice.
    patr = statement["form_1099_patr"]
    assert patr["required"] is False
    assert patr["box1_patronage_dividends_cents"] == 0
    assert patr["held_cash_cents"] == allocation["cash_cents"]
    assert statement["distribution_kind"] == "patronage_dividend"
    assert statement["qualified_notice"] is False  # no consent recorded

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
            "close_books_now": "1",
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
    # Every member's cash is held (no payout account): the run is not paid.
    assert db.session.get(DividendRun, run.id).status == "partially_paid"  # type: ignore[union-attr]
    progress = client.get(f"/admin/dividends/{run.id}/progress.json").get_json()
    assert progress == {
        "status": "partially_paid",
        "pending": 0,
        "paid": 0,
        "held": 4,
        "failed": 0,
    }
    csv_response = client.get(f"/admin/dividends/{run.id}/allocations.csv")
    assert csv_response.status_code == 200


def test_the_deadline_banner_warns_of_an_unpaid_run(coop: Coop) -> None:
    # A year with no sales allocates nothing: nothing to pay, so no deadline to warn of.
    empty = coop.draft(period_start="2025-01-01", period_end="2025-12-31")
    session = db.session()
    assert services.deadline_banner(session, date(2026, 9, 1)) is None
    run = coop.draft(period_start=(coop.today - timedelta(days=1)).isoformat())
    deadline = payment_deadline(coop.today)
    assert services.deadline_banner(session, deadline - timedelta(days=60)) is None
    warning = services.deadline_banner(session, deadline - timedelta(days=10))
    assert warning is not None
    assert deadline.isoformat() in warning
    coop.approve(empty["id"])
    refused = coop.client.post(f"{RUNS}/{empty['id']}/pay", headers=coop.approver_headers)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "nothing_to_pay"
    coop.approve(run["id"])
    coop.pay(run["id"])
    assert services.deadline_banner(session, deadline - timedelta(days=10)) is None
