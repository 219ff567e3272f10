"""Patronage dividends, the amounts a run takes: whole cents and percentages held as basis
points, and the refusals (``DividendError``) that name what was wrong.

Pure (no Flask, SQLAlchemy, Celery or stripe), like the rest of the dividend core; kept apart
from ``allocation`` so that module stays one subject. ``allocation`` and ``core`` re-export
these names, which is where callers import them from.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from marketplace.i18n.markers import N_

Percent = int | str | Decimal | float


class DividendError(ValueError):
    """Input a dividend run refuses; the message is written for the admin who gave it.

    ``message`` may be an English template with ``%(name)s`` placeholders (marked with ``N_``)
    and ``values`` fill it: the service says it in the admin's language with both."""

    def __init__(self, message: str, **values: object) -> None:
        self.message = message
        self.values = values
        super().__init__(message % values if values else message)


class CashShareTooLow(DividendError):
    """A cash share under the 20 % Subchapter T floor."""


def whole_cents(value: object, name: str, *, signed: bool = False) -> int:
    """``value`` when it is a whole number of cents (not negative unless ``signed``), else
    ``DividendError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise DividendError(f"{name} is a whole number of cents, not {value!r}")
    if not signed and value < 0:
        raise DividendError(f"{name} cannot be negative")
    return value


def percent_bps(value: Percent, name: str = "percentage") -> int:
    """``12.5`` -> ``1250``: a percentage from 0 to 100 with at most two decimals, exactly."""
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal | float):
        raise DividendError(
            N_("%(name)s must be a number of percent, not %(value)s"), name=name, value=repr(value)
        )
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise DividendError(
            N_("%(name)s must be a number of percent, not %(value)s"), name=name, value=repr(value)
        ) from None
    if not number.is_finite() or not 0 <= number <= 100:
        raise DividendError(
            N_("%(name)s must be between 0 and 100, not %(value)s"), name=name, value=value
        )
    bps = number * 100
    if bps != bps.to_integral_value():
        raise DividendError(
            N_("%(name)s has at most two decimals, not %(value)s"), name=name, value=value
        )
    return int(bps)


def bps_pct(bps: int) -> Decimal:
    """``1250`` -> ``Decimal("12.5")``, ``2000`` -> ``Decimal("20")``: for showing a share."""
    pct = Decimal(bps).scaleb(-2)
    return pct.quantize(Decimal(1)) if pct == pct.to_integral_value() else pct.normalize()
