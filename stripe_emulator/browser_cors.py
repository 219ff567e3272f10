"""CORS preflights for the routes Stripe.js calls from the buyer's browser.

The checkout page is served by the app (e.g. http://127.0.0.1:5000) and calls the emulator
(http://127.0.0.1:8420) from the page, as Stripe.js calls api.stripe.com. A JSON POST is not a
"simple" request, so the browser first sends ``OPTIONS`` without any key; localstripe's auth
middleware answered it 401 and the browser reported "Failed to fetch" (3-D Secure's
``_authenticate`` call). Stripe answers these preflights, so we do, but only for the routes a
page may call with a publishable key: every other route still needs the secret key, which no
browser holds.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from aiohttp import web

# What Stripe.js-in-the-page calls (ours and localstripe's): the script and the PaymentMethod
# route under /js.stripe.com/, 3-D Secure's answer, and localstripe's publishable-key routes.
BROWSER_ROUTES = (
    re.compile(r"^/js\.stripe\.com/"),
    re.compile(r"^/v1/payment_intents/\w+/_authenticate$"),
    re.compile(r"^/v1/(tokens|sources)$"),
    re.compile(r"^/v1/setup_intents/\w+/(confirm|cancel)$"),
)
ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Content-Type, Accept, Authorization, Stripe-Version"
# Browsers cap this (Chromium at two hours); ten minutes spares a preflight per payment.
PREFLIGHT_MAX_AGE = "600"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_browser_route(path: str) -> bool:
    return any(pattern.match(path) for pattern in BROWSER_ROUTES)


def preflight_answer(request: web.Request) -> web.Response:
    """204 with the headers that let the page's POST go ahead (any origin: the page's card
    data is the buyer's own and no cookie is involved, as with api.stripe.com)."""
    headers = {
        "Access-Control-Allow-Origin": request.headers.get("Origin", "*"),
        "Access-Control-Allow-Methods": ALLOWED_METHODS,
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
        "Vary": "Origin",
    }
    # Chromium's Private Network Access asks this when a public page calls a local address
    # (a demo reached through a tunnel, say): the emulator is meant to be called from pages.
    if request.headers.get("Access-Control-Request-Private-Network") == "true":
        headers["Access-Control-Allow-Private-Network"] = "true"
    return web.Response(status=204, headers=headers)


@web.middleware
async def cors_preflight_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer a browser's preflight for a browser route before localstripe asks for a key."""
    if (
        request.method == "OPTIONS"
        and "Access-Control-Request-Method" in request.headers
        and is_browser_route(request.path)
    ):
        return preflight_answer(request)
    return await handler(request)


async def _keep_preflight_headers(request: web.Request, response: web.StreamResponse) -> None:
    # localstripe's own hook narrows the allowed headers on every answer; a preflight's are ours.
    if request.method == "OPTIONS" and response.status == 204 and is_browser_route(request.path):
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS


def install(app: web.Application) -> None:
    # First: localstripe's auth middleware would refuse the preflight (it carries no key).
    app.middlewares.insert(0, cors_preflight_middleware)
    app.on_response_prepare.append(_keep_preflight_headers)
