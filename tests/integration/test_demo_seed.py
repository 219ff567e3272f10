"""The demo seed on a new SQLite instance: real, credited photographs and a year of history
made by the services (balanced ledger, sales over many months, a refund, royalty payouts, the
last fiscal year's dividend approved by a second admin, a closed vote and an open one)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.assets.models import Asset
from marketplace.demo_photos import PHOTOS, photo_path
from marketplace.dividends.models import DividendRun
from marketplace.extensions import db
from marketplace.governance.models import Vote
from marketplace.ledger import reports
from marketplace.ledger.models import JournalEntry
from marketplace.membership.models import Member
from marketplace.orders.models import Order
from marketplace.payments.models import Refund
from marketplace.payouts.models import PayoutLine
from tests.fixtures.demo_seed import DEMO_PASSWORD, seeded_demo
from tests.fixtures.mail import SmtpSink
from tests.fixtures.web import post_form

FREE_LICENCES = {"CC0-1.0", "CC-BY-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0"}


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path, smtp_sink_server: SmtpSink
) -> Iterator[tuple[Flask, list[str]]]:
    with seeded_demo(tmp_path_factory.mktemp("demo"), migrated_sqlite, smtp_sink_server) as seeded:
        yield seeded


def _scalars(statement: sa.Select[Any]) -> list[Any]:
    return list(db.session.execute(statement).scalars())


def test_the_photographs_are_the_packages_files_with_their_credits(
    demo: tuple[Flask, list[str]],
) -> None:
    published = (
        db.session.execute(sa.select(Asset).where(Asset.status == "published").order_by(Asset.id))
        .scalars()
        .all()
    )
    assert len(published) == len(PHOTOS) >= 12
    by_hash = {
        hashlib.sha256(photo_path(photo).read_bytes()).hexdigest(): photo for photo in PHOTOS
    }
    for asset in published:
        photo = by_hash[asset.original_sha256]  # the very file Debian ships, byte for byte
        assert asset.title == photo.title
        assert len(asset.keywords) >= 5
        assert asset.credit_author == photo.author
        assert asset.credit_licence in FREE_LICENCES
        assert asset.credit_url
        assert asset.credit_url.startswith("https://")
        assert asset.width
        assert asset.height
        assert asset.width * asset.height >= 1_000_000
        assert asset.preview_key
        assert asset.thumbnail_key


def test_the_ledger_balances_and_sales_run_through_the_year(
    demo: tuple[Flask, list[str]],
) -> None:
    balance = reports.trial_balance(db.session(), "USD")
    assert balance.total_debits_cents == balance.total_credits_cents > 0
    sale_days = _scalars(sa.select(JournalEntry.posted_at).where(JournalEntry.kind == "sale"))
    months = {(day.year, day.month) for day in sale_days}
    assert len(months) >= 12
    now = datetime.now(UTC)
    assert min(sale_days) < now - timedelta(days=300)
    assert max(sale_days) > now - timedelta(days=45)
    buyers = set(_scalars(sa.select(Order.buyer_id).where(Order.status == "paid")))
    assert len(buyers) >= 5


def test_members_joined_over_the_year(demo: tuple[Flask, list[str]]) -> None:
    joined = sorted(_scalars(sa.select(Member.joined_on)))
    assert len(joined) >= 5
    assert (joined[-1] - joined[0]).days > 180


def test_a_refund_a_payout_and_the_dividend_went_through(demo: tuple[Flask, list[str]]) -> None:
    refunds = db.session.execute(sa.select(Refund)).scalars().all()
    assert [refund.status for refund in refunds] == ["succeeded"]
    assert _scalars(sa.select(JournalEntry.id).where(JournalEntry.kind == "refund"))
    assert _scalars(sa.select(PayoutLine.id).where(PayoutLine.status == "sent"))
    assert _scalars(sa.select(JournalEntry.id).where(JournalEntry.kind == "royalty_payout"))
    run = db.session.execute(sa.select(DividendRun)).scalar_one()
    assert run.period_start.year == datetime.now(UTC).year - 1
    # Some demo members have no payout account: their cash is held, so the run is only
    # partially paid once every transfer is settled.
    assert run.status in ("paying", "paid", "partially_paid")
    assert run.pool_cents > 0
    assert run.approved_by_id is not None
    assert run.approved_by_id != run.drafted_by_id


def test_one_vote_is_decided_and_one_is_open(demo: tuple[Flask, list[str]]) -> None:
    votes = db.session.execute(sa.select(Vote).order_by(Vote.id)).scalars().all()
    assert [(vote.status, vote.result) for vote in votes] == [("closed", "passed"), ("open", None)]
    assert votes[0].turnout == 5


def test_the_pages_show_the_history(demo: tuple[Flask, list[str]]) -> None:
    app, _ = demo
    client = app.test_client()
    books = client.get("/open-books")
    assert books.status_code == 200
    text = books.get_data(as_text=True)
    assert re.search(r"\$\d[\d,]*\.\d\d", text), "open books show amounts"
    response = post_form(client, "/login", {"email": "ana@coop.example", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    earnings = client.get("/account/earnings").get_data(as_text=True)
    for figure in ("Royalties earned", "Royalties paid", "Dividends paid in cash"):
        assert _amount_after(earnings, figure) > 0, figure


def _amount_after(page: str, label: str) -> float:
    """The first dollar amount shown after ``label`` on the page."""
    found = re.search(re.escape(label) + r".*?\$([\d,]+\.\d\d)", page, re.DOTALL)
    assert found, f"no amount after {label}"
    return float(found.group(1).replace(",", ""))
