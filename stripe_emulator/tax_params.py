"""Stripe Tax's request parameters, checked as Stripe checks them (form data: every value
arrives as a string, lists as ``[0]``, ``[1]``... entries)."""

from __future__ import annotations

from typing import Any

from stripe_emulator.connect.errors import invalid


def _int(value: Any, param: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise invalid(f"Invalid integer: {value}", param, "parameter_invalid_integer")
    try:
        number = int(value)
    except ValueError:
        raise invalid(f"Invalid integer: {value}", param, "parameter_invalid_integer") from None
    if minimum is not None and number < minimum:
        message = f"This value must be greater than or equal to {minimum}."
        raise invalid(message, param, "parameter_invalid_integer")
    if maximum is not None and number > maximum:
        message = f"This value must be less than or equal to {maximum}."
        raise invalid(message, param, "parameter_invalid_integer")
    return number


def _text(data: dict[str, Any], name: str, param: str, *, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise invalid(f"Missing required param: {param}.", param, "parameter_missing")
        return None
    if not isinstance(value, str):
        raise invalid(f"Invalid string: {value}", param, "parameter_invalid_string")
    return value


def _object(value: Any, param: str) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid("Invalid object", param)
    return value


def _array(value: Any, param: str) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, dict):  # a single "[0]" entry
        value = list(value.values())
    if not isinstance(value, list):
        raise invalid("Invalid array", param)
    return value


def _expand(data: dict[str, Any]) -> list[str]:
    expand = _array(data.pop("expand", None), "expand")
    if not all(isinstance(item, str) for item in expand):
        raise invalid("Invalid array", "expand")
    return expand


def _required_text(data: dict[str, Any], name: str, param: str) -> str:
    value = _text(data, name, param, required=True)
    if value is None:  # _text raised already: for the type checker
        raise invalid(f"Missing required param: {param}.", param, "parameter_missing")
    return value
