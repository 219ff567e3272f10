"""The header every page shares: what a visitor, a member and an admin find in it, in the HTML."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions


def header(page: str) -> str:
    found = re.search(r'<header class="site-header">(.*?)</header>', page, re.S)
    assert found, "no site header"
    return found.group(1)


def test_a_visitor_gets_search_explore_and_sign_in_but_no_account_menu(client: FlaskClient) -> None:
    top = header(client.get("/licences").get_data(as_text=True))
    assert 'role="search"' in top
    assert ">Explore</a>" in top
    assert ">Sign in</a>" in top
    assert "account-menu" not in top
    assert "cart-link" not in top
    # The home page's hero has the search field: the header does not repeat it.
    assert 'id="header-q"' not in header(client.get("/").get_data(as_text=True))


def test_a_member_gets_their_pages_in_the_account_menu_with_the_cart_count(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    factory.member("ana@example.org")
    auth.login("ana@example.org")
    top = header(client.get("/licences").get_data(as_text=True))
    assert '<details class="menu account-menu" data-menu>' in top
    for href in (
        "/account/earnings",
        "/account/orders",
        "/account/licences",
        "/lightboxes",
        "/governance",
    ):
        assert f'href="{href}"' in top, href
    assert "Become a member" not in top
    assert ">Sign out</button>" in top
    assert 'data-cart-count="0"' in top
    assert "/admin/" not in top


def test_an_admin_gets_the_admin_link_and_never_become_a_member(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    factory.admin("root@example.org")
    auth.login("root@example.org")
    top = header(client.get("/licences").get_data(as_text=True))
    assert 'href="/admin/"' in top
    assert "Become a member" not in top
    assert "Become a member" not in client.get("/account").get_data(as_text=True)


def test_a_buyer_may_become_a_member(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    factory.buyer("bea@example.org")
    auth.login("bea@example.org")
    assert "Become a member" in header(client.get("/licences").get_data(as_text=True))


def test_a_missing_page_keeps_the_whole_header(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    top = header(response.get_data(as_text=True))
    assert ">Explore</a>" in top
    assert ">Sign in</a>" in top
