"""Request bodies and queries, JSON responses, and Stripe's paginated lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web
from localstripe.resources import StripeObject, store

from stripe_emulator import _localstripe
from stripe_emulator.connect.errors import _check_known, _positive_int, invalid, missing


async def _post_data(request: web.Request) -> dict[str, Any]:
    server = _localstripe()[1]
    data = await server.get_post_data(request) or {}
    return dict(data)


def _query(request: web.Request) -> dict[str, Any]:
    server = _localstripe()[1]
    return dict(server.unflatten_data(request.query) or {})


def _json(obj: dict[str, Any]) -> web.Response:
    server = _localstripe()[1]
    return server.json_response(obj)


def _created_filter(value: Any) -> Callable[[int], bool]:
    if value is None:
        return lambda _created: True
    if isinstance(value, str):
        exact = _positive_int({"created": value}, "created")
        return lambda created: created == exact
    if not isinstance(value, dict):
        raise invalid("Invalid object", "created")
    _check_known(value, ("gt", "gte", "lt", "lte"))
    bounds = {op: _positive_int(value, op) for op in value}
    tests = {
        "gt": lambda c, b: c > b,
        "gte": lambda c, b: c >= b,
        "lt": lambda c, b: c < b,
        "lte": lambda c, b: c <= b,
    }
    return lambda created: all(tests[op](created, bound) for op, bound in bounds.items())


def list_response(
    objects: list[Any], url: str, query: dict[str, Any], expand: list[str]
) -> web.Response:
    """A page of ``objects`` (newest first), paginated as Stripe does."""
    limit = _positive_int(query, "limit", required=False) or 10
    if limit > 100:
        raise invalid("This value must be less than or equal to 100.", "limit")
    ids = [obj.id for obj in objects]
    after, before = query.get("starting_after"), query.get("ending_before")
    if after is not None and before is not None:
        raise invalid(
            "You may only specify one of these parameters: ending_before, starting_after."
        )
    if after is not None:
        if after not in ids:
            raise missing("object", str(after), "starting_after", 400)
        page = objects[ids.index(after) + 1 :][:limit]
        has_more = ids.index(after) + 1 + limit < len(objects)
    elif before is not None:
        if before not in ids:
            raise missing("object", str(before), "ending_before", 400)
        end = ids.index(before)
        page = objects[max(0, end - limit) : end]
        has_more = end - limit > 0
    else:
        page, has_more = objects[:limit], len(objects) > limit
    server = _localstripe()[1]
    return server.json_response(
        {
            "object": "list",
            "data": [obj._export(expand=[e.removeprefix("data.") for e in expand]) for obj in page],
            "has_more": has_more,
            "url": url,
        }
    )


def _stored(cls: type[StripeObject]) -> list[Any]:
    """Every stored object of ``cls``, newest first."""
    prefix = cls.object + ":"
    found = [obj for key, obj in store.items() if key.startswith(prefix) and isinstance(obj, cls)]
    return list(reversed(found))
