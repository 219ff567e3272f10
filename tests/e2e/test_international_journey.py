"""Issue 19's journey: a French-speaking buyer pays in euros, a French-speaking artist is paid.

A visitor whose browser reads French sees the home page in French, searches « bateaux » and
finds a photo of boats its artist described in French, signs up, buys it in euros with the
emulator's test card, gets the receipt email and the licence certificate in French with the euro
price written the French way, and the artist, whose account reads French, finds the royalty the
ledger booked (on the dollars the co-op received) on their earnings page, French-formatted.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.ledger.core import royalty_split
from marketplace.ledger.sales_tax import items_settled_cents
from marketplace.orders.models import Order
from tests.e2e.looks import look_at
from tests.fixtures import showroom
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.mail import SmtpSink, body_of
from tests.fixtures.payments import GOOD_CARD
from tests.fixtures.web import TEST_PASSWORD
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.e2e
NBSP = "\u00a0"
BUYER = "camille@example.fr"


def french_money(cents: int, symbol: str) -> str:
    """``cents`` as French writes an amount under a thousand: « 14,00 € », « 6,30 $US »."""
    assert 0 <= cents < 100_000
    return f"{cents // 100},{cents % 100:02d}{NBSP}{symbol}"


def _boats_in_french() -> tuple[int, int, str]:
    """The artist's photo described in French; the artist's member id and email (their
    account reads French)."""
    artist = Catalogue()
    asset_id = showroom.photo(
        artist,
        "Bateaux au port",
        "bateaux, port, pêche, mer",
        description="Des bateaux de pêche attendent dans le port au lever du soleil.",
        palette="dawn",
        language="fr",
    )
    with unit_of_work() as session:
        user = session.merge(artist.member).user
        user.locale = "fr"
        email = user.email
    return asset_id, artist.member.id, email


def _french_context(page: Any) -> Any:
    """A second browser context as a French reader's browser is: fr-FR, Accept-Language fr."""
    context = page.context.browser.new_context(
        locale="fr-FR",
        extra_http_headers={"Accept-Language": "fr"},
        viewport={"width": 1366, "height": 900},
    )
    french = context.new_page()
    french.set_default_timeout(15_000)
    return french


def _sign_up(page: Any, live: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live}/signup")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_label("Votre nom").fill("Camille Martin")
    page.get_by_label("E-mail").fill(BUYER)
    page.locator("#password").fill(TEST_PASSWORD)
    page.locator("#confirm").fill(TEST_PASSWORD)
    expect(page.get_by_text("Répétez le mot de passe")).to_be_visible()
    page.get_by_role("button", name="Créer le compte").click()
    expect(page).to_have_url(f"{live}/")
    expect(page.get_by_text("Bienvenue, Camille Martin")).to_be_visible()


def _pay(page: Any, live: str, asset_url: str) -> tuple[str, Order]:
    """Standard licence, size M, into the cart and paid with the test card; the order page's
    address and the order as the database has it."""
    from playwright.sync_api import expect

    page.goto(asset_url)
    page.locator("input[name=licence][value=standard]").check()
    page.locator("input[name=size][value=M]").check()
    look_at(page, "journey-fr-asset", widths=("phone",))
    page.get_by_role("button", name="Ajouter au panier").click()
    expect(page).to_have_url(f"{live}/cart")
    # Where the buyer is: France, whose 20 % VAT the euro price includes.
    page.locator("#billing-country").select_option("FR")
    page.get_by_role("button", name="Passer au paiement").click()
    expect(page).to_have_url(re.compile(r".*/orders/\d+/pay$"))
    order_url = page.url.removesuffix("/pay")
    order_id = int(order_url.rsplit("/", 1)[1])
    order = db.session.get(Order, order_id)
    assert order is not None
    assert order.currency == "EUR"
    total = french_money(order.total_cents, "€")
    expect(page.locator(".order-total")).to_contain_text(total)
    expect(page.locator("[data-pay-button]")).to_have_text(f"Payer {total}")
    look_at(page, "journey-fr-checkout", widths=("phone",))
    # A signed-in buyer's header (language, currency, cart, account) fits a phone.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390

    page.locator('[data-card-field="number"]').fill(GOOD_CARD)
    page.locator('[data-card-field="expiry"]').fill("12 / 34")
    page.locator('[data-card-field="cvc"]').fill("123")
    pay = page.locator("[data-pay-button]")
    expect(pay).to_be_enabled()
    pay.click()
    expect(page).to_have_url(order_url, timeout=30_000)
    expect(page.get_by_role("link", name=re.compile(r"^Télécharger la taille M"))).to_be_visible()
    db.session.expire_all()
    paid = db.session.get(Order, order_id)
    assert paid is not None
    assert paid.paid_at is not None
    return order_url, paid


def test_a_french_buyer_pays_in_euros_and_a_french_artist_sees_the_royalty(
    shop_live_server: str, browser_page: object, smtp_sink: SmtpSink
) -> None:
    from playwright.sync_api import expect

    live = shop_live_server
    asset_id, artist_member_id, artist_email = _boats_in_french()
    page = _french_context(browser_page)

    # The home page in French.
    page.goto(f"{live}/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Des photos et des vidéos qui racontent une histoire, "
        "par les artistes à qui appartient la maison."
    )

    # « bateaux » finds the photo its artist described in French.
    page.get_by_label("Rechercher des photos et des vidéos").fill("bateaux")
    page.get_by_label("Rechercher des photos et des vidéos").press("Enter")
    expect(page).to_have_url(re.compile(r".*q=bateaux"))
    page.get_by_role("link", name=re.compile("Bateaux au port")).first.click()
    expect(page).to_have_url(re.compile(rf".*/assets/{asset_id}-"))
    asset_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Bateaux au port")
    expect(page.locator("main")).to_contain_text("€")

    _sign_up(page, live)
    order_url, order = _pay(page, live, asset_url)
    total = french_money(order.total_cents, "€")

    # The receipt, in French, with the euros written as French writes them.
    receipt = smtp_sink.wait_for(BUYER, "Vos licences, commande nº")
    assert str(receipt["Subject"]).endswith(f" {order.id}")
    body = body_of(receipt)
    assert "Bonjour Camille Martin," in body
    assert re.search(rf"Total payé\s: {total}\r?\n", body), body
    assert "« Bateaux au port »" in body

    # The certificate, read back: French words and the euro price.
    page.goto(order_url)
    certificate = page.get_by_role("link", name=re.compile(r"^Certificat \(PDF\)"))
    href = certificate.get_attribute("href")
    assert href
    response = page.request.get(f"{live}{href}")
    assert response.ok
    assert response.headers["content-type"].startswith("application/pdf")
    text = pdf_text(response.body())
    assert "Certificat de licence" in text
    assert "Bateaux au port" in text
    # Read back from the PDF, the amount's non-breaking space comes out as a plain space.
    tax = french_money(order.tax_cents, "€")
    assert order.tax_cents > 0
    assert f"Prix payé\n{total.replace(NBSP, ' ')}, dont {tax.replace(NBSP, ' ')} de taxes" in (
        text
    ), text
    page.context.close()

    # The artist's royalty: what the ledger owes them, on the dollars the co-op received.
    assert order.settled_currency == "USD"
    assert order.settled_cents
    royalty = ledger.member_balance(db.session, artist_member_id, "USD")
    (item,) = order.items
    # On the items' share of the dollars, net of the VAT's share (ledger.sales_tax).
    items_share = items_settled_cents(order.settled_cents, order.subtotal_cents, order.tax_cents)
    assert items_share < order.settled_cents
    assert royalty == royalty_split(items_share, item.royalty_bps)[0] > 0
    artist = browser_page  # an English-speaking browser: the account's language wins
    artist.goto(f"{live}/login")  # type: ignore[attr-defined]
    artist.get_by_label("Email").fill(artist_email)  # type: ignore[attr-defined]
    artist.locator("#password").fill(TEST_PASSWORD)  # type: ignore[attr-defined]
    artist.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    artist.wait_for_url(lambda url: "/login" not in url)  # type: ignore[attr-defined]
    artist.goto(f"{live}/account/earnings")  # type: ignore[attr-defined]
    expect(artist.locator("html")).to_have_attribute("lang", "fr")  # type: ignore[attr-defined]
    earned = artist.locator("dt", has_text="Redevances gagnées")  # type: ignore[attr-defined]
    expect(earned.locator("xpath=following-sibling::dd[1]")).to_have_text(
        french_money(royalty, "$US")
    )
    sale = artist.locator("tr", has_text="Bateaux au port")  # type: ignore[attr-defined]
    expect(sale).to_contain_text("Standard, M")
    expect(sale).to_contain_text("Sous licence")
    # The sale's price, the royalty as the ledger booked it (in dollars).
    # The price net of the VAT: what the artist's royalty is on.
    expect(sale).to_contain_text(french_money(order.subtotal_cents, "€"))
    expect(sale).to_contain_text(french_money(royalty, "$US"))
