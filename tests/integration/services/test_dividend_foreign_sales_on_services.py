"""Dividend runs over sales paid in euros on PostgreSQL: patronage at each item's settled share
of the dollars received, a refund taking back that share, non-member business at the same
shares, and the draft's reconciliation with the ledger agreeing to the cent."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from tests.fixtures.foreign_sales import Abroad, assert_first_period, assert_second_period

pytestmark = pytest.mark.services


def test_patronage_counts_each_euro_items_settled_share_on_postgresql(
    services_app: Flask,
) -> None:
    # Runs of other tests in this database cover recent days: this test owns early 2017.
    abroad = Abroad(services_app.test_client(), date(2017, 3, 1))
    assert_first_period(abroad)
    assert_second_period(abroad)
