"""Charges in another currency than the platform's, settled as Stripe settles them.

Stripe converts a charge in a presentment currency (EUR) into the platform's settlement currency
(USD) when it is made, and says so on the charge's balance transaction: ``amount``, ``fee`` and
``net`` in the settlement currency and the ``exchange_rate`` used (presentment amount × rate =
settlement amount). A refund is converted back at the rate of its own day, on its own balance
transaction, and so is a dispute's withdrawal. localstripe writes every balance transaction in
the charge's currency at a rate of 1.0 with no fee; this module replaces those of converted
charges, refunds and disputes.

Rates are data (``RATES``, one per currency into the settlement one), so every run converts the
same way; ``POST /_config/exchange_rates`` (JSON ``{"eur": "1.10"}``) is a test helper that
changes them, as the market does between a sale and its refund. Same-currency charges keep
localstripe's balance transactions untouched.

The fee on a converted charge is Stripe's US pricing for it: 2.9 % + 30 cents, plus 1 % for the
conversion, on the settlement amount, rounded half up.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from aiohttp import web
from localstripe import resources

from stripe_emulator.connect import _coroutine
from stripe_emulator.connect.errors import invalid
from stripe_emulator.connect.web_io import _json
from stripe_emulator.payouts import BalanceTransaction

SETTLEMENT_CURRENCY = "usd"
DEFAULT_RATES = {"eur": "1.08", "gbp": "1.27", "cad": "0.73"}
RATES: dict[str, Decimal] = {code: Decimal(rate) for code, rate in DEFAULT_RATES.items()}
FEE_BPS = 290 + 100
FEE_FIXED_CENTS = 30
RATES_PATH = "/_config/exchange_rates"


def converted(amount: int, currency: str) -> tuple[int, Decimal]:
    """(settlement amount, rate) of ``amount`` minor units of ``currency``, rounded half up."""
    rate = RATES.get(currency.lower())
    if rate is None:
        raise resources.UserError(400, f"The emulator has no exchange rate for {currency}.")
    settled = (Decimal(amount) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(settled), rate


def conversion_fee(settled: int) -> int:
    percent = (Decimal(settled) * FEE_BPS / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return min(settled, int(percent) + FEE_FIXED_CENTS)


class ConvertedTransaction(BalanceTransaction):
    """A charge's or refund's balance transaction in the settlement currency."""

    def __init__(
        self, amount: int, fee: int, rate: Decimal, source: str, type: str, text: str
    ) -> None:
        super().__init__(amount, SETTLEMENT_CURRENCY, source, type, text)
        self.fee = fee
        self.exchange_rate = rate

    def _export(self, expand: list[str] | None = None) -> dict[str, Any]:
        data = super()._export(expand)
        fee_details = []
        if self.fee:
            fee_details = [
                {
                    "amount": self.fee,
                    "application": None,
                    "currency": SETTLEMENT_CURRENCY,
                    "description": "Stripe processing fees",
                    "type": "stripe_fee",
                }
            ]
        data.update(
            fee=self.fee,
            fee_details=fee_details,
            net=self.amount - self.fee,
            # Stripe sends the rate as a JSON number.
            exchange_rate=float(self.exchange_rate),
        )
        return data


def _convert_charge(charge: Any) -> None:
    if charge.status != "succeeded" or charge.currency.lower() == SETTLEMENT_CURRENCY:
        return
    settled, rate = converted(charge.amount, charge.currency)
    transaction = ConvertedTransaction(
        settled, conversion_fee(settled), rate, charge.id, "charge", "Charge, converted"
    )
    charge.balance_transaction = transaction.id


def _install_charges() -> None:
    charge_class = resources.Charge
    trigger_payment = charge_class._trigger_payment

    def trigger(self: Any, on_success: Any = None) -> None:
        trigger_payment(self, on_success)
        _convert_charge(self)

    charge_class._trigger_payment = trigger


def _install_refunds() -> None:
    refund_class = resources.Refund
    init = refund_class.__init__

    def refund_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        if self.status != "succeeded" or self.currency.lower() == SETTLEMENT_CURRENCY:
            return
        settled, rate = converted(self.amount, self.currency)
        # Stripe keeps its fee on a refund: the money back is the converted amount only.
        transaction = ConvertedTransaction(
            -settled, 0, rate, self.id, "refund", "REFUND FOR CHARGE"
        )
        self.balance_transaction = transaction.id

    refund_class.__init__ = refund_init


def _install_disputes() -> None:
    # Stripe withdraws a disputed charge in the settlement currency at the day's rate, and
    # its dispute fee ($15 for a US account) is in that currency too.
    from stripe_emulator import disputes

    written = disputes._balance_transaction

    def balance_transaction(
        dispute: Any, amount: int, fee: int, description: str
    ) -> dict[str, Any]:
        data = written(dispute, amount, fee, description)
        if dispute.currency.lower() == SETTLEMENT_CURRENCY:
            return data
        settled, rate = converted(abs(amount), dispute.currency)
        signed = settled if amount >= 0 else -settled
        data.update(
            amount=signed,
            currency=SETTLEMENT_CURRENCY,
            net=signed - fee,
            exchange_rate=float(rate),
        )
        for detail in data["fee_details"]:
            detail["currency"] = SETTLEMENT_CURRENCY
        return data

    disputes._balance_transaction = balance_transaction


async def set_rates(request: web.Request) -> web.Response:
    """Change exchange rates (``{"eur": "1.10"}``; ``{"reset": true}`` for the defaults)."""
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise invalid("Send a JSON object.") from None
    if not isinstance(data, dict):
        raise invalid("Send a JSON object.")
    if data.pop("reset", False) is True:
        RATES.clear()
        RATES.update({code: Decimal(rate) for code, rate in DEFAULT_RATES.items()})
    for code, rate in data.items():
        try:
            value = Decimal(str(rate))
        except ArithmeticError:
            raise invalid(f"{code}: a rate such as 1.08", code) from None
        if not (isinstance(code, str) and len(code) == 3 and value > 0):
            raise invalid(f"{code}: a currency code and a positive rate", str(code))
        RATES[code.lower()] = value
    return _json({code: str(rate) for code, rate in sorted(RATES.items())})


def install(app: web.Application) -> None:
    """Convert charges and refunds in other currencies (module-wide, so once) and add the
    rates' test route."""
    if not getattr(resources.Charge, "_coop_currencies_installed", False):
        _install_charges()
        _install_refunds()
        _install_disputes()
        resources.Charge._coop_currencies_installed = True
    app.router.add_route("POST", RATES_PATH, _coroutine(set_rates))
