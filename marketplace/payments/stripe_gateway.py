"""The one module that talks to Stripe, through the official ``stripe`` library over HTTP.

In the demo and the tests it talks to the local emulator (``STRIPE_API_BASE``). The emulator
rejects parameters it does not know (``transfer_group``, ``return_url``): those are sent only
to Stripe itself (``STRIPE_SENDS_TRANSFER_GROUP``).
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import logging
import os
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests
import stripe
from flask import current_app
from flask_babel import gettext

from marketplace.errors import ServiceUnavailable
from marketplace.payments.gateway import (
    ChargeState,
    ConnectedAccountState,
    InvalidSignature,
    PaymentDeclined,
    PaymentIntentState,
    RefundState,
    SettledAmount,
    TransferRefused,
    TransferReversalState,
    TransferState,
)
from marketplace.payments.stripe_errors import gateway_error_for
from marketplace.payments.stripe_http import KeepAliveHTTPClient
from marketplace.payments.stripe_objects import (
    account_state,
    metadata_of,
    plain,
    refund_state,
    transfer_state,
)

log = logging.getLogger(__name__)

# Stripe's own client retries network failures with the same idempotency key.
MAX_NETWORK_RETRIES = 2


def _http_client(api_base: str) -> stripe.HTTPClient:
    """Kept-alive connections on ``http.client`` (see ``stripe_http``); through ``requests``
    where the environment names a proxy for the API, with the proxy read once (requests
    would read every environment variable again on each call)."""
    proxies = requests.utils.get_environ_proxies(api_base)
    proxy: Any = {k: v for k, v in proxies.items() if k in ("http", "https")}
    if not proxy:
        return KeepAliveHTTPClient()
    session = requests.Session()
    session.trust_env = False
    return stripe.RequestsClient(session=session, proxy=proxy)


class StripeGateway:
    def __init__(self, secret_key: str, api_base: str | None, webhook_secret: str) -> None:
        base: Any = {"api": api_base} if api_base else None
        http_client = _http_client(api_base or stripe.DEFAULT_API_BASE)
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses=base,
            max_network_retries=MAX_NETWORK_RETRIES,
            http_client=http_client,
        )
        self._webhook_secret = webhook_secret
        self._http = http_client

    @property
    def client(self) -> stripe.StripeClient:
        """The Stripe client, for the calls of modules of their own (``stripe_tax``)."""
        return self._client

    def close(self) -> None:
        """Close the connections kept open to Stripe."""
        self._http.close()

    def _payment_intent(self, intent: Any) -> PaymentIntentState:
        intent = plain(intent)
        charge_id = intent.get("latest_charge")
        if isinstance(charge_id, dict):
            charge_id = charge_id.get("id")
        error = intent.get("last_payment_error")
        succeeded = intent["status"] == "succeeded"
        foreign = str(intent["currency"]).upper() != current_app.config["CURRENCY"]
        settled = self._settled(charge_id) if succeeded and foreign else None
        return PaymentIntentState(
            id=intent["id"],
            status=str(intent["status"]),
            amount_cents=int(intent["amount"]),
            currency=str(intent["currency"]).upper(),
            client_secret=intent.get("client_secret"),
            metadata=metadata_of(intent),
            charge_id=charge_id,
            fee_cents=settled.fee_cents
            if settled is not None
            else (self._fee(charge_id) if succeeded else None),
            error_message=(error or {}).get("message") if error else None,
            created=datetime.fromtimestamp(intent["created"], UTC)
            if intent.get("created")
            else None,
            settled=settled,
        )

    def _transaction(self, transaction: Any) -> dict[str, Any]:
        if isinstance(transaction, str):
            return plain(self._client.v1.balance_transactions.retrieve(transaction))
        return plain(transaction)

    def _settled(self, charge_id: str | None) -> SettledAmount | None:
        """What a charge in another currency brought in, from its balance transaction (read
        whatever ``STRIPE_FEE_FROM_BALANCE_TRANSACTION`` says: without it the books would not
        know the amount). None while Stripe has not written it, or cannot be reached: the
        payment is then settled later, never at a guessed amount."""
        if not charge_id:
            return None
        try:
            charge = plain(self._client.v1.charges.retrieve(charge_id))
            if not charge.get("balance_transaction"):
                return None
            transaction = self._transaction(charge["balance_transaction"])
        except stripe.StripeError:
            log.warning("The balance transaction of charge %s could not be read", charge_id)
            return None
        rate = transaction.get("exchange_rate")
        return SettledAmount(
            amount_cents=int(transaction["amount"]),
            fee_cents=int(transaction["fee"]),
            currency=str(transaction["currency"]).upper(),
            # repr of Stripe's JSON number is its shortest exact decimal form ("1.08").
            exchange_rate=repr(rate) if isinstance(rate, int | float) else None,
        )

    def _refund(self, refund: Any) -> RefundState:
        """The refund, with what it took from the balance when it is in another currency."""
        state = refund_state(refund)
        data = plain(refund)
        if str(data.get("currency") or "").upper() in ("", current_app.config["CURRENCY"]):
            return state
        if not data.get("balance_transaction"):
            return state
        try:
            transaction = self._transaction(data["balance_transaction"])
        except stripe.StripeError as error:
            raise gateway_error_for(error, "read a refund's balance transaction") from error
        return dataclasses.replace(state, settled_cents=-int(transaction["amount"]))

    def _fee(self, charge_id: str | None) -> int | None:
        """Stripe's fee from the charge's balance transaction, when there is one.

        The emulator's balance transactions always say 0: it is asked only where
        ``STRIPE_FEE_FROM_BALANCE_TRANSACTION`` is on (production).
        """
        if not charge_id or not current_app.config["STRIPE_FEE_FROM_BALANCE_TRANSACTION"]:
            return None
        try:
            charge = plain(self._client.v1.charges.retrieve(charge_id))
            transaction = charge.get("balance_transaction")
            if not transaction:
                return None
            if isinstance(transaction, str):
                transaction = plain(self._client.v1.balance_transactions.retrieve(transaction))
            return int(transaction["fee"])
        except stripe.StripeError:
            return None

    def create_and_confirm(
        self,
        *,
        amount_cents: int,
        currency: str,
        payment_method: str,
        metadata: dict[str, str],
        idempotency_key: str,
        transfer_group: str | None,
        return_url: str | None,
    ) -> PaymentIntentState:
        params: dict[str, Any] = {
            "amount": amount_cents,
            "currency": currency.lower(),
            "payment_method": payment_method,
            "payment_method_types": ["card"],
            "confirm": True,
            "metadata": metadata,
        }
        if current_app.config["STRIPE_SENDS_TRANSFER_GROUP"]:
            if transfer_group:
                params["transfer_group"] = transfer_group
            if return_url:
                params["return_url"] = return_url
        try:
            intent = self._client.v1.payment_intents.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key},
            )
        except stripe.CardError as error:
            intent_id = self._declined_intent_id(error)
            raise PaymentDeclined(
                error.user_message or gettext("The card was declined."), intent_id
            ) from None
        except stripe.InvalidRequestError as error:
            if error.param == "payment_method" or error.http_status == 404:
                raise PaymentDeclined(
                    gettext("That card could not be used; please enter it again.")
                ) from None
            raise gateway_error_for(error, "take a card payment") from error
        except stripe.StripeError as error:
            raise gateway_error_for(error, "take a card payment") from error
        return self._payment_intent(intent)

    def _declined_intent_id(self, error: stripe.CardError) -> str | None:
        """The PaymentIntent a declined card left behind (Stripe names it; the emulator names
        only the charge, which names it)."""
        details = error.error
        if details is not None and details.payment_intent is not None:
            return plain(details.payment_intent).get("id")
        charge_id = details.charge if details is not None else None
        if not charge_id:
            return None
        try:
            charge = plain(self._client.v1.charges.retrieve(charge_id))
        except stripe.StripeError:
            return None
        intent = charge.get("payment_intent")
        return intent if isinstance(intent, str) else None

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentState:
        # The raw answer, as plain JSON: building stripe-python's objects for it and turning
        # them back into dicts cost more CPU than the request itself.
        try:
            answer = self._client.raw_request(
                "get", f"/v1/payment_intents/{quote(payment_intent_id, safe='')}"
            )
        except stripe.StripeError as error:
            raise gateway_error_for(error, "read a payment") from error
        return self._payment_intent(answer.data)

    def confirm_payment_intent(
        self, payment_intent_id: str, idempotency_key: str
    ) -> PaymentIntentState:
        try:
            intent = self._client.v1.payment_intents.confirm(
                payment_intent_id, {}, {"idempotency_key": idempotency_key}
            )
        except stripe.CardError as error:
            raise PaymentDeclined(error.user_message or gettext("The card was declined.")) from None
        except stripe.StripeError as error:
            raise gateway_error_for(error, "confirm a payment") from error
        return self._payment_intent(intent)

    def retrieve_charge(self, charge_id: str) -> ChargeState:
        try:
            charge = plain(self._client.v1.charges.retrieve(charge_id))
            intent = charge.get("payment_intent")
            refunds = self.list_refunds(intent) if intent else []
        except stripe.StripeError as error:
            raise gateway_error_for(error, "read a charge") from error
        return ChargeState(
            id=charge["id"],
            payment_intent_id=intent,
            amount_cents=int(charge["amount"]),
            amount_refunded_cents=int(charge.get("amount_refunded") or 0),
            refunds=refunds,
        )

    def create_refund(
        self,
        *,
        payment_intent_id: str,
        amount_cents: int,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> RefundState:
        try:
            refund = self._client.v1.refunds.create(
                {
                    "payment_intent": payment_intent_id,
                    "amount": amount_cents,
                    "metadata": metadata,
                },
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise gateway_error_for(error, "refund a payment") from error
        return self._refund(refund)

    def list_refunds(self, payment_intent_id: str) -> list[RefundState]:
        try:
            page = self._client.v1.refunds.list({"payment_intent": payment_intent_id, "limit": 100})
        except stripe.StripeError as error:
            raise gateway_error_for(error, "list a payment's refunds") from error
        return [self._refund(r) for r in page.auto_paging_iter()]

    def list_payment_intents(self, since: datetime, until: datetime) -> list[PaymentIntentState]:
        window = {"gte": int(since.timestamp()), "lt": int(until.timestamp())}
        try:
            try:
                page = self._client.v1.payment_intents.list(
                    {"created": window, "limit": 100}  # type: ignore[arg-type]
                )
            except stripe.InvalidRequestError as error:
                if "created" not in str(error):
                    raise
                # The emulator cannot filter by creation time: filter here instead.
                page = self._client.v1.payment_intents.list({"limit": 100})
            intents = [self._payment_intent(i) for i in page.auto_paging_iter()]
        except stripe.StripeError as error:
            raise gateway_error_for(error, "list payments") from error
        return [i for i in intents if i.created is None or since <= i.created < until]

    # --- Connect: members' payout accounts and transfers to them ---------------------------

    def create_account(
        self, *, email: str, metadata: dict[str, str], idempotency_key: str
    ) -> ConnectedAccountState:
        # Stripe's current marketplace guidance: no account "type", but a controller whose
        # platform pays Stripe's fees and carries losses, with the Express dashboard.
        params: dict[str, Any] = {
            "email": email,
            "controller": {
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
                "stripe_dashboard": {"type": "express"},
            },
            "capabilities": {"transfers": {"requested": True}},
            "metadata": metadata,
        }
        try:
            account = self._client.v1.accounts.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise gateway_error_for(error, "open a member's payout account") from error
        return account_state(account)

    def create_account_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        try:
            link = self._client.v1.account_links.create(
                {
                    "account": account_id,
                    "refresh_url": refresh_url,
                    "return_url": return_url,
                    "type": "account_onboarding",
                }
            )
        except stripe.StripeError as error:
            raise gateway_error_for(error, "make a payout account's onboarding link") from error
        return str(plain(link)["url"])

    def retrieve_account(self, account_id: str) -> ConnectedAccountState:
        try:
            return account_state(self._client.v1.accounts.retrieve(account_id))
        except stripe.StripeError as error:
            raise gateway_error_for(error, "read a payout account") from error

    def create_transfer(
        self,
        *,
        amount_cents: int,
        currency: str,
        destination: str,
        idempotency_key: str,
        metadata: dict[str, str],
        transfer_group: str | None,
    ) -> TransferState:
        params: dict[str, Any] = {
            "amount": amount_cents,
            "currency": currency.lower(),
            "destination": destination,
            "metadata": metadata,
        }
        if transfer_group:
            params["transfer_group"] = transfer_group
        try:
            transfer = self._client.v1.transfers.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key},
            )
        except stripe.IdempotencyError as error:
            raise gateway_error_for(error, "transfer money to a member") from error
        except (stripe.InvalidRequestError, stripe.PermissionError) as error:
            # A 4xx answer: Stripe made no transfer under this key, and never will.
            raise TransferRefused(error.user_message or str(error)) from None
        except stripe.StripeError as error:
            raise gateway_error_for(error, "transfer money to a member") from error
        return transfer_state(transfer)

    def retrieve_transfer(self, transfer_id: str) -> TransferState:
        try:
            return transfer_state(self._client.v1.transfers.retrieve(transfer_id))
        except stripe.StripeError as error:
            raise gateway_error_for(error, "read a transfer") from error

    def list_transfers(
        self, *, destination: str, transfer_group: str | None = None
    ) -> list[TransferState]:
        params: dict[str, Any] = {"destination": destination, "limit": 100}
        if transfer_group:
            params["transfer_group"] = transfer_group
        try:
            page = self._client.v1.transfers.list(params)  # type: ignore[arg-type]
            return [transfer_state(transfer) for transfer in page.auto_paging_iter()]
        except stripe.StripeError as error:
            raise gateway_error_for(error, "list transfers to a member") from error

    def list_payouts(self, *, arriving_from: int) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"arrival_date": {"gte": arriving_from}, "limit": 100}
        try:
            page = self._client.v1.payouts.list(params)  # type: ignore[arg-type]
            return [plain(payout) for payout in page.auto_paging_iter()]
        except stripe.StripeError as error:
            raise gateway_error_for(error, "list the payouts to the co-op's bank") from error

    def create_transfer_reversal(
        self, transfer_id: str, *, amount_cents: int, idempotency_key: str
    ) -> TransferReversalState:
        try:
            reversal = plain(
                self._client.v1.transfers.reversals.create(
                    transfer_id, {"amount": amount_cents}, {"idempotency_key": idempotency_key}
                )
            )
        except stripe.StripeError as error:
            raise gateway_error_for(error, "reverse a transfer") from error
        return TransferReversalState(
            id=reversal["id"], transfer_id=transfer_id, amount_cents=int(reversal["amount"])
        )

    def verify_webhook(
        self, payload: bytes, signature_header: str, secret: str | None = None
    ) -> dict[str, Any]:
        # Stripe's own check of the signature over the raw bytes (and of its age); the body is
        # then read as plain JSON, as construct_event would, without building stripe objects.
        try:
            text = payload.decode("utf-8")
            stripe.WebhookSignature.verify_header(
                text,
                signature_header,
                secret or self._webhook_secret,
                stripe.Webhook.DEFAULT_TOLERANCE,
            )
            event = json.loads(text)
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise InvalidSignature(str(error)) from None
        if not isinstance(event, dict):
            raise InvalidSignature("The signed body is not a Stripe event.")
        return event


_cached: tuple[tuple[Any, ...], StripeGateway] | None = None


@atexit.register
def _close_cached() -> None:
    if _cached is not None and _cached[0][0] == os.getpid():
        _cached[1].close()


def gateway() -> StripeGateway:
    """The gateway for the current app's settings, one per process.

    Kept so that its connection to Stripe serves every call; a process forked after it was
    made (a Celery pool process) makes its own, and other settings (another app in the
    tests) replace it, closing its connections.
    """
    global _cached
    config = current_app.config
    if not (config.get("STRIPE_SECRET_KEY") and config.get("STRIPE_WEBHOOK_SECRET")):
        raise ServiceUnavailable(
            gettext("Payments are not set up yet: the co-op's Stripe keys are missing."),
            code="payments_not_configured",
        )
    settings = (
        os.getpid(),
        config["STRIPE_SECRET_KEY"],
        config.get("STRIPE_API_BASE"),
        config["STRIPE_WEBHOOK_SECRET"],
    )
    cached = _cached
    if cached is not None and cached[0] == settings:
        return cached[1]
    made = StripeGateway(*settings[1:])
    _cached = (settings, made)
    if cached is not None and cached[0][0] == settings[0]:
        cached[1].close()
    return made
