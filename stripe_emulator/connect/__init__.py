"""Stripe Connect for the emulator: what localstripe lacks and Co-op Stock needs to pay members.

Routes (``install`` registers them on localstripe's app):

- ``POST /v1/accounts``, ``GET /v1/accounts``, ``GET|POST /v1/accounts/{id}``;
- ``POST /v1/account_links``, whose ``url`` opens a test onboarding page served here, under
  ``/js.stripe.com/coop/connect/`` (see ``ONBOARDING_PATH``);
- ``POST|GET /v1/transfers``, ``GET|POST /v1/transfers/{id}``;
- ``POST|GET /v1/transfers/{id}/reversals``, ``GET /v1/transfers/{id}/reversals/{reversal}``;
- ``POST /_config/connect/accounts/{id}/state``: a test helper that sets an account's state;
- ``POST /_config/connect/idempotency/forget``: a test helper that forgets every idempotency
  key, as Stripe does after 24 hours.

Events ``account.updated``, ``transfer.created``, ``transfer.updated`` and ``transfer.reversed``
go, signed, to every webhook registered with localstripe, through localstripe's own delivery.

``idempotency_middleware`` gives these ``POST /v1/...`` routes Stripe's idempotency semantics
(see ``IDEMPOTENT_PATHS`` for why not localstripe's). Objects live in localstripe's store, so
they are saved with it.

Modules: ``errors`` (request errors, parameter checks), ``account_rules`` (requirements,
currencies, controllers), ``accounts`` (the Account object), ``account_handlers`` (its routes),
``onboarding`` (account links and the onboarding page), ``transfers`` (transfers, reversals),
``events`` (event building and delivery), ``idempotency`` (the middleware and its records),
``web_io`` (request parsing, JSON responses, paginated lists).

The store is pickled, and pickle names classes by module: objects saved by this version name
``stripe_emulator.connect.accounts.Account`` and the like. State saved when this was a single
module (``...connect.Account``...) still loads, because every class is re-exported here; state
saved while the emulator lived inside the product (``marketplace.stripe_emulator...``) loads
through ``stripe_emulator.load_state``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from stripe_emulator.connect.account_handlers import (
    STATE_PATH,
    create_account,
    list_accounts,
    retrieve_account,
    set_account_state,
    update_account,
)
from stripe_emulator.connect.account_rules import (
    CAPABILITY_STATUSES,
    COUNTRY_CURRENCIES,
    DEFAULT_COUNTRY,
    EURO_COUNTRIES,
    INITIAL_REQUIREMENTS,
    MISSING_AFTER_INCOMPLETE_ONBOARDING,
)
from stripe_emulator.connect.accounts import Account
from stripe_emulator.connect.errors import invalid, missing, refusal
from stripe_emulator.connect.events import API_VERSION, ConnectEvent, emit
from stripe_emulator.connect.idempotency import (
    FORGET_PATH,
    IDEMPOTENCY_RECORDS_KEY,
    IDEMPOTENCY_TTL,
    IDEMPOTENT_PATHS,
    MAX_IDEMPOTENCY_KEY_LENGTH,
    forget_idempotency_keys,
    idempotency_middleware,
)
from stripe_emulator.connect.onboarding import (
    ACCOUNT_LINK_LIFETIME,
    ONBOARDING_PAGE,
    ONBOARDING_PATH,
    ONBOARDING_SESSION_LIFETIME,
    AccountLink,
    create_account_link,
    onboarding_page,
    submit_onboarding,
)
from stripe_emulator.connect.transfers import (
    CAPABILITY_REFUSAL,
    Transfer,
    TransferReversal,
    create_reversal,
    create_transfer,
    list_reversals,
    list_transfers,
    retrieve_reversal,
    retrieve_transfer,
    update_transfer,
)
from stripe_emulator.connect.web_io import list_response

__all__ = [
    "ACCOUNT_LINK_LIFETIME",
    "FORGET_PATH",
    "API_VERSION",
    "CAPABILITY_REFUSAL",
    "CAPABILITY_STATUSES",
    "COUNTRY_CURRENCIES",
    "DEFAULT_COUNTRY",
    "EURO_COUNTRIES",
    "IDEMPOTENCY_RECORDS_KEY",
    "IDEMPOTENCY_TTL",
    "IDEMPOTENT_PATHS",
    "INITIAL_REQUIREMENTS",
    "MAX_IDEMPOTENCY_KEY_LENGTH",
    "MISSING_AFTER_INCOMPLETE_ONBOARDING",
    "ONBOARDING_PAGE",
    "ONBOARDING_PATH",
    "ONBOARDING_SESSION_LIFETIME",
    "STATE_PATH",
    "Account",
    "AccountLink",
    "ConnectEvent",
    "Transfer",
    "TransferReversal",
    "create_account",
    "create_account_link",
    "create_reversal",
    "create_transfer",
    "emit",
    "forget_idempotency_keys",
    "idempotency_middleware",
    "install",
    "invalid",
    "list_accounts",
    "list_response",
    "list_reversals",
    "list_transfers",
    "missing",
    "onboarding_page",
    "refusal",
    "retrieve_account",
    "retrieve_reversal",
    "retrieve_transfer",
    "set_account_state",
    "submit_onboarding",
    "update_account",
    "update_transfer",
]


def install(app: web.Application) -> None:
    """Register Connect's routes, and the idempotency middleware, on localstripe's app."""
    app.middlewares.append(idempotency_middleware)
    routes: list[tuple[str, str, Callable[[web.Request], Any]]] = [
        ("POST", "/v1/accounts", create_account),
        ("GET", "/v1/accounts", list_accounts),
        ("GET", "/v1/accounts/{id}", retrieve_account),
        ("POST", "/v1/accounts/{id}", update_account),
        ("POST", "/v1/account_links", create_account_link),
        ("POST", "/v1/transfers", create_transfer),
        ("GET", "/v1/transfers", list_transfers),
        ("GET", "/v1/transfers/{id}", retrieve_transfer),
        ("POST", "/v1/transfers/{id}", update_transfer),
        ("POST", "/v1/transfers/{id}/reversals", create_reversal),
        ("GET", "/v1/transfers/{id}/reversals", list_reversals),
        ("GET", "/v1/transfers/{id}/reversals/{reversal}", retrieve_reversal),
        ("POST", STATE_PATH, set_account_state),
        ("POST", FORGET_PATH, forget_idempotency_keys),
        ("GET", ONBOARDING_PATH, onboarding_page),
        ("POST", ONBOARDING_PATH, submit_onboarding),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, _coroutine(handler))


def _coroutine(
    handler: Callable[[web.Request], Any],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    # aiohttp deprecates plain-function handlers.
    async def wrapped(request: web.Request) -> web.StreamResponse:
        result = handler(request)
        if isinstance(result, Awaitable):
            result = await result
        if not isinstance(result, web.StreamResponse):
            raise TypeError(f"{handler.__name__} returned {result!r}")
        return result

    return wrapped
