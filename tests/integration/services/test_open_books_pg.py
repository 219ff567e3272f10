"""The open books on PostgreSQL: months bucketed in UTC whatever the session's time zone.

The database is shared by the services tests of a run, so this year's figures are compared with
the independent sum over every journal line; last year's, which only this test writes, with
the scenario's own numbers too.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.extensions import db
from marketplace.transparency import annual_report, figures
from tests.integration.open_books_scenario import FIELDS, ledger_sums, make_books

pytestmark = pytest.mark.services


def test_month_buckets_are_utc_months_on_postgresql(
    services_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    books = make_books(monkeypatch, pay=False, dividend_run=False)
    session = db.session()
    try:
        # Fourteen hours ahead of UTC: read in local time, the entry at 23:30 on 31 March would
        # fall in April, and the last second of the year in the next one.
        session.execute(sa.text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
        last = figures.open_books(session, "USD", books.last_year).as_json()
        this = figures.open_books(session, "USD", books.this_year).as_json()
        year_end = annual_report.trial_balance_at(
            session, "USD", datetime(books.this_year, 1, 1, tzinfo=UTC)
        )
    finally:
        session.rollback()

    assert [m["sales_cents"] for m in last["months"]] == [0, 0, 6_000] + [0] * 7 + [-1_000, 2_000]
    assert [m["reserves_cents"] for m in last["months"]][4:6] == [0, 700]
    assert [m["assets_published"] for m in last["months"]] == [0] * 4 + [2] * 4 + [1] * 4
    assert [m["members_total"] for m in last["months"]][:4] == [0, 1, 1, 2]
    assert {name: last[name] for name in FIELDS} == ledger_sums(books.last_year)
    assert {name: this[name] for name in FIELDS} == ledger_sums(books.this_year)
    for name in FIELDS:
        assert sum(month[name] for month in this["months"]) == this[name]
    assert year_end.balanced
    revenue = next(row for row in year_end.rows if row.code == "4000")
    assert revenue.credit_cents == 4_000
