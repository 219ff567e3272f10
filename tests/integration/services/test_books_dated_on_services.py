"""The books dated right, on PostgreSQL through the API the admin pages call: costs recorded as
they happen and reversed with a reason, a run's year-end entries dated at the end of its year,
and the books closed at a moment, a sale one second later belonging to the next run.

The database is shared by the run's services tests: these use the fiscal year 2004, which no
other test drafts, and their drafts of today are discarded at the end.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.dividends.models import DividendRun
from marketplace.extensions import db
from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount
from tests.fixtures.dividends import RUNS, member_id, sell
from tests.fixtures.factories import Factory
from tests.fixtures.web import api_token

pytestmark = pytest.mark.services

COSTS = "/api/v1/admin/costs"
YEAR_END = datetime(2004, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)


def _entry(key_prefix: str) -> JournalEntry:
    db.session.expire_all()
    return db.session.execute(
        sa.select(JournalEntry).where(JournalEntry.idempotency_key.like(f"{key_prefix}%"))
    ).scalar_one()


def _lines(entry_id: int) -> dict[str, tuple[str, int]]:
    rows = db.session.execute(
        sa.select(LedgerAccount.code, JournalLine.side, JournalLine.amount_cents)
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(JournalLine.entry_id == entry_id, LedgerAccount.member_id.is_(None))
    ).all()
    return {code: (side, cents) for code, side, cents in rows}


def _post(client: FlaskClient, path: str, body: dict[str, Any], headers: Any) -> Any:
    response = client.post(path, json=body, headers=headers)
    return response.status_code, response.get_json()


def test_costs_of_a_year_close_with_it_and_its_entries_are_dated_at_its_end(
    services_app: Flask,
) -> None:
    factory = Factory()
    drafter, approver = factory.admin(), factory.admin()
    artist = member_id(factory.member())
    buyer = factory.buyer()
    client = services_app.test_client()
    headers = api_token(client, drafter.email)
    sell(artist, buyer.id, 40_000, on=date(2004, 3, 1))

    # Hosting paid from the bank, an accountant accrued; a mistaken cost reversed in the year.
    status, hosting = _post(
        client,
        COSTS,
        {
            "incurred_on": "2004-04-01",
            "description": "Hosting, April",
            "amount_cents": 1_250,
            "expense_code": "5210",
        },
        headers,
    )
    assert status == 201, hosting
    assert (hosting["status"], hosting["paid_from"]) == ("booked", "bank")
    status, review = _post(
        client,
        COSTS,
        {
            "incurred_on": "2004-11-30",
            "description": "Accountant's review",
            "amount_cents": 3_000,
            "expense_code": "5220",
            "paid_from": "payable",
        },
        headers,
    )
    assert status == 201
    assert review["status"] == "owed"
    status, mistake = _post(
        client,
        COSTS,
        {"incurred_on": "2004-05-05", "description": "Typed twice", "amount_cents": 1_250},
        headers,
    )
    assert status == 201
    status, reversed_ = _post(
        client, f"{COSTS}/{mistake['id']}/reverse", {"reason": "Entered twice"}, headers
    )
    assert status == 200
    assert reversed_["status"] == "reversed"
    assert reversed_["reversal_reason"] == "Entered twice"
    status, again = _post(client, f"{COSTS}/{mistake['id']}/reverse", {"reason": "x"}, headers)
    assert status == 409
    assert again["error"]["code"] == "already_reversed"

    # Each cost is dated the day it was incurred; the reversal beside it, in its open year.
    assert _entry(f"expense_reversal:{mistake['id']}").posted_at == datetime(
        2004, 5, 5, 23, 59, 59, 999_999, tzinfo=UTC
    )
    hosting_entry = db.session.get(JournalEntry, hosting["entry_id"])
    assert hosting_entry is not None
    assert hosting_entry.posted_at.date() == date(2004, 4, 1)
    assert _lines(hosting["entry_id"]) == {"5210": ("debit", 1_250), "1000": ("credit", 1_250)}
    assert _lines(review["entry_id"]) == {"5220": ("debit", 3_000), "2000": ("credit", 3_000)}
    listed = client.get(f"{COSTS}?year=2004", headers=headers).get_json()
    assert listed["total_cents"] == 4_250
    assert {row["code"]: row["amount_cents"] for row in listed["by_account"]} == {
        "5210": 1_250,
        "5220": 3_000,
    }

    # The run reads them from the ledger; a figure that disagrees is refused.
    body = {"period_start": "2004-01-01", "period_end": "2004-12-31", "reserve_pct": 10}
    status, refused = _post(client, RUNS, {**body, "operating_costs_cents": 5_000}, headers)
    assert status == 422
    assert refused["error"]["code"] == "operating_costs_disagree"
    assert "$42.50" in refused["error"]["message"]
    status, run = _post(client, RUNS, {**body, "operating_costs_cents": 4_250}, headers)
    assert status == 201, run
    assert run["operating_costs_cents"] == 4_250
    assert run["books_closed_at"] == "2005-01-01T00:00:00Z"
    approved = client.post(f"{RUNS}/{run['id']}/approve", headers=api_token(client, approver.email))
    assert approved.status_code == 200, approved.get_json()

    # Approved today, dated at the end of 2004: the year's books show its closing and reserve.
    closing = _entry(f"dividend_closing:{run['id']}")
    assert closing.posted_at == YEAR_END
    assert _entry(f"dividend_reserve:{run['id']}").posted_at == YEAR_END
    closed = _lines(closing.id)
    assert closed["5210"] == ("credit", 1_250)
    assert closed["5220"] == ("credit", 3_000)
    assert "operating_costs" not in {
        key.split(":")[0]
        for key in db.session.execute(
            sa.select(JournalEntry.idempotency_key).where(
                JournalEntry.idempotency_key.like(f"%:{run['id']}")
            )
        ).scalars()
    }

    # 2004's books are closed: a cost dated in it is refused; the accrued one is paid today.
    status, late = _post(
        client,
        COSTS,
        {"incurred_on": "2004-06-01", "description": "Late invoice", "amount_cents": 900},
        headers,
    )
    assert status == 409
    assert late["error"]["code"] == "books_closed"
    assert f"dividend run {run['id']}" in late["error"]["message"]
    status, paid = _post(client, f"{COSTS}/{review['id']}/pay", {}, headers)
    assert status == 200
    assert paid["status"] == "booked"
    payment = _entry(f"expense_payment:{review['id']}")
    assert payment.posted_at.date() == datetime.now(UTC).date()
    assert _lines(payment.id) == {"2000": ("debit", 3_000), "1000": ("credit", 3_000)}


def test_a_sale_one_second_after_the_books_closed_belongs_to_the_next_run(
    services_app: Flask,
) -> None:
    factory = Factory()
    drafter = factory.admin()
    artist = member_id(factory.member())
    buyer = factory.buyer()
    client = services_app.test_client()
    headers = api_token(client, drafter.email)
    today = date.today()
    body = {
        "period_start": today.isoformat(),
        "period_end": today.isoformat(),
        "close_books_now": True,
        "reserve_pct": 10,
    }
    sell(artist, buyer.id, 7_000)
    status, first = _post(client, RUNS, body, headers)
    assert status == 201, first
    try:
        cutoff = datetime.fromisoformat(first["books_closed_at"].replace("Z", "+00:00"))
        # One second after the books closed: the next run's, not lost between the two.
        sell(artist, buyer.id, 5_000, at=cutoff + timedelta(seconds=1))
        time.sleep(1.2)  # the next run closes now, after that sale
        status, second = _post(client, RUNS, body, headers)
        assert status == 201, second
        assert second["starts_at"] == first["books_closed_at"]
        mine_first = {a["member_id"]: a["patronage_cents"] for a in first["allocations"]}
        mine_second = {a["member_id"]: a["patronage_cents"] for a in second["allocations"]}
        assert mine_first.get(artist, 0) >= 7_000
        assert mine_second.get(artist) == 5_000
        # A period of all next year is refused.
        status, future = _post(
            client,
            RUNS,
            {
                **body,
                "period_start": date(today.year + 1, 1, 1).isoformat(),
                "period_end": date(today.year + 1, 12, 31).isoformat(),
            },
            headers,
        )
        assert status == 422
        assert future["error"]["code"] == "period_not_ended"
    finally:
        for run_id in db.session.execute(
            sa.select(DividendRun.id).where(
                DividendRun.period_start == today, DividendRun.status == "draft"
            )
        ).scalars():
            client.delete(f"{RUNS}/{run_id}", headers=headers)
