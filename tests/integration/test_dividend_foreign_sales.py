"""Dividend runs over sales paid in euros (SQLite): an item's patronage is its share of the
dollars its order brought in, as the ledger posted it; a refund takes back that share whatever
the refund cost; non-member business counts the same shares; the reconciliation agrees."""

from __future__ import annotations

from datetime import date

from flask import Flask

from tests.fixtures.foreign_sales import Abroad, assert_first_period, assert_second_period


def test_patronage_counts_each_euro_items_settled_share_and_agrees_with_the_ledger(
    app: Flask,
) -> None:
    abroad = Abroad(app.test_client(), date(2019, 3, 1))
    assert_first_period(abroad)
    assert_second_period(abroad)
