"""What the app needs from a payment provider, in its own words.

Only the Stripe adapter (stripe_gateway and its stripe_* modules) imports stripe.

Everything here is read back from the provider: the app never trusts a webhook's body for
amounts or states, it asks again (the event only says *what* to look at).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class PaymentDeclined(Exception):
    """The card was refused; ``message`` is the provider's sentence, fit to show the buyer."""

    def __init__(self, message: str, payment_intent_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.payment_intent_id = payment_intent_id


class GatewayError(Exception):
    """The provider could not be reached or answered with an error that is not the card's."""


class PaymentSetupError(GatewayError):
    """Stripe answered, and refused the request because of how the co-op set payments up: a
    key it does not accept, a parameter it does not know, an object made under other keys.
    Trying again will not help; an admin has to fix the setting named in ``likely_setting``."""

    def __init__(
        self,
        stripe_message: str,
        *,
        likely_setting: str,
        request_id: str | None = None,
        http_status: int | None = None,
        stripe_code: str | None = None,
    ) -> None:
        super().__init__(
            f"Stripe refused the request (HTTP {http_status}, {stripe_code or 'no code'}): "
            f"{stripe_message}. Likely at fault: {likely_setting}."
        )
        self.stripe_message = stripe_message
        self.likely_setting = likely_setting
        self.request_id = request_id
        self.http_status = http_status
        self.stripe_code = stripe_code


class TransferRefused(GatewayError):
    """Stripe answered and made no transfer (e.g. the account cannot receive yet); it keeps
    that answer under the idempotency key, so another attempt needs a new key."""


class InvalidSignature(Exception):
    """A webhook whose signature does not verify (forged, altered, or too old)."""


@dataclass(frozen=True)
class RefundState:
    id: str
    status: str  # pending, succeeded, failed, canceled, requires_action
    amount_cents: int
    metadata: dict[str, str] = field(default_factory=dict)
    # A refund in another currency than the settlement one: what it took from the balance,
    # in the settlement currency (its balance transaction's amount, made positive).
    settled_cents: int | None = None


@dataclass(frozen=True)
class SettledAmount:
    """What a charge in another currency brought into the balance, from its balance
    transaction: the amount and Stripe's fee in the settlement currency, and the rate used
    (presentment amount × rate = settlement amount; kept as Stripe wrote it, never computed
    with)."""

    amount_cents: int
    fee_cents: int
    currency: str
    exchange_rate: str | None


@dataclass(frozen=True)
class PaymentIntentState:
    id: str
    status: str  # Stripe's: requires_payment_method, requires_action, processing, succeeded, ...
    amount_cents: int
    currency: str
    client_secret: str | None
    metadata: dict[str, str]
    charge_id: str | None = None
    fee_cents: int | None = None  # from the balance transaction, when Stripe has one
    error_message: str | None = None
    created: datetime | None = None
    # Paid in another currency than the settlement one: what the co-op received.
    settled: SettledAmount | None = None


@dataclass(frozen=True)
class ChargeState:
    id: str
    payment_intent_id: str | None
    amount_cents: int
    amount_refunded_cents: int
    refunds: list[RefundState]


@dataclass(frozen=True)
class ConnectedAccountState:
    id: str
    details_submitted: bool
    payouts_enabled: bool
    transfers_active: bool  # the ``transfers`` capability is active
    requirements_due: list[str]  # Stripe's ``requirements.currently_due`` codes
    disabled_reason: str | None


@dataclass(frozen=True)
class TransferState:
    id: str
    amount_cents: int
    amount_reversed_cents: int
    currency: str
    destination: str
    metadata: dict[str, str]


@dataclass(frozen=True)
class TransferReversalState:
    id: str
    transfer_id: str
    amount_cents: int


class PaymentGateway(Protocol):
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
        """Create a PaymentIntent and confirm it with ``payment_method`` in one call."""

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentState: ...

    def confirm_payment_intent(
        self, payment_intent_id: str, idempotency_key: str
    ) -> PaymentIntentState: ...

    def retrieve_charge(self, charge_id: str) -> ChargeState: ...

    def create_refund(
        self,
        *,
        payment_intent_id: str,
        amount_cents: int,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> RefundState: ...

    def list_refunds(self, payment_intent_id: str) -> list[RefundState]: ...

    def list_payment_intents(self, since: datetime, until: datetime) -> list[PaymentIntentState]:
        """PaymentIntents created in [since, until)."""

    def verify_webhook(
        self, payload: bytes, signature_header: str, secret: str | None = None
    ) -> dict[str, Any]:
        """The event, when the signature verifies (with ``secret``, the payments endpoint's by
        default); else InvalidSignature."""

    def create_account(
        self, *, email: str, metadata: dict[str, str], idempotency_key: str
    ) -> ConnectedAccountState:
        """A connected account for a member: Express dashboard, the platform pays the fees
        and carries the losses, the ``transfers`` capability requested."""

    def create_account_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        """The address of a fresh, single-use onboarding page for the account."""

    def retrieve_account(self, account_id: str) -> ConnectedAccountState: ...

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
        """Move money from the platform's balance to a connected account; TransferRefused
        when Stripe made none."""

    def retrieve_transfer(self, transfer_id: str) -> TransferState: ...

    def list_transfers(
        self, *, destination: str, transfer_group: str | None = None
    ) -> list[TransferState]:
        """Transfers to ``destination`` (of ``transfer_group`` when given), newest first."""

    def create_transfer_reversal(
        self, transfer_id: str, *, amount_cents: int, idempotency_key: str
    ) -> TransferReversalState: ...

    def list_payouts(self, *, arriving_from: int) -> list[dict[str, Any]]:
        """Stripe's payouts to the platform's bank arriving at or after ``arriving_from`` (Unix
        time), newest first, as Stripe's plain ``payout`` objects."""
