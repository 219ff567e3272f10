"""A dividend run's surplus counts every expense account, on PostgreSQL through the API the
admin pages call: a member's debt written off in the year (5300) lowers the surplus as the
hosting cost (5210) does, and the run's closing entry closes both into retained surplus.

The fiscal year 2002 is this test's own: no other services test drafts a run over it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.ledger import debts
from marketplace.ledger import services as ledger
from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount
from tests.fixtures.dividends import RUNS, member_id, sell
from tests.fixtures.factories import Factory
from tests.fixtures.web import api_token

pytestmark = pytest.mark.services


def _closing_lines(run_id: int) -> dict[str, tuple[str, int]]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(LedgerAccount.code, JournalLine.side, JournalLine.amount_cents)
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalEntry.idempotency_key == f"dividend_closing:{run_id}")
    ).all()
    return {code: (side, cents) for code, side, cents in rows}


def test_a_debt_written_off_in_the_year_lowers_its_surplus_and_is_closed(
    services_app: Flask,
) -> None:
    factory = Factory()
    drafter, approver = factory.admin(), factory.admin()
    artist = member_id(factory.member())
    buyer = factory.buyer()
    client = services_app.test_client()
    headers = api_token(client, drafter.email)
    sell(artist, buyer.id, 50_000, on=date(2002, 3, 1))
    recorded = client.post(
        "/api/v1/admin/costs",
        json={
            "incurred_on": "2002-04-01",
            "description": "Hosting, April",
            "amount_cents": 1_500,
            "expense_code": "5210",
        },
        headers=headers,
    )
    assert recorded.status_code == 201, recorded.get_json()
    # A debt the co-op gave up in 2002 (ledger.debts' entry, dated in that year).
    with unit_of_work() as session:
        ledger.post(
            session,
            debts.write_off_entry(
                f"receivable_write_off:test-2002-{artist}", "USD", artist, 2_500, "Written off"
            ),
            posted_at=datetime(2002, 9, 1, 12, tzinfo=UTC),
        )

    body = {"period_start": "2002-01-01", "period_end": "2002-12-31", "reserve_pct": 10}
    # A typed figure without the written-off debt disagrees with the ledger.
    refused = client.post(RUNS, json={**body, "operating_costs_cents": 1_500}, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "operating_costs_disagree"
    assert "$40.00" in refused.get_json()["error"]["message"]
    drafted = client.post(RUNS, json=body, headers=headers)
    assert drafted.status_code == 201, drafted.get_json()
    run = drafted.get_json()
    assert run["operating_costs_cents"] == 1_500 + 2_500
    kept = run["revenue_cents"] - run["refunds_cents"] - run["fees_cents"]
    assert run["surplus_cents"] == kept - 4_000

    approved = client.post(f"{RUNS}/{run['id']}/approve", headers=api_token(client, approver.email))
    assert approved.status_code == 200, approved.get_json()
    closed = _closing_lines(run["id"])
    assert closed["5210"] == ("credit", 1_500)
    assert closed["5300"] == ("credit", 2_500)
    assert closed["3300"] == ("credit", kept - 4_000)
