"""Whole numbers from outside: ids in paths, numbers in query strings and forms, ids in JSON.

Every id column is a PostgreSQL ``integer``, so an id past 2147483647 reaching a query is an
error there (and past 2**63 in SQLite's driver too): a 500 where an unknown id is a 404. Python's
``isdigit()`` and ``int()`` also take digits that are not ASCII (``'²'.isdigit()`` is true and
``int('²')`` fails; ``int('٣')`` is 3). Whatever the request says, a number is read here, in
ASCII digits and within the range its column can hold, or refused.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext
from werkzeug.routing import Map
from werkzeug.routing.converters import IntegerConverter

from marketplace.errors import InvalidInput

DB_INT_MAX = 2**31 - 1
_MAX_DIGITS = len(str(DB_INT_MAX))


def parse_whole_number(text: str, minimum: int = 1, maximum: int = DB_INT_MAX) -> int | None:
    """The number ``text`` writes in ASCII digits when it is within the range, otherwise None."""
    if not (text.isascii() and text.isdigit()):
        return None
    # Only leading zeros can make a valid number longer than the largest one.
    if len(text.lstrip("0")) > max(len(str(maximum)), _MAX_DIGITS):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


class IdConverter(IntegerConverter):
    """Flask's ``int`` converter, bounded to what an ``integer`` column holds (1 by default to
    2147483647) and to ASCII digits, so an id no row can have matches no route: a 404."""

    regex = r"[0-9]+"

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(
            map,
            fixed_digits=fixed_digits,
            min=(-DB_INT_MAX - 1 if signed else 1) if min is None else min,
            max=DB_INT_MAX if max is None else max,
            signed=signed,
        )


def query_int(name: str, default: int, minimum: int = 1, maximum: int = DB_INT_MAX) -> int:
    """``?name=`` as a number from ``minimum`` to ``maximum``; ``default`` when it is absent or
    empty; otherwise a 422 that names the argument and the range."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    number = parse_whole_number(raw, minimum, maximum)
    if number is None:
        raise InvalidInput(
            gettext(
                "'%(name)s' must be a whole number from %(minimum)s to %(maximum)s.",
                name=name,
                minimum=minimum,
                maximum=maximum,
            ),
            fields={
                name: gettext(
                    "A whole number from %(minimum)s to %(maximum)s.",
                    minimum=minimum,
                    maximum=maximum,
                )
            },
        )
    return number


def page_arg() -> int:
    """The page number a list page shows: ``?page=``, the first when absent."""
    return query_int("page", 1)


def json_id(value: Any, field: str) -> int:
    """An id from a JSON body: a whole number an id column can hold, else a 422 naming ``field``."""
    # bool is an int in Python; true is not an id.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= DB_INT_MAX:
        raise InvalidInput(
            gettext(
                "'%(field)s' must be an id: a whole number from 1 to %(maximum)s.",
                field=field,
                maximum=DB_INT_MAX,
            ),
            fields={field: gettext("Not an id.")},
        )
    return value
