"""The public open books: figures equal the ledger's, months add up, no sign-in, bad years."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.ledger.core import RESERVES
from marketplace.transparency import figures
from marketplace.transparency.core import FLOW_FIELDS, BadYear
from tests.integration.open_books_scenario import (
    FIELDS,
    Books,
    ledger_sums,
    make_books,
    member_id,
    sell_now,
)

API = "/api/v1/open-books"


@pytest.fixture
def books(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Books:
    return make_books(monkeypatch)


def reserves_balance() -> int:
    account = ledger.find_account(db.session(), RESERVES)
    assert account is not None
    return ledger.account_balance(db.session(), account.id, "USD")


def test_this_years_figures_equal_the_ledgers(books: Books) -> None:
    result = figures.open_books(db.session(), "USD", books.this_year).as_json()

    expected = ledger_sums(books.this_year)
    assert {name: result[name] for name in FIELDS} == expected
    # The scenario's own arithmetic: 22000 of sales stand (the refund, the chargeback and the
    # reversed sale all net out), half to the artists; the run paid and retained dividends.
    assert result["sales_cents"] == 22_000
    assert result["royalties_cents"] == 11_000
    assert result["coop_revenue_cents"] == 11_000
    assert result["refunds_cents"] == 3_000
    assert result["dividends_cash_cents"] > 0
    assert result["dividends_retained_cents"] > 0
    assert result["reserves_added_cents"] == books.run["reserve_cents"]
    assert result["reserves_cents"] == reserves_balance() == 700 + books.run["reserve_cents"]
    assert result["currency"] == "USD"


def test_the_months_add_up_to_the_year(books: Books) -> None:
    for year in (books.last_year, books.this_year):
        result = figures.open_books(db.session(), "USD", year).as_json()
        for name in FLOW_FIELDS:
            assert sum(month[name] for month in result["months"]) == result[name], name
        for month in result["months"]:
            number = int(month["month"][5:7])
            assert {name: month[name] for name in FIELDS} == ledger_sums(year, number)
        assert result["reserves_cents"] == result["months"][-1]["reserves_cents"]
        assert result["members_by_class"] == result["months"][-1]["members_by_class"]


def test_last_year_month_by_month(books: Books) -> None:
    result = figures.open_books(db.session(), "USD", books.last_year).as_json()
    months = result["months"]

    assert [m["month"] for m in months] == [f"{books.last_year}-{n:02d}" for n in range(1, 13)]
    assert [m["sales_cents"] for m in months] == [0, 0, 6_000, 0, 0, 0, 0, 0, 0, 0, -1_000, 2_000]
    assert months[2]["royalties_cents"] == 3_000
    assert months[10]["refunds_cents"] == 1_000
    assert [m["reserves_cents"] for m in months] == [0] * 5 + [700] * 7
    assert result["sales_cents"] == 7_000
    # The founder joined in February, artist A at the end of April; the resigned member and
    # everyone who joined this year are not counted.
    assert [m["members_total"] for m in months] == [0, 1, 1, 2] + [2] * 8
    assert months[3]["members_by_class"] == {"artists": 1, "founders": 1, "staff": 0}
    # Two works published in May, one withdrawn in September.
    assert [m["assets_published"] for m in months] == [0] * 4 + [2] * 4 + [1] * 4


def test_a_year_with_nothing_answers_zeros(books: Books, client: FlaskClient) -> None:
    response = client.get(f"{API}?year=2001")
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["months"]) == 12
    assert all(body[name] == 0 for name in FLOW_FIELDS)
    assert body["reserves_cents"] == 0
    assert body["members_by_class"] == {"artists": 0, "founders": 0, "staff": 0}


def test_the_api_is_public_and_defaults_to_the_latest_year(
    books: Books, client: FlaskClient
) -> None:
    response = client.get(API)
    assert response.status_code == 200
    body = response.get_json()
    assert body["year"] == books.this_year
    assert body["years"] == [books.this_year, books.last_year]
    assert body["currency"] == "USD"
    assert len(body["months"]) == utcnow().month
    for name in ("sales_cents", "royalties_cents", "dividends_cents", "reserves_cents"):
        assert isinstance(body[name], int)
        assert all(isinstance(month[name], int) for month in body["months"])
    assert body["members_by_class"]["artists"] == 2
    assert body["assets_published"] == 2
    assert client.get(f"{API}?year={books.last_year}").get_json()["sales_cents"] == 7_000


@pytest.mark.parametrize("year", ["abc", "20x5", "99", "12345", "2026.0", "9999", "1800"])
def test_a_bad_year_is_400_with_the_error_shape(client: FlaskClient, year: str) -> None:
    response = client.get(f"{API}?year={year}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_year"
    assert error["message"]


def test_no_entries_at_all_shows_this_year(app: Flask, client: FlaskClient) -> None:
    body = client.get(API).get_json()
    assert body["year"] == utcnow().year
    assert body["years"] == []
    assert body["sales_cents"] == 0


def test_a_future_year_is_refused_by_the_service(app: Flask) -> None:
    with pytest.raises(BadYear):
        figures.open_books(db.session(), "USD", utcnow().year + 1)


def test_the_page_needs_no_sign_in_and_draws_accessible_charts(
    books: Books, client: FlaskClient
) -> None:
    response = client.get("/open-books")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"Open books {books.this_year}" in page
    assert "come straight from the co-op’s ledger" in page
    assert page.count("<svg") == 5
    assert len(re.findall(r'<svg[^>]*role="img"[^>]*aria-labelledby="chart-sales-title', page)) == 1
    assert '<title id="chart-sales-title">' in page
    assert '<desc id="chart-sales-desc">' in page
    assert '<th scope="col" class="num">Sales</th>' in page
    assert "<script" not in page.split("</header>", 1)[1].split("</main>", 1)[0]
    assert "$220.00" in page
    assert f'href="/open-books/{books.last_year}"' in page
    assert "css/transparency.css" in page


def test_a_past_year_page_and_a_future_one(books: Books, client: FlaskClient) -> None:
    page = client.get(f"/open-books/{books.last_year}").get_data(as_text=True)
    assert f"Open books {books.last_year}" in page
    assert "$70.00" in page
    assert 'aria-current="page">' + str(books.last_year) in page
    assert client.get(f"/open-books/{books.this_year + 1}").status_code == 404


def test_the_footer_links_to_the_open_books(app: Flask, client: FlaskClient) -> None:
    assert 'href="/open-books"' in client.get("/").get_data(as_text=True)


def test_the_openapi_document_describes_the_endpoint(app: Flask, client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "security" not in paths["/api/v1/open-books"]["get"]


def test_a_process_reuses_a_years_figures_for_a_while(
    books: Books, app: Flask, client: FlaskClient
) -> None:
    app.config["OPEN_BOOKS_CACHE_SECONDS"] = 3600
    first = client.get(API).get_json()
    sell_now(member_id(books.artist_a), 1_000)
    assert client.get(API).get_json() == first
    app.config["OPEN_BOOKS_CACHE_SECONDS"] = 0
    fresh = client.get(API).get_json()
    assert fresh["sales_cents"] == first["sales_cents"] + 1_000
    assert fresh["computed_at"] > first["computed_at"]
