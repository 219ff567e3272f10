"""Stripe Connect accounts in our emulator: creation, onboarding through its page, account links
and listing, exercised through the real stripe-python library over HTTP.
"""

from __future__ import annotations

import pytest
import stripe

from tests.fixtures.connect import (
    REFRESH_URL,
    RETURN_URL,
    assert_conforms,
    assert_list_conforms,
    client_fixture,  # noqa: F401 - a fixture, found here by pytest as ``client``
    emulator_fixture,  # noqa: F401 - a fixture, found here by pytest as ``emulator``
    express_account,
    http_request,
    onboard,
    raw,
)


def test_fresh_account_cannot_receive_yet(client: stripe.StripeClient) -> None:
    account = express_account(client)

    assert account.id.startswith("acct_")
    assert account.type == "express"
    assert account.details_submitted is False
    assert account.payouts_enabled is False
    assert account.charges_enabled is False
    assert account.capabilities is not None
    assert account.capabilities.transfers == "inactive"
    assert account.requirements is not None
    assert "external_account" in (account.requirements.currently_due or [])
    assert account.requirements.disabled_reason == "requirements.past_due"
    assert raw(account)["metadata"] == {"member_id": "42"}
    controller = raw(account)["controller"]
    assert controller["fees"] == {"payer": "application"}
    assert controller["losses"] == {"payments": "application"}
    assert controller["stripe_dashboard"] == {"type": "express"}


def test_onboarding_page_enables_the_account(client: stripe.StripeClient) -> None:
    account = express_account(client)

    assert onboard(client, account.id) == RETURN_URL
    fetched = client.v1.accounts.retrieve(account.id)

    assert_conforms(fetched, "account")
    assert fetched.details_submitted is True
    assert fetched.payouts_enabled is True
    assert fetched.charges_enabled is True
    assert fetched.capabilities is not None
    assert fetched.capabilities.transfers == "active"
    assert fetched.requirements is not None
    assert fetched.requirements.currently_due == []
    assert fetched.requirements.disabled_reason is None


def test_leaving_details_missing_keeps_the_account_disabled(client: stripe.StripeClient) -> None:
    account = express_account(client)

    assert onboard(client, account.id, "incomplete") == RETURN_URL
    fetched = client.v1.accounts.retrieve(account.id)

    assert_conforms(fetched, "account")
    assert fetched.details_submitted is False
    assert fetched.payouts_enabled is False
    assert fetched.capabilities is not None
    assert fetched.capabilities.transfers == "inactive"
    assert fetched.requirements is not None
    assert "external_account" in (fetched.requirements.currently_due or [])


def test_account_link_is_single_use(client: stripe.StripeClient) -> None:
    account = express_account(client)
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "refresh_url": REFRESH_URL,
            "return_url": RETURN_URL,
            "type": "account_onboarding",
        }
    )

    first = http_request(link.url)
    second = http_request(link.url)

    assert link.expires_at > link.created
    assert first[0] == 200
    assert second[:2] == (303, REFRESH_URL)


def test_account_link_refuses_unknown_account(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.account_links.create(
            params={
                "account": "acct_nobody",
                "refresh_url": REFRESH_URL,
                "return_url": RETURN_URL,
                "type": "account_onboarding",
            }
        )
    assert refused.value.code == "resource_missing"


def test_accounts_are_listed_newest_first(client: stripe.StripeClient) -> None:
    older = express_account(client, "1")
    newer = express_account(client, "2")

    page = client.v1.accounts.list(params={"limit": 100})

    assert_list_conforms(page, "account")
    ids = [account.id for account in page.data]
    assert ids.index(newer.id) < ids.index(older.id)


def test_unknown_parameter_is_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.accounts.create(params={"type": "express", "colour": "blue"})  # type: ignore[typeddict-unknown-key]
    assert refused.value.param == "colour"
