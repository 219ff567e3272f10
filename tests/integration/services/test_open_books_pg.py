"""The open books on PostgreSQL: months bucketed in UTC whatever the session's time zone.

The database is shared by the services tests of a run, so this year's figures are compared with
the independent sum over every journal line; last year's, which only this test writes, with
the scenario's own numbers too (counts and balances carried from earlier years, which other
tests write, are taken as they are).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.extensions import db
from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount
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
    # Reserves are cumulative, and other tests' runs may put theirs in last year too: the
    # scenario's 700 is the step from May to June, in UTC months as before.
    reserves = [m["reserves_cents"] for m in last["months"]]
    assert reserves[5] - reserves[4] == 700
    # Other tests in this shared database dated their members and works in earlier years: what
    # this scenario adds shows as the change from January.
    for name, expected in (
        ("assets_published", [0] * 4 + [2] * 4 + [1] * 4),
        ("members_total", [0, 1, 1, 2]),
    ):
        counts = [month[name] for month in last["months"]]
        assert [count - counts[0] for count in counts][: len(expected)] == expected, name
    assert {name: last[name] for name in FIELDS} == ledger_sums(books.last_year)
    assert {name: this[name] for name in FIELDS} == ledger_sums(books.this_year)
    for name in FIELDS:
        assert sum(month[name] for month in this["months"]) == this[name]
    assert year_end.balanced
    revenue = next(row for row in year_end.rows if row.code == "4000")
    # Last year's 4,000 of the scenario, plus the net of what other tests dated in earlier years
    # (their dividend runs' closing entries debit revenue, so credits alone overstate it).
    earlier = db.session.scalar(
        sa.select(
            sa.func.coalesce(
                sa.func.sum(
                    sa.case(
                        (JournalLine.side == "credit", JournalLine.amount_cents),
                        else_=-JournalLine.amount_cents,
                    )
                ),
                0,
            )
        )
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(
            LedgerAccount.code == "4000",
            JournalEntry.posted_at < datetime(books.last_year, 1, 1, tzinfo=UTC),
        )
    )
    assert revenue.credit_cents - revenue.debit_cents == 4_000 + earlier
