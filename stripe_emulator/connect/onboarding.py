"""Account links, and the test onboarding page their ``url`` opens."""

from __future__ import annotations

import html
import secrets
import time
from typing import Any

from aiohttp import web
from localstripe.resources import StripeObject, store

from stripe_emulator.connect.accounts import Account
from stripe_emulator.connect.errors import (
    _check_known,
    _expand,
    _required_string,
    _string,
    _url,
    invalid,
)
from stripe_emulator.connect.events import emit
from stripe_emulator.connect.web_io import _json, _post_data

# The onboarding page must be reachable without a secret key (the member's browser has none),
# and localstripe's auth middleware lets through only /js.stripe.com/ and /_config/ (and
# aiohttp applies an app's middlewares to its sub-apps too, so a sub-app would not escape it).
# /js.stripe.com/coop/ is already where our other browser-facing stand-ins live; /_config/ is
# kept for test-only controls.
ONBOARDING_PATH = "/js.stripe.com/coop/connect/setup/{token}"


ACCOUNT_LINK_LIFETIME = 300  # seconds, as Stripe's
ONBOARDING_SESSION_LIFETIME = 3600  # a visited link's form may be submitted for this long


class AccountLink(StripeObject):
    """Stripe's account links have no id: ours has one, the token in its url, kept private."""

    object = "account_link"
    _id_prefix = "aclink_"

    def __init__(self, account: Account, refresh_url: str, return_url: str, link_type: str):
        super().__init__(id="aclink_" + secrets.token_urlsafe(18))
        self.expires_at = self.created + ACCOUNT_LINK_LIFETIME
        self._account = account.id
        self._refresh_url = refresh_url
        self._return_url = return_url
        self._type = link_type
        self._visited_at: int | None = None
        self._submitted = False
        self._base_url = ""

    def _export(self, expand: list[str] | None = None) -> dict[str, Any]:
        return {
            "object": "account_link",
            "created": self.created,
            "expires_at": self.expires_at,
            "url": self._base_url + ONBOARDING_PATH.format(token=self.id),
        }


async def create_account_link(request: web.Request) -> web.Response:
    data = await _post_data(request)
    _expand(data)
    _check_known(
        data, ("account", "refresh_url", "return_url", "type", "collect", "collection_options")
    )
    account_id = _required_string(data, "account")
    link_type = _string(data, "type", required=True)
    if link_type not in ("account_onboarding", "account_update"):
        raise invalid(
            f"Invalid type: must be one of account_onboarding or account_update "
            f"(received '{link_type}')",
            "type",
        )
    refresh_url = _url(data, "refresh_url")
    return_url = _url(data, "return_url")
    if data.get("collect") not in (None, "currently_due", "eventually_due"):
        raise invalid("Invalid collect: must be currently_due or eventually_due", "collect")
    account = Account._get(account_id, param="account", status=400)
    if (
        link_type == "account_update"
        and account.controller["requirement_collection"] != "application"
    ):
        raise invalid(
            "You cannot create `account_update` type Account Links for accounts where Stripe is "
            "responsible for collecting requirements; use `account_onboarding` or an Express "
            "Dashboard login link.",
            "type",
        )
    link = AccountLink(account, refresh_url, return_url, link_type)
    link._base_url = str(request.url.origin())
    return _json(link._export())


ONBOARDING_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Test onboarding</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto}}
button{{display:block;margin:1rem 0;padding:.6rem 1rem;font-size:1rem}}</style></head>
<body>
<h1>Test onboarding</h1>
<p>Stripe emulator: no real details are collected. Connected account
<code>{account}</code>{email}.</p>
<form method="post">
<button type="submit" name="outcome" value="complete">Submit details</button>
<button type="submit" name="outcome" value="incomplete">Leave details missing</button>
</form>
</body>
</html>
"""


def _link(token: str) -> AccountLink:
    link = store.get("account_link:" + token)
    if not isinstance(link, AccountLink):
        raise web.HTTPNotFound(text="This onboarding link is not valid.")
    return link


def onboarding_page(request: web.Request) -> web.StreamResponse:
    """The page an account link opens. Like Stripe's, a link is single-use and short-lived:
    an expired or already visited link sends the browser to refresh_url."""
    link = _link(request.match_info["token"])
    now = int(time.time())
    if link._visited_at is not None or now > link.expires_at:
        raise web.HTTPSeeOther(location=link._refresh_url)
    link._visited_at = now
    account = Account._get(link._account)
    email = f" ({html.escape(account.email)})" if account.email else ""
    page = ONBOARDING_PAGE.format(account=html.escape(account.id), email=email)
    return web.Response(text=page, content_type="text/html")


async def submit_onboarding(request: web.Request) -> web.StreamResponse:
    link = _link(request.match_info["token"])
    form = await request.post()
    outcome = form.get("outcome")
    now = int(time.time())
    opened = link._visited_at if link._visited_at is not None else link.created
    if link._submitted or now - opened > ONBOARDING_SESSION_LIFETIME:
        raise web.HTTPSeeOther(location=link._refresh_url)
    if outcome not in ("complete", "incomplete"):
        raise web.HTTPBadRequest(text="outcome must be complete or incomplete")
    account = Account._get(link._account)
    before = account._export()
    if outcome == "complete":
        account._complete_onboarding(request.remote)
    else:
        account._leave_details_missing()
    link._submitted = True
    emit("account.updated", account, before=before, account=account.id)
    raise web.HTTPSeeOther(location=link._return_url)
