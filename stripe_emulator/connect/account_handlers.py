"""The routes of connected accounts, and the test helper that sets an account's state."""

from __future__ import annotations

import json

from aiohttp import web

from stripe_emulator.connect.accounts import Account
from stripe_emulator.connect.errors import _check_known, _expand, invalid
from stripe_emulator.connect.events import emit
from stripe_emulator.connect.web_io import (
    _created_filter,
    _json,
    _post_data,
    _query,
    _stored,
    list_response,
)

STATE_PATH = "/_config/connect/accounts/{id}/state"


async def create_account(request: web.Request) -> web.Response:
    data = await _post_data(request)
    _expand(data)
    account = Account(data)
    return _json(account._export())


def retrieve_account(request: web.Request) -> web.Response:
    _expand(_query(request))
    return _json(Account._get(request.match_info["id"])._export())


async def update_account(request: web.Request) -> web.Response:
    data = await _post_data(request)
    _expand(data)
    account = Account._get(request.match_info["id"])
    before = account._export()
    account._update_from_params(data)
    emit("account.updated", account, before=before, account=account.id, request=request)
    return _json(account._export())


def list_accounts(request: web.Request) -> web.Response:
    query = _query(request)
    expand = _expand(query)
    created = _created_filter(query.pop("created", None))
    _check_known(query, ("limit", "starting_after", "ending_before"))
    accounts = [a for a in _stored(Account) if created(a.created)]
    return list_response(accounts, "/v1/accounts", query, expand)


async def set_account_state(request: web.Request) -> web.Response:
    """Test helper: set an account's state directly; sends account.updated if it changed."""
    try:
        state = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise invalid("Send a JSON object.") from None
    if not isinstance(state, dict):
        raise invalid("Send a JSON object.")
    account = Account._get(request.match_info["id"])
    before = account._export()
    account._set_state(state)
    emit("account.updated", account, before=before, account=account.id)
    return _json(account._export())
