"""Connect's request errors, and the checks of request parameters that raise them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from localstripe.errors import UserError


def invalid(
    message: str, param: str | None = None, code: str | None = None, status: int = 400
) -> UserError:
    """A request refused for its parameters: no idempotent result is saved (as Stripe does)."""
    contents: dict[str, Any] = {}
    if param is not None:
        contents["param"] = param
    if code is not None:
        contents["code"] = code
    return UserError(status, message, contents)


def refusal(message: str, param: str | None = None, code: str | None = None) -> UserError:
    """A request the endpoint ran and refused: saved for idempotent replays, as Stripe does."""
    error = invalid(message, param, code)
    error.idempotent_result = True
    return error


def missing(what: str, id: str, param: str | None = None, status: int = 404) -> UserError:
    return invalid(f"No such {what}: '{id}'", param or "id", "resource_missing", status)


def _check_known(data: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise invalid(f"Received unknown parameter: {unknown[0]}", unknown[0])


def _positive_int(data: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise invalid(f"Missing required param: {name}.", name, "parameter_missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise invalid(f"Invalid integer: {value}", name, "parameter_invalid_integer")
    try:
        number = int(value)
    except ValueError:
        raise invalid(f"Invalid integer: {value}", name, "parameter_invalid_integer") from None
    if number < 1:
        raise invalid(
            "This value must be greater than or equal to 1.", name, "parameter_invalid_integer"
        )
    return number


def _string(data: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise invalid(f"Missing required param: {name}.", name, "parameter_missing")
        return None
    if not isinstance(value, str):
        raise invalid(f"Invalid string: {value}", name, "parameter_invalid_string")
    return value


def _metadata(data: dict[str, Any], current: dict[str, str] | None = None) -> dict[str, str]:
    """Stripe's rules: set keys merge, keys set to "" are removed, 50 keys at most."""
    result = dict(current or {})
    value = data.get("metadata")
    if value is None or value == "":
        return {} if value == "" else result
    if not isinstance(value, dict):
        raise invalid("Invalid object", "metadata")
    for key, item in value.items():
        if not isinstance(item, str):
            raise invalid(f"Invalid string: {item}", f"metadata[{key}]")
        if len(key) > 40:
            raise invalid("Metadata keys can have at most 40 characters.", f"metadata[{key}]")
        if len(item) > 500:
            raise invalid("Metadata values can have at most 500 characters.", f"metadata[{key}]")
        if item == "":
            result.pop(key, None)
        else:
            result[key] = item
    if len(result) > 50:
        raise invalid("Metadata can have at most 50 keys.", "metadata")
    return result


def _required_string(data: dict[str, Any], name: str) -> str:
    value = _string(data, name, required=True)
    if value is None:  # _string raised already: for the type checker
        raise invalid(f"Missing required param: {name}.", name, "parameter_missing")
    return value


def _required_int(data: dict[str, Any], name: str) -> int:
    value = _positive_int(data, name)
    if value is None:  # _positive_int raised already: for the type checker
        raise invalid(f"Missing required param: {name}.", name, "parameter_missing")
    return value


def _currency(data: dict[str, Any]) -> str:
    currency = _required_string(data, "currency")
    if not re.fullmatch(r"[A-Za-z]{3}", currency):
        raise invalid(f"Invalid currency: {currency}.", "currency", "parameter_invalid_string")
    return currency.lower()


def _url(data: dict[str, Any], name: str) -> str:
    value = _required_string(data, name)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid("Not a valid URL", name, "url_invalid")
    return value


def _expand(data: dict[str, Any]) -> list[str]:
    expand = data.pop("expand", None) or []
    if not (isinstance(expand, list) and all(isinstance(e, str) for e in expand)):
        raise invalid("Invalid array", "expand")
    return expand
