"""Stripe's test cards behave in the emulator as Stripe documents them (see ``card_table``).

localstripe knows a few of the numbers, declines most of them only when a card is attached to
a customer (so a PaymentIntent paid the "declined" card 4000000000000002), and answers every
refusal as ``invalid_request_error``/``card_declined`` whatever the card. ``install`` replaces
the card rules of localstripe's classes (never its files) with the table's:

- a PaymentMethod whose number fails the Luhn check, or whose expiry has passed, is refused as
  Stripe refuses it; its brand and funding are the card's (localstripe says "visa" for all);
- attaching and charging decline the table's cards with Stripe's ``card_error`` body: ``code``,
  ``decline_code``, ``message``, ``param``, ``charge``, ``payment_intent``, ``payment_method``
  and ``doc_url``; the charge records ``failure_code``, ``outcome`` and the PaymentIntent's
  ``last_payment_error`` the same;
- the 3-D Secure cards wait for authentication; a failed authentication says so with Stripe's
  code and sends ``payment_intent.payment_failed``, as Stripe does;
- a charge made with a dispute card is disputed just after it succeeds (see ``disputes``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from localstripe import resources, server
from localstripe.errors import UserError
from localstripe.webhooks import schedule_webhook

from stripe_emulator import disputes
from stripe_emulator.card_table import (
    INCORRECT_NUMBER,
    CardError,
    DocumentedCard,
    brand_of,
    card_for,
    luhn_valid,
)

DOC_URL = "https://stripe.com/docs/error-codes/"
AUTHENTICATION_FAILURE = {
    "code": "payment_intent_authentication_failure",
    "doc_url": DOC_URL + "payment-intent-authentication-failure",
    "message": (
        "The provided PaymentMethod has failed authentication. You can provide "
        "payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent "
        "again."
    ),
    "type": "invalid_request_error",
}
INVALID_EXPIRY_YEAR = CardError(
    "invalid_expiry_year", None, "Your card's expiration year is invalid.", "exp_year"
)
INVALID_EXPIRY_MONTH = CardError(
    "invalid_expiry_month", None, "Your card's expiration month is invalid.", "exp_month"
)
INVALID_CVC = CardError("invalid_cvc", None, "Your card's security code is invalid.", "cvc")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def card_error(refusal: CardError, **details: Any) -> UserError:
    """Stripe's HTTP 402 answer for a refused card (stripe-python raises it as CardError)."""
    contents: dict[str, Any] = {
        "code": refusal.code,
        "doc_url": DOC_URL + refusal.code.replace("_", "-"),
    }
    if refusal.decline_code:
        contents["decline_code"] = refusal.decline_code
    if refusal.param:
        contents["param"] = refusal.param
    contents.update({key: value for key, value in details.items() if value is not None})
    error = UserError(402, refusal.message, contents)
    error.body["error"]["type"] = "card_error"  # localstripe says invalid_request_error
    return error


def _number(method: Any) -> str | None:
    number = getattr(method, "_card_number", None)
    return number if isinstance(number, str) else None


def _documented(method: Any) -> DocumentedCard | None:
    return card_for(_number(method))


def _refusal_on_create(card: dict[str, Any]) -> CardError | None:
    number = str(card.get("number") or "")
    listed = card_for(number)
    if listed is not None and listed.refused_on_create is not None:
        return listed.refused_on_create
    if number.isdigit() and not luhn_valid(number):
        return INCORRECT_NUMBER
    cvc = str(card.get("cvc") or "")
    if cvc and not (cvc.isdigit() and 3 <= len(cvc) <= 4):
        return INVALID_CVC
    try:
        month, year = int(card["exp_month"]), int(card["exp_year"])
    except (KeyError, TypeError, ValueError):
        return None  # missing or unreadable: localstripe's 400 says so
    if not 1 <= month <= 12:
        return INVALID_EXPIRY_MONTH
    year = year + 2000 if 0 < year < 100 else year
    today = dt.date.today()
    if year < today.year:
        return INVALID_EXPIRY_YEAR
    if year == today.year and month < today.month:
        return INVALID_EXPIRY_MONTH
    return None


def _install_payment_methods() -> None:
    method_class = resources.PaymentMethod
    create = method_class._api_create
    localstripe_requires = method_class._requires_authentication
    localstripe_attach_declined = method_class._attaching_is_declined
    localstripe_charge_declined = method_class._charging_is_declined

    def api_create(cls: Any, **data: Any) -> Any:
        card = data.get("card")
        if data.get("type") == "card" and isinstance(card, dict):
            refusal = _refusal_on_create(card)
            if refusal is not None:
                raise card_error(refusal)
        method = create(**data)
        number = _number(method)
        if number is not None and isinstance(getattr(method, "card", None), dict):
            listed = card_for(number)
            method.card["brand"] = brand_of(number)
            method.card["funding"] = listed.funding if listed else "credit"
        return method

    def requires_authentication(self: Any) -> bool:
        if _number(self) is None:
            return bool(localstripe_requires(self))
        listed = _documented(self)
        return bool(listed and listed.requires_authentication)

    def attaching_is_declined(self: Any) -> bool:
        if _number(self) is None:
            return bool(localstripe_attach_declined(self))
        listed = _documented(self)
        return bool(listed and listed.declined_on_attach)

    def charging_is_declined(self: Any) -> bool:
        if _number(self) is None:  # SEPA debits keep localstripe's rules
            return bool(localstripe_charge_declined(self))
        listed = _documented(self)
        return bool(listed and listed.declined_on_charge)

    method_class._api_create = classmethod(api_create)
    method_class._requires_authentication = requires_authentication
    method_class._attaching_is_declined = attaching_is_declined
    method_class._charging_is_declined = charging_is_declined


def _charge_refusal(charge: Any) -> CardError | None:
    try:
        method = resources.PaymentMethod._api_retrieve(charge.payment_method)
    except UserError:
        return None
    listed = _documented(method)
    return listed.declined_on_charge if listed else None


def _charge_outcome(charge: Any) -> dict[str, Any] | None:
    """Stripe's ``outcome`` of a charge: authorized, declined by the bank, or blocked by Radar."""
    if charge.status == "pending":
        return None
    try:
        listed = _documented(resources.PaymentMethod._api_retrieve(charge.payment_method))
    except UserError:
        listed = None
    if charge.status != "failed":
        return {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    if listed is not None and listed.blocked:
        return {
            "network_status": "not_sent_to_network",
            "reason": "highest_risk_level",
            "risk_level": "highest",
            "seller_message": "Stripe blocked this payment as too risky.",
            "type": "blocked",
        }
    return {
        "network_status": "declined_by_network",
        "reason": getattr(charge, "_decline_code", None),
        "risk_level": "normal",
        "seller_message": "The bank did not return any further details with this decline.",
        "type": "issuer_declined",
    }


def _install_charges() -> None:
    charge_class = resources.Charge
    trigger_payment = charge_class._trigger_payment

    def set_auth_failure(self: Any) -> None:
        refusal = _charge_refusal(self)
        self.status = "failed"
        self.failure_code = refusal.code if refusal else "card_declined"
        self.failure_message = refusal.message if refusal else "Your card was declined."
        self._decline_code = refusal.decline_code if refusal else "generic_decline"

    def raise_failure(self: Any) -> None:
        refusal = _charge_refusal(self) or CardError(
            self.failure_code, getattr(self, "_decline_code", None), self.failure_message
        )
        intent = None
        if self.payment_intent:
            intent = resources.PaymentIntent._api_retrieve(self.payment_intent)._export()
        method = resources.PaymentMethod._api_retrieve(self.payment_method)._export()
        raise card_error(refusal, charge=self.id, payment_intent=intent, payment_method=method)

    def trigger(self: Any, on_success: Any = None) -> None:
        trigger_payment(self, on_success)
        if self.status == "succeeded" and self.captured:
            listed = card_for(_number(resources.PaymentMethod._api_retrieve(self.payment_method)))
            if listed is not None and listed.dispute is not None:
                disputes.open_dispute(self, listed.dispute.reason, listed.dispute.status)

    charge_class._set_auth_failure = set_auth_failure
    charge_class._raise_failure = raise_failure
    charge_class._trigger_payment = trigger
    charge_class.outcome = property(_charge_outcome)
    charge_class.disputed = property(lambda self: bool(getattr(self, "_disputed", False)))
    charge_class.failure_balance_transaction = None


def _install_payment_intents() -> None:
    intent_class = resources.PaymentIntent

    def last_payment_error(self: Any) -> dict[str, Any] | None:
        if self._authentication_failed:
            return dict(AUTHENTICATION_FAILURE)
        charge = self.latest_charge
        if charge is None or charge.status != "failed":
            return None
        refusal = _charge_refusal(charge)
        error: dict[str, Any] = {
            "charge": charge.id,
            "code": charge.failure_code,
            "doc_url": DOC_URL + str(charge.failure_code).replace("_", "-"),
            "message": charge.failure_message,
            "type": "card_error",
        }
        if refusal is not None and refusal.decline_code:
            error["decline_code"] = refusal.decline_code
        try:
            error["payment_method"] = resources.PaymentMethod._api_retrieve(
                charge.payment_method
            )._export()
        except UserError:
            pass
        return error

    intent_class.last_payment_error = property(last_payment_error)


ATTACH_PATH = re.compile(r"^/v1/payment_methods/(?P<id>\w+)/attach$")
AUTHENTICATE_PATH = re.compile(r"^/v1/payment_intents/(?P<id>\w+)/_authenticate$")


@web.middleware
async def card_routes_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Attaching a card and 3-D Secure's answer, as Stripe does them.

    localstripe registered these two routes with its own functions at import, so patching the
    classes cannot reach them: this runs around them instead. (Installed after localstripe's
    error middleware, which turns the UserErrors raised here into answers.)
    """
    if request.method != "POST":
        return await handler(request)
    attaching = ATTACH_PATH.match(request.path)
    if attaching is not None:
        await _refuse_attaching(request, attaching["id"])
    response = await handler(request)
    authenticating = AUTHENTICATE_PATH.match(request.path)
    if authenticating is not None and response.status == 200:
        intent = resources.PaymentIntent._api_retrieve(authenticating["id"])
        if intent._authentication_failed:
            # Stripe tells the server, as for a declined card.
            schedule_webhook(resources.Event("payment_intent.payment_failed", intent))
    return response


async def _refuse_attaching(request: web.Request, method_id: str) -> None:
    try:
        method = resources.PaymentMethod._api_retrieve(method_id)
    except UserError:
        return  # localstripe's handler answers the 404
    listed = _documented(method)
    if listed is None or listed.declined_on_attach is None:
        return
    data = await server.get_post_data(request) or {}
    customer = data.get("customer")
    if isinstance(customer, str) and customer.startswith("cus_"):
        resources.Customer._api_retrieve(customer)  # an unknown customer is a 404 first
    raise card_error(listed.declined_on_attach, payment_method=method._export())


def install(app: web.Application) -> None:
    """Give localstripe's classes the table's card rules (module-wide, so once) and add the
    middleware for the routes that patching cannot reach."""
    if not getattr(resources.PaymentMethod, "_coop_cards_installed", False):
        _install_payment_methods()
        _install_charges()
        _install_payment_intents()
        resources.PaymentMethod._coop_cards_installed = True
    app.middlewares.append(card_routes_middleware)
