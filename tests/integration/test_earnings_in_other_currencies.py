"""An artist's earnings when a buyer paid in euros, on the fast tier (SQLite, tasks inline, the
real Stripe emulator at its fixed rate, 1.08 dollars to the euro): the sales table, the CSV, the
API, the chart and the studio show what the ledger posted, the item's share of the dollars the
co-op received and the royalty on it, in dollars, with the price the buyer paid in euros."""

from __future__ import annotations

import csv
import io
import re

from flask.testing import FlaskClient

from marketplace.assets import studio
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.payouts import earnings
from tests.fixtures.buying import (
    Buying,
    buying_fixture,  # noqa: F401 - a fixture, found here by pytest as ``buying``
)
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.payments import deliver, payment_succeeded
from tests.fixtures.web import AuthActions, api_token

NBSP = "\u00a0"
NNBSP = "\u202f"


def _sell_in_euros(buying: Buying, others_asset: int) -> dict[str, object]:
    """Harbour at dawn (the member's, 42.00 €) and another member's work (14.00 €) in one
    order: 56.00 € settled as $60.48, shared $45.36 and $15.12."""
    order = buying.client.post(
        "/api/v1/orders",
        json={
            "items": [
                {"asset_id": buying.photo, "licence": "standard", "size": "M"},
                {"asset_id": others_asset, "licence": "standard", "size": "S"},
            ],
            "currency": "EUR",
        },
        headers=buying.headers,
    ).get_json()
    assert (order["currency"], order["total_cents"]) == ("EUR", 5_600)
    paid = buying.pay(order["id"])
    assert deliver(buying.client, payment_succeeded(paid["payment_intent_id"])).status_code == 200
    return buying.get(order["id"])


def _shop(buying: Buying) -> tuple[dict[str, object], dict[str, object]]:
    """A sale in dollars (Lighthouse, size S) and then the order in euros."""
    others = Catalogue().add("Lake at noon", "lake", size=(3000, 2000))
    in_dollars = buying.bought((buying.other, "standard", "S"))
    return in_dollars, _sell_in_euros(buying, others)


def _member_client(buying: Buying, language: str = "en") -> FlaskClient:
    client = buying.app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    AuthActions(client).login(buying.catalogue.member.user.email)
    return client


def _row(page: str, title: str) -> str:
    row = re.search(rf"<tr>\s*<td[^>]*><time[^>]*>[^<]*</time></td>\s*<td>{title}</td>(.*?)</tr>",
                    page, re.S)  # fmt: skip
    assert row, f"no sale of {title}"
    return row.group(1)


def test_the_api_gives_each_sale_as_the_ledger_posted_it(buying: Buying) -> None:
    in_dollars, in_euros = _shop(buying)
    member_id = buying.catalogue.member.id
    headers = api_token(buying.client, buying.catalogue.member.user.email)
    body = buying.client.get("/api/v1/me/earnings", headers=headers).get_json()
    by_order = {sale["order_id"]: sale for sale in body["sales"]}
    assert set(by_order) == {in_dollars["id"], in_euros["id"]}, "the other member's item is theirs"
    euro_sale = by_order[in_euros["id"]]
    assert {k: euro_sale[k] for k in ("price_cents", "royalty_cents", "currency")} == {
        "price_cents": 4_536,
        "royalty_cents": 2_268,
        "currency": "USD",
    }
    assert (euro_sale["paid_cents"], euro_sale["paid_currency"]) == (4_200, "EUR")
    dollar_sale = by_order[in_dollars["id"]]
    assert (dollar_sale["price_cents"], dollar_sale["royalty_cents"]) == (1_500, 750)
    assert (dollar_sale["currency"], dollar_sale["paid_currency"]) == ("USD", "USD")
    assert dollar_sale["paid_cents"] == 1_500
    in_ledger = ledger.member_balance(db.session(), member_id, "USD")
    assert in_ledger == 2_268 + 750 == body["royalties_earned_cents"]
    assert sum(sale["royalty_cents"] for sale in body["sales"]) == in_ledger


def test_the_earnings_page_shows_dollars_received_and_the_euros_paid(buying: Buying) -> None:
    _shop(buying)
    page = _member_client(buying).get("/account/earnings").get_data(as_text=True)
    euro_row = _row(page, "Harbour at dawn")
    assert "$45.36" in euro_row
    assert "$22.68" in euro_row
    assert "buyer paid €42.00" in euro_row
    assert "share of what the co-op received in USD" in page
    dollar_row = _row(page, "Lighthouse")
    assert "$15.00" in dollar_row
    assert "$7.50" in dollar_row
    assert "buyer paid" not in dollar_row

    french = _member_client(buying, "fr").get("/account/earnings").get_data(as_text=True)
    euro_row = _row(french, "Harbour at dawn")
    for amount in ("45,36", "22,68"):
        assert re.search(rf"{amount}[{NBSP}{NNBSP}]\$US", euro_row), euro_row
    assert re.search(rf"l’acheteur a payé 42,00[{NBSP}{NNBSP}]€", euro_row), euro_row


def test_the_sales_csv_gives_the_settled_share_and_the_price_paid(buying: Buying) -> None:
    in_dollars, in_euros = _shop(buying)
    text = _member_client(buying).get("/account/earnings/sales.csv").get_data(as_text=True)
    rows = {row["order_id"]: row for row in csv.DictReader(io.StringIO(text))}
    euro_row, dollar_row = rows[str(in_euros["id"])], rows[str(in_dollars["id"])]
    assert [euro_row[k] for k in ("price", "royalty", "currency", "paid", "paid_currency")] == [
        "45.36",
        "22.68",
        "USD",
        "42.00",
        "EUR",
    ]
    assert [dollar_row[k] for k in ("price", "royalty", "currency", "paid", "paid_currency")] == [
        "15.00",
        "7.50",
        "USD",
        "15.00",
        "USD",
    ]


def test_the_chart_and_the_studio_count_the_royalty_the_ledger_posted(buying: Buying) -> None:
    _shop(buying)
    member_id = buying.catalogue.member.id
    in_ledger = ledger.member_balance(db.session(), member_id, "USD")
    months = earnings.monthly_royalties(db.session(), member_id, utcnow().date())
    assert sum(month.cents for month in months) == in_ledger == 3_018
    assert studio.royalties_by_work(db.session(), member_id) == {
        buying.photo: (1, 2_268),
        buying.other: (1, 750),
    }
    page = _member_client(buying).get("/studio").get_data(as_text=True)
    total = re.search(r'data-figure="royalties">([^<]*)<', page)
    assert total
    assert total.group(1) == "$30.18"
