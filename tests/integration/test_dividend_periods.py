"""The period a dividend run may cover: the admin page proposes the latest fiscal year with sales
and no run, and a period that has not ended is refused by the page and by the API (422)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.dividends import periods, services
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from tests.fixtures.dividends import RUNS, member_id, sell
from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions, api_token, post_form

TODAY = date(2026, 12, 6)


def test_with_no_paid_order_the_form_proposes_the_last_fiscal_year(app: Flask) -> None:
    suggested = periods.suggest_period(db.session(), TODAY)
    assert (suggested.start, suggested.end) == (date(2025, 1, 1), date(2025, 12, 31))
    assert not suggested.close_books_now
    assert "No order has been paid yet" in suggested.reason


def test_the_latest_ended_year_with_sales_is_proposed_not_blindly_last_year(
    factory: Factory,
) -> None:
    artist = member_id(factory.member())
    buyer = factory.buyer()
    sell(artist, buyer.id, 5_000, on=date(2023, 5, 2))
    sell(artist, buyer.id, 5_000, on=date(2024, 3, 9))
    suggested = periods.suggest_period(db.session(), TODAY)
    assert (suggested.start, suggested.end) == (date(2024, 1, 1), date(2024, 12, 31))
    assert "2024" in suggested.reason


def test_a_year_that_has_its_run_is_skipped_and_this_year_closes_the_books_now(
    factory: Factory,
) -> None:
    artist = member_id(factory.member())
    buyer = factory.buyer()
    admin = factory.admin()
    sell(artist, buyer.id, 5_000, on=date(2025, 6, 1))
    this_year_sale = date.today() - timedelta(days=1)
    sell(artist, buyer.id, 7_000, on=this_year_sale)
    today = date.today()
    services.draft_run(
        admin,
        services.RunRequest(date(2025, 1, 1), date(2025, 12, 31), 0, "10", "20"),
    )
    suggested = periods.suggest_period(db.session(), today)
    if this_year_sale.year == today.year:
        assert (suggested.start, suggested.end) == (date(today.year, 1, 1), today)
        assert suggested.close_books_now
    else:  # the first of January: yesterday's sale is last year's, which has ended
        assert suggested.end == date(this_year_sale.year, 12, 31)


@pytest.mark.parametrize(
    ("end", "close_books_now", "words"),
    [
        (TODAY + timedelta(days=1), None, "in the future"),
        (TODAY + timedelta(days=1), True, "in the future"),
        (date(2026, 12, 31), False, "in the future"),
        (TODAY, None, "ends today"),
        (TODAY, False, "ends today"),
    ],
)
def test_a_period_that_has_not_ended_is_refused(
    end: date, close_books_now: bool | None, words: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        periods.refuse_open_period(end, close_books_now, TODAY)
    assert words in refused.value.message
    assert refused.value.code == "period_not_ended"


def test_an_ended_period_or_today_with_the_books_closed_is_allowed() -> None:
    periods.refuse_open_period(TODAY - timedelta(days=1), None, TODAY)
    periods.refuse_open_period(TODAY, True, TODAY)
    with pytest.raises(InvalidInput, match="true or false"):
        periods.refuse_open_period(TODAY, "yes", TODAY)


def test_the_api_refuses_a_future_period_with_422(client: FlaskClient, factory: Factory) -> None:
    admin = factory.admin()
    headers = api_token(client, admin.email)
    tomorrow = date.today() + timedelta(days=1)
    body = {
        "period_start": date(tomorrow.year, 1, 1).isoformat(),
        "period_end": tomorrow.isoformat(),
        "reserve_pct": 10,
        "close_books_now": True,
    }
    response = client.post(RUNS, json=body, headers=headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "period_not_ended"
    assert "in the future" in error["message"]
    # Ending today needs the books closed now.
    body["period_end"] = date.today().isoformat()
    body["close_books_now"] = False
    response = client.post(RUNS, json=body, headers=headers)
    assert response.status_code == 422
    assert "ends today" in response.get_json()["error"]["message"]
    body["close_books_now"] = True
    response = client.post(RUNS, json=body, headers=headers)
    assert response.status_code == 201, response.get_json()


def test_the_page_refuses_a_future_period_and_keeps_what_was_typed(
    auth: AuthActions, factory: Factory
) -> None:
    admin = factory.admin()
    auth.login(admin.email)
    tomorrow = date.today() + timedelta(days=1)
    response = post_form(
        auth.client,
        "/admin/dividends/",
        {
            "period_start": date(tomorrow.year, 1, 1).isoformat(),
            "period_end": tomorrow.isoformat(),
            "operating_costs": "12.50",
            "operating_costs_note": "Hosting",
            "reserve_pct": "10",
            "cash_pct": "25",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "which is in the future" in page
    assert f'value="{tomorrow.isoformat()}"' in page
    assert 'value="12.50"' in page


def test_the_page_proposes_the_year_with_sales_and_explains_the_second_admin(
    auth: AuthActions, factory: Factory
) -> None:
    artist = member_id(factory.member())
    sell(artist, factory.buyer().id, 5_000, on=date(2024, 3, 9))
    admin = factory.admin()
    auth.login(admin.email)
    page = auth.client.get("/admin/dividends/").get_data(as_text=True)
    assert 'id="period_start" name="period_start" value="2024-01-01"' in page
    assert 'id="period_end" name="period_end" value="2024-12-31"' in page
    assert "Another admin approves it." in page
    # Two admins (the factory's member was approved by one): the page links to the People page.
    assert "/admin/users?role=member" in page
