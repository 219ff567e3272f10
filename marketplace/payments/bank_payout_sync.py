"""The periodic payout sync: Stripe's payouts to the bank that no webhook booked, booked.

A ``payout.paid`` webhook books a payout (``bank_payouts.apply_payout``). One that never
arrives (lost, or refused while the app was down past Stripe's retries) would leave Bank and
Stripe clearing apart from the bank statement until someone noticed. Every hour (beat,
``payments.sync_bank_payouts``) the sync asks Stripe, through the gateway, for the payouts
arriving since the last one booked, less ``LOOKBACK`` (a payout can fail days after it was
paid), and applies each that is paid or failed. ``apply_payout`` locks the payout's row and keys
its entries by the payout id, so a payout the webhook booked, or an earlier sync did, is booked
once whichever comes first; pending and in-transit payouts wait for a later sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from marketplace.database import unit_of_work
from marketplace.payments import bank_payouts
from marketplace.payments.bank_payouts_models import BankPayout
from marketplace.payments.gateway import PaymentGateway
from marketplace.payments.stripe_gateway import gateway as stripe_gateway

LOOKBACK = timedelta(days=14)
SETTLED = ("paid", "failed")


@dataclass(frozen=True)
class SyncResult:
    listed: int  # payouts Stripe listed
    applied: int  # of those, paid or failed, brought in step
    booked: int  # newly booked to the bank by this sync (the webhook had missed them)


def arriving_from() -> int:
    """Where the sync starts: the arrival of the last booked payout less ``LOOKBACK``, or the
    beginning when none is booked yet (Unix time, as Stripe's ``arrival_date``)."""
    with unit_of_work() as session:
        last = session.execute(
            sa.select(sa.func.max(BankPayout.arrival_date)).where(BankPayout.entry_id.is_not(None))
        ).scalar_one_or_none()
    if last is None:
        return 0
    return int((datetime.combine(last, time.min, tzinfo=UTC) - LOOKBACK).timestamp())


def _booked(ids: list[str]) -> set[str]:
    if not ids:
        return set()
    with unit_of_work() as session:
        return set(
            session.execute(
                sa.select(BankPayout.stripe_payout_id).where(
                    BankPayout.stripe_payout_id.in_(ids), BankPayout.entry_id.is_not(None)
                )
            ).scalars()
        )


def sync_payouts(gateway: PaymentGateway | None = None) -> SyncResult:
    """Book the settled payouts Stripe lists that the books lack; see the module's docstring.
    ``gateway``: the app's Stripe gateway unless given."""
    gateway = gateway or stripe_gateway()
    payouts = gateway.list_payouts(arriving_from=arriving_from())
    settled = [payout for payout in payouts if payout.get("status") in SETTLED]
    ids = [str(payout["id"]) for payout in settled]
    before = _booked(ids)
    # Oldest first, as they happened (Stripe lists the newest first).
    for payout in reversed(settled):
        bank_payouts.apply_payout(payout)
    return SyncResult(len(payouts), len(settled), len(_booked(ids) - before))
