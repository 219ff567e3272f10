"""The admins' operating costs page and bank reconciliation page: what an admin sees and does."""

from __future__ import annotations

from datetime import date

from flask.testing import FlaskClient

from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions, post_form

COSTS = "/admin/costs/"
BANK = "/admin/bank-reconciliation/"


def test_an_admin_records_a_cost_sees_it_and_reverses_it_with_a_reason(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    auth.login(factory.admin().email)
    page = client.get(COSTS)
    assert page.status_code == 200
    assert "Record a cost" in page.text
    assert "Hosting and software" in page.text
    today = date.today().isoformat()
    sent = {
        "incurred_on": today,
        "description": "Web hosting",
        "amount": "12.50",
        "expense_code": "5210",
        "paid_from": "bank",
    }
    recorded = post_form(client, COSTS, sent, follow_redirects=True)
    assert "Cost 1 recorded: $12.50 to 5210 Hosting and software" in recorded.text
    assert "Web hosting" in recorded.text
    refused = post_form(client, COSTS, {**sent, "amount": "0"})
    assert refused.status_code == 422
    assert "more than zero" in refused.text
    assert 'value="Web hosting"' in refused.text  # what was typed is kept
    blank = post_form(client, "/admin/costs/1/reverse", {"reason": " "}, from_page=COSTS)
    assert blank.status_code == 302
    assert "Say why" in client.get(COSTS).text
    undone = post_form(
        client,
        "/admin/costs/1/reverse",
        {"reason": "Billed to the wrong co-op"},
        from_page=COSTS,
        follow_redirects=True,
    )
    assert "Cost 1 reversed" in undone.text
    assert "Reversed: Billed to the wrong co-op" in undone.text


def test_members_cannot_see_the_costs_or_the_bank(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    auth.login(factory.member().email)
    assert client.get(COSTS).status_code == 403
    assert client.get(BANK).status_code == 403


def test_the_bank_page_imports_a_statement_and_lists_the_lines_no_payout_explains(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    auth.login(factory.admin().email)
    page = client.get(BANK)
    assert page.status_code == 200
    assert "Every payout is on the statement." in page.text
    statement = "date,amount,description\n2026-03-06,-19.99,Card machine rental\n"
    imported = post_form(
        client, BANK + "statement", {"lines": statement}, from_page=BANK, follow_redirects=True
    )
    assert "1 statement lines imported (0 were imported before)" in imported.text
    assert "Card machine rental" in imported.text
