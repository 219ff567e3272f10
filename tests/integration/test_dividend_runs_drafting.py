"""Dividend runs on SQLite: a draft computes the surplus from sales and refunds and allocates the
whole pool; bad or unauthorised drafts are refused; one draft per period."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from marketplace.dividends.models import DividendRun
from marketplace.extensions import db
from tests.fixtures.dividends import (
    FEE_CENTS,
    RUNS,
    Coop,
    by_member,
    coop_fixture,  # noqa: F401 - a fixture, found here by pytest as ``coop``
    entry_keys,
    member_id,
)
from tests.fixtures.web import api_token


def test_a_draft_computes_the_surplus_and_allocates_the_whole_pool(coop: Coop) -> None:
    before = entry_keys(db.session())
    run = coop.draft()

    # Revenue is the co-op's half of 24000 of sales (royalties are booked to the members);
    # the refund takes back the co-op's half of 2000; four orders paid a fee each.
    assert run["status"] == "draft"
    assert run["revenue_cents"] == 12_000
    assert run["refunds_cents"] == 1_000
    assert run["fees_cents"] == 4 * FEE_CENTS
    assert run["royalties_cents"] == 0
    assert run["surplus_cents"] == 12_000 - 1_000 - 400 - 1_000
    assert run["reserve_cents"] == 960
    assert run["pool_cents"] == 9_600 - 960
    assert sum(a["allocation_cents"] for a in run["allocations"]) == run["pool_cents"]
    assert run["cash_pct"] == 30
    assert [(c["code"], c["share_pct"], c["basis"]) for c in run["classes"]] == [
        ("founders", 5, "equal"),
        ("staff", 5, "service_years"),
        ("artists", 90, "patronage"),
    ]
    assert sum(c["pool_cents"] for c in run["classes"]) == run["pool_cents"]

    allocations = by_member(run)
    a, b = member_id(coop.artist_a), member_id(coop.artist_b)
    assert allocations[a]["patronage_cents"] == 16_000
    assert allocations[b]["patronage_cents"] == 6_000
    # The artists' 90 % (7776) split 16000 : 6000.
    assert allocations[a]["allocation_cents"] == 5_655
    assert allocations[b]["allocation_cents"] == 2_121
    assert member_id(coop.artist_c) not in allocations  # no sales, no share
    assert allocations[member_id(coop.founder)]["allocation_cents"] == 432
    for allocation in run["allocations"]:
        assert (
            allocation["cash_cents"] + allocation["retained_cents"]
            == (allocation["allocation_cents"])
        )
        assert allocation["cash_cents"] * 10 >= allocation["allocation_cents"] * 3
        assert allocation["member_number"] > 0
    # A draft posts nothing.
    assert entry_keys(db.session()) == before


def test_the_cash_share_cannot_be_under_20_percent(coop: Coop) -> None:
    response = coop.client.post(RUNS, json=coop.body(cash_pct=19), headers=coop.drafter_headers)
    assert response.status_code == 422
    assert "20" in response.get_json()["error"]["message"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(DividendRun)).scalar() == 0


@pytest.mark.parametrize(
    "changes",
    [{"period_end": "31/12/2025"}, {"reserve_pct": 120}, {"operating_costs_cents": -5}],
)
def test_bad_input_is_refused(coop: Coop, changes: dict[str, Any]) -> None:
    response = coop.client.post(RUNS, json=coop.body(**changes), headers=coop.drafter_headers)
    assert response.status_code == 422


def test_only_admins_draft_runs(coop: Coop) -> None:
    headers = api_token(coop.client, coop.artist_a.email)
    assert coop.client.post(RUNS, json=coop.body(), headers=headers).status_code == 403


def test_a_period_without_surplus_has_no_pool_and_says_why(coop: Coop) -> None:
    coop.record_cost(49_000, "Accountant's review")
    run = coop.draft(operating_costs_cents=50_000)
    assert run["surplus_cents"] < 0
    assert run["pool_cents"] == 0
    assert run["allocations"] == []
    assert "loss" in run["reason"]


def test_one_draft_per_period_and_a_draft_can_be_discarded(coop: Coop) -> None:
    run = coop.draft()
    again = coop.client.post(RUNS, json=coop.body(), headers=coop.drafter_headers)
    assert again.status_code == 409
    assert f"run {run['id']}" in again.get_json()["error"]["message"]

    response = coop.client.delete(f"{RUNS}/{run['id']}", headers=coop.drafter_headers)
    assert response.status_code == 204
    assert coop.client.get(f"{RUNS}/{run['id']}", headers=coop.drafter_headers).status_code == 404
    coop.draft()
