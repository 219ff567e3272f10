"""Making a Stripe Connect transfer once, even when a retry comes after Stripe forgot its key,
and the payer that dividends and redemptions pay members with."""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy.orm import Session

from marketplace.payments.gateway import TransferState
from marketplace.payments.stripe_gateway import StripeGateway, gateway
from marketplace.payouts.core import made_before

log = logging.getLogger(__name__)


def transfer_once(
    *,
    amount_cents: int,
    currency: str,
    destination: str,
    idempotency_key: str,
    metadata: dict[str, str],
    transfer_group: str,
    stripe: StripeGateway | None = None,
) -> TransferState:
    """A transfer for the payment that ``metadata`` names: the one made earlier, or a new one.

    The destination's transfers of ``transfer_group`` are listed first, and one made earlier for
    this payment (``core.made_before``: its metadata, amount and currency) is answered instead
    of a new transfer. Stripe keeps an idempotency key for 24 hours only, so a retry after that,
    when the first answer was lost, would otherwise pay twice. Raises what the gateway raises.
    """
    stripe = stripe or gateway()
    transfers = stripe.list_transfers(destination=destination, transfer_group=transfer_group)
    earlier = made_before(
        transfers, amount_cents=amount_cents, currency=currency, metadata=metadata
    )
    for transfer in transfers:
        if transfer.id == earlier:
            log.warning("Transfer %s was made before for %s: adopted", transfer.id, metadata)
            return transfer
    return stripe.create_transfer(
        amount_cents=amount_cents,
        currency=currency,
        destination=destination,
        idempotency_key=idempotency_key,
        metadata=metadata,
        transfer_group=transfer_group,
    )


class Payer(Protocol):
    """Pays one member: a Stripe Connect transfer, answering the transfer id."""

    def __call__(
        self,
        *,
        amount_cents: int,
        currency: str,
        destination: str,
        idempotency_key: str,
        metadata: dict[str, str],
        transfer_group: str,
    ) -> str: ...


class DestinationLookup(Protocol):
    """The member's connected account when it can receive money, else None."""

    def __call__(self, session: Session, member_id: int) -> str | None: ...


def stripe_transfer(
    *,
    amount_cents: int,
    currency: str,
    destination: str,
    idempotency_key: str,
    metadata: dict[str, str],
    transfer_group: str,
) -> str:
    """The default ``Payer``: a Stripe Connect transfer from the platform balance, made once
    (``transfer_once``: one made earlier for this payment is adopted); its id."""
    return transfer_once(
        amount_cents=amount_cents,
        currency=currency,
        destination=destination,
        idempotency_key=idempotency_key,
        metadata=metadata,
        transfer_group=transfer_group,
    ).id
