"""Patronage comes from the order tables, the surplus from the ledger: every draft reconciles
the two (``period_books.patronage_check``) and says in the audit log whether they agree."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.audit.models import AuditEntry
from marketplace.database import unit_of_work
from marketplace.dividends import period_books
from marketplace.dividends.patronage import reconcile_patronage
from marketplace.extensions import db
from marketplace.ledger import core as ledger_core
from marketplace.ledger import services as ledger
from marketplace.ledger.core import SaleItem
from tests.fixtures.dividends import (
    ROYALTY_BPS,
    Coop,
    at_noon,
    coop_fixture,  # noqa: F401 - a fixture, found here by pytest as ``coop``
    member_id,
    refund,
    sell,
)


def draft_summary(run_id: int) -> str:
    summary = db.session.execute(
        sa.select(AuditEntry.summary).where(
            AuditEntry.action == "dividends.draft", AuditEntry.subject_id == str(run_id)
        )
    ).scalar_one()
    return str(summary)


def test_every_run_of_a_year_of_sales_and_refunds_agrees_with_the_ledger(coop: Coop) -> None:
    a, b = member_id(coop.artist_a), member_id(coop.artist_b)
    year_ago = coop.today - timedelta(days=360)
    # Three quarters before the fixture's month, each with sales, a refund in the same quarter
    # and one refunded in the next (patronage counts a refund in the period it happened).
    quarters = [
        (year_ago + timedelta(days=90 * q), year_ago + timedelta(days=90 * q + 89))
        for q in range(3)
    ]
    for number, (start, _end) in enumerate(quarters):
        sell(a, coop.buyer.id, 1_000 + number, on=start + timedelta(days=3))
        refund(
            sell(b, coop.buyer.id, 777, on=start + timedelta(days=4)),
            b,
            on=start + timedelta(days=40),
        )
        late = sell(a, coop.buyer.id, 333, on=start + timedelta(days=88))
        refund(late, a, on=start + timedelta(days=95))
    runs = [
        coop.draft(
            period_start=start.isoformat(), period_end=end.isoformat(), close_books_now=False
        )
        for start, end in quarters
    ]
    runs.append(coop.draft())
    for run, (start, end) in zip(
        runs, [*quarters, (coop.today - timedelta(days=30), coop.today)], strict=True
    ):
        patronage = period_books.patronage_by_member(db.session(), start, end, "USD")
        check = period_books.patronage_check(db.session(), start, end, "USD", patronage)
        assert check.agrees, (run["id"], check)
        assert "patronage agrees with the ledger" in draft_summary(run["id"])
    first = period_books.patronage_check(
        db.session(),
        *quarters[0],
        "USD",
        period_books.patronage_by_member(db.session(), *quarters[0], "USD"),
    )
    # 1000 + 777 + 333 sold in the first quarter, 777 refunded in it (333 in the next).
    assert first.from_orders_cents == first.from_ledger_cents == 1_000 + 777 + 333 - 777


def test_a_sale_in_the_ledger_without_its_order_is_reported_by_the_draft(
    coop: Coop, caplog: pytest.LogCaptureFixture
) -> None:
    day = coop.today - timedelta(days=200)
    sell(member_id(coop.artist_a), coop.buyer.id, 5_000, on=day)
    with unit_of_work() as session:
        ledger.post(
            session,
            ledger_core.sale_entry(
                f"order:test-{uuid.uuid4().hex}",
                None,
                "USD",
                [SaleItem(1, member_id(coop.artist_b), 1_200, ROYALTY_BPS)],
                50,
            ),
            posted_at=at_noon(day),
        )
    with caplog.at_level(logging.WARNING, logger="marketplace.dividends.services"):
        run = coop.draft(
            period_start=(day - timedelta(days=1)).isoformat(),
            period_end=(day + timedelta(days=1)).isoformat(),
            close_books_now=False,
        )
    summary = draft_summary(run["id"])
    assert "patronage DISAGREES with the ledger: $50.00 from the orders, $62.00" in summary
    assert f"Dividend run {run['id']}: patronage DISAGREES" in caplog.text


def test_the_reconciliation_rule() -> None:
    check = reconcile_patronage({1: 700, 2: -200, 3: 0}, 1_000, 500)
    assert (check.from_orders_cents, check.from_ledger_cents, check.agrees) == (500, 500, True)
    assert check.describe("USD") == "patronage agrees with the ledger's net licence sales ($5.00)"
    off = reconcile_patronage({1: 700}, 1_000, 200)
    assert not off.agrees
    assert off.describe("USD") == (
        "patronage DISAGREES with the ledger: $7.00 from the orders, $8.00 of net licence sales"
        " in the ledger"
    )
    assert reconcile_patronage({}, 0, 0).agrees
