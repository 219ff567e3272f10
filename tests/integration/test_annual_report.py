"""The members' annual report: who may see it, the year-end trial balance, runs, votes, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.database import unit_of_work, utcnow
from marketplace.extensions import db
from marketplace.governance.models import Vote
from marketplace.ledger import core
from marketplace.ledger import services as ledger
from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount
from marketplace.transparency import annual_report
from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions
from tests.integration.open_books_scenario import Books, make_books


@pytest.fixture
def books(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Books:
    books = make_books(monkeypatch)
    close_vote("Adopt the <b>new</b> dividend policy", utcnow() - timedelta(minutes=5))
    close_vote('=HYPERLINK("http://evil")', utcnow() - timedelta(minutes=1))
    close_vote("Last year's vote", datetime(books.last_year, 6, 1, tzinfo=UTC))
    return books


def close_vote(title: str, closed: datetime) -> None:
    """A yes/no vote as governance leaves it once closed: its count frozen on the row."""
    with unit_of_work() as session:
        session.add(
            Vote(
                kind="yes_no",
                title=title,
                status="closed",
                opens_at=closed - timedelta(days=7),
                closes_at=closed,
                closed_at=closed,
                quorum_pct=20,
                majority="simple",
                eligible_count=10,
                turnout=6,
                quorum_reached=True,
                result="passed",
                outcome={"counts": {"yes": 4, "no": 1, "abstain": 1}},
            )
        )


def report_path(year: int, csv_file: bool = False) -> str:
    return f"/members/annual-report/{year}{'.csv' if csv_file else ''}"


def balances_before(moment: datetime) -> dict[str, tuple[int, int]]:
    """Per chart code, (debit column, credit column) of lines posted before ``moment``."""
    net: dict[str, int] = {}
    rows = db.session.execute(
        sa.select(LedgerAccount.code, JournalLine.side, JournalLine.amount_cents)
        .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalEntry.posted_at < moment)
    )
    for code, side, cents in rows:
        net[code] = net.get(code, 0) + (cents if side == "debit" else -cents)
    return {code: (max(n, 0), max(-n, 0)) for code, n in net.items()}


def test_anonymous_visitors_are_sent_to_sign_in(books: Books, client: FlaskClient) -> None:
    for path in (report_path(books.this_year), report_path(books.this_year, csv_file=True)):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_a_buyer_who_is_not_a_member_gets_403(
    books: Books, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login(books.buyer.email)
    assert client.get(report_path(books.this_year)).status_code == 403
    assert client.get(report_path(books.this_year, csv_file=True)).status_code == 403


def test_a_suspended_member_gets_403(books: Books, client: FlaskClient, auth: AuthActions) -> None:
    with unit_of_work():
        assert books.artist_b.member is not None
        db.session.merge(books.artist_b.member).status = "suspended"
    auth.login(books.artist_b.email)
    assert client.get(report_path(books.this_year)).status_code == 403


def test_members_and_admins_read_the_report(
    books: Books, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login(books.artist_a.email)
    response = client.get(report_path(books.this_year))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"Annual report {books.this_year}" in page
    assert "Trial balance at the end of" in page
    assert "Licence revenue" in page
    assert "Balanced" in page
    # The policy: the migration's classes and their shares; the 20 % cash floor.
    assert '<td class="num">90 %</td>' in page
    assert "at least 20 %" in page
    assert "Paid</span>" in page
    # Votes of this year only, their titles escaped.
    assert "Adopt the &lt;b&gt;new&lt;/b&gt; dividend policy" in page
    assert "Last year&#39;s vote" not in page
    assert "Last year's vote" not in page
    assert "6 of 10" in page
    auth.logout()

    auth.login(books.admin.email)
    assert client.get(report_path(books.last_year)).status_code == 200
    assert client.get(report_path(books.this_year + 1)).status_code == 404


def test_the_trial_balance_is_the_one_at_the_year_end(books: Books) -> None:
    session = db.session()
    now = utcnow()
    last = annual_report.annual_report(session, books.last_year, "USD", now)
    year_end = datetime(books.this_year, 1, 1, tzinfo=UTC)
    expected = balances_before(year_end)
    assert {row.code: (row.debit_cents, row.credit_cents) for row in last.trial_balance.rows} == {
        code: expected.get(code, (0, 0)) for code in (row.code for row in last.trial_balance.rows)
    }
    assert set(expected) <= {row.code for row in last.trial_balance.rows}
    assert last.trial_balance.balanced
    # Last year's books: 8000 of sales less 1000 refunded, before any run closed them.
    revenue = next(r for r in last.trial_balance.rows if r.code == core.LICENCE_REVENUE)
    assert revenue.credit_cents == 4_000
    assert last.runs == []
    assert [v.title for v in last.votes] == ["Last year's vote"]

    this = annual_report.annual_report(session, books.this_year, "USD", now)
    assert this.trial_balance.as_json() == ledger.trial_balance(session, "USD").as_json()
    (run,) = this.runs
    assert run.id == books.run["id"]
    assert run.status == "paid"
    assert run.allocated_cents == run.pool_cents
    assert run.cash_cents + run.retained_cents == run.allocated_cents
    assert run.cash_paid_cents == run.cash_cents
    assert [c.code for c in this.policy] == ["founders", "staff", "artists"]


def test_the_csv_holds_the_whole_report_and_parses(
    books: Books, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login(Factory().member().email)
    response = client.get(report_path(books.this_year, csv_file=True))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert f"annual-report-{books.this_year}.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {row["section"] for row in rows} == {
        "trial_balance",
        "dividend_policy",
        "dividend_runs",
        "votes",
    }
    totals = {r["field"]: r["value"] for r in rows if r["item"] == "total"}
    assert totals["debit"] == totals["credit"]
    # Money is a plain decimal, negative ones included (the redemption overdrew 2200).
    payable = {
        r["field"]: r["value"]
        for r in rows
        if r["section"] == "trial_balance" and r["item"] == core.DIVIDENDS_PAYABLE
    }
    assert payable["balance"] == "-2.50"
    artists = {r["field"]: r["value"] for r in rows if r["item"] == "artists"}
    assert artists == {"share_bps": "9000", "basis": "patronage"}
    run = {r["field"]: r["value"] for r in rows if r["section"] == "dividend_runs"}
    assert run["status"] == "paid"
    assert run["reserve"] == core.decimal_string(books.run["reserve_cents"])
    votes = [r for r in rows if r["section"] == "votes"]
    assert {r["field"] for r in votes} >= {"turnout", "result", "count:yes", "quorum_reached"}
    # A title a spreadsheet would run as a formula is quoted.
    assert '\'=HYPERLINK("http://evil")' in {r["label"] for r in votes}
