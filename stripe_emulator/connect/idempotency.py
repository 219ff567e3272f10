"""Stripe's idempotency keys for Connect's ``POST /v1/...`` routes."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from localstripe.resources import random_id, store

from stripe_emulator import _localstripe
from stripe_emulator.connect.errors import invalid

IDEMPOTENCY_TTL = 24 * 3600  # Stripe keeps keys for at least 24 hours
IDEMPOTENCY_RECORDS_KEY = "coop_connect_idempotency"  # no colon: no localstripe class lists it
MAX_IDEMPOTENCY_KEY_LENGTH = 255
# Connect's routes only. The middleware would work for localstripe's routes as well, but the app's
# payment keys ("order-<id>-attempt-<n>") repeat whenever its database is recreated while the
# emulator's state is kept (each test on a fresh database against the session's emulator, or a
# demo database reset): Stripe would then refuse them, as the middleware does.
# Stripe Tax's transactions too: a tax transaction is made once per paid order (and a reversal
# once per refund), and a retried request must answer with it, not make another.
IDEMPOTENT_PATHS = re.compile(r"^/v1/(accounts|account_links|transfers|tax/transactions)(/|$)")
FORGET_PATH = "/_config/connect/idempotency/forget"


def _idempotency_records() -> dict[str, dict[str, Any]]:
    records = store.get(IDEMPOTENCY_RECORDS_KEY)
    if records is None:
        records = {}
        # dict's own method: not the store's __setitem__, which would save it all to disk now
        # (the save after the request will).
        dict.__setitem__(store, IDEMPOTENCY_RECORDS_KEY, records)
    now = time.time()
    # Oldest first (insertion order): drop expired ones from the front only, cheaply.
    while records:
        oldest = next(iter(records))
        if now - records[oldest]["created"] < IDEMPOTENCY_TTL:
            break
        del records[oldest]
    return records


_in_flight: set[str] = set()


def _idempotency_error(message: str, status: int = 400) -> web.Response:
    server = _localstripe()[1]
    body = {"error": {"type": "idempotency_error", "message": message}}
    return server.json_response(body, status=status)


@web.middleware
async def idempotency_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Stripe's idempotency for Connect's POSTs, keyed on (secret key, Idempotency-Key).

    The first request's status and body are saved when the endpoint ran (a success, or a refusal
    such as a declined card or a transfer to an account that cannot receive), not when its
    parameters were refused; a later request with the key gets them back if it has the same
    endpoint and parameters, and an ``idempotency_error`` otherwise.
    """
    request["coop_request_id"] = "req_" + random_id(14)
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key or not IDEMPOTENT_PATHS.match(request.path):
        return await handler(request)

    resources, server = _localstripe()
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        message = f"Invalid Idempotency-Key: at most {MAX_IDEMPOTENCY_KEY_LENGTH} characters."
        return invalid(message).to_response()
    data = await server.get_post_data(request, remove_auth=False) or {}
    api_key = server.get_api_key(request) or data.get("key", "")
    scope = hashlib.sha256(f"{api_key}\0{key}".encode()).hexdigest()
    endpoint = f"{request.method} {request.path}"
    params = json.dumps(data, sort_keys=True, default=str)

    records = _idempotency_records()
    record = records.get(scope)
    if scope in _in_flight:
        return _idempotency_error(
            "There is currently another in-progress request using this Idempotent Key (that "
            "probably means you submitted twice, and the other request is still going through): "
            f"{key}. Please try again later.",
            409,
        )
    if record is not None:
        if record["endpoint"] != endpoint:
            return _idempotency_error(
                "Keys for idempotent requests can only be used for the same endpoint they were "
                f"first used for ('{record['path']}' vs '{request.path}'). Try using a key other "
                f"than '{key}' if you meant to execute a different request."
            )
        if record["params"] != params:
            return _idempotency_error(
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request."
            )
        return web.Response(
            body=record["body"],
            status=record["status"],
            content_type="application/json",
            headers={
                "Idempotent-Replayed": "true",
                "Idempotency-Key": key,
                "Original-Request": record["request_id"],
                "Request-Id": request["coop_request_id"],
            },
        )

    _in_flight.add(scope)
    try:
        save = False
        try:
            response = await handler(request)
            save = 200 <= response.status < 300
        except resources.UserError as error:
            response = error.to_response()
            # Card declines (402) and refusals by the endpoint itself are results; a request
            # refused for its parameters never began, so Stripe saves nothing for it.
            save = error.code == 402 or getattr(error, "idempotent_result", False)
        if save and isinstance(response, web.Response) and response.body is not None:
            body = response.body
            records[scope] = {
                "created": time.time(),
                "endpoint": endpoint,
                "path": request.path,
                "params": params,
                "status": response.status,
                "body": bytes(body) if isinstance(body, bytes | bytearray) else body,
                "request_id": request["coop_request_id"],
            }
        response.headers["Idempotency-Key"] = key
        response.headers["Request-Id"] = request["coop_request_id"]
        return response
    finally:
        _in_flight.discard(scope)


def forget_idempotency_keys(request: web.Request) -> web.Response:
    """Test helper: forget every idempotency key now, as Stripe does 24 hours after a key's
    first use (a retry after that is a new request). Answers how many were forgotten."""
    records = _idempotency_records()
    forgotten = len(records)
    records.clear()
    return web.json_response({"forgotten": forgotten})
