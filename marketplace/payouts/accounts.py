"""Members' payout accounts (Stripe Connect): created once, onboarded at Stripe, and their
state as Stripe last reported it (read again from Stripe, never from a webhook's body).

Moved out of ``payouts.services``, which re-exports these functions.
"""

from __future__ import annotations

import logging
import secrets

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.background import enqueue
from marketplace.database import lock_row, unit_of_work, utcnow
from marketplace.errors import Forbidden, NotFound, PaymentSetupProblem, ServiceUnavailable
from marketplace.extensions import db
from marketplace.mail import public_base_url
from marketplace.membership import leaving
from marketplace.membership.models import Member, membership_of
from marketplace.payments.gateway import ConnectedAccountState, GatewayError, PaymentSetupError
from marketplace.payments.stripe_gateway import gateway
from marketplace.payouts.models import PayoutAccount

log = logging.getLogger(__name__)

RELEASE_HELD_TASK = "dividends.release_held"


def member_of(user: User) -> Member:
    # A member who left still reads their earnings and is paid what is due to them.
    member = membership_of(user)
    if member is None or not leaving.has_been_member(user):
        raise Forbidden(gettext("Only members receive royalties."), code="member_required")
    return member


def payout_account(session: Session, member_id: int) -> PayoutAccount | None:
    return session.execute(
        sa.select(PayoutAccount).where(PayoutAccount.member_id == member_id)
    ).scalar_one_or_none()


def ready_payout_account(session: Session, member_id: int) -> str | None:
    """The member's connected account id when Stripe accepts transfers to it and pays them out
    (as last reported by Stripe), else None."""
    account = payout_account(session, member_id)
    return account.stripe_account_id if account is not None and account.ready else None


def _apply_state(account: PayoutAccount, state: ConnectedAccountState) -> None:
    account.details_submitted = state.details_submitted
    account.payouts_enabled = state.payouts_enabled
    account.transfers_active = state.transfers_active
    account.requirements_due = list(state.requirements_due)
    account.disabled_reason = state.disabled_reason
    account.updated_at = utcnow()


def _ensure_account_row(member_id: int) -> None:
    """The member's row exists, with the idempotency key its Stripe account is created with.

    Committed on its own: a failure later must not lose the key, or a retry would create a
    second account at Stripe. The random part keeps keys unique across database resets.
    """
    try:
        with unit_of_work() as session:
            if payout_account(session, member_id) is None:
                session.add(
                    PayoutAccount(
                        member_id=member_id,
                        idempotency_key=f"payout-account-{member_id}-{secrets.token_hex(8)}",
                        requirements_due=[],
                    )
                )
    except IntegrityError:
        # Another request created the row at the same moment: that row serves this one too.
        return


def start_onboarding(user: User) -> str:
    """The address of Stripe's onboarding for the member's payout account, created once."""
    member = member_of(user)
    _ensure_account_row(member.id)
    base = public_base_url()
    stripe = gateway()
    try:
        with unit_of_work() as session:
            found = payout_account(session, member.id)
            account = lock_row(session, PayoutAccount, found.id) if found else None
            if account is None:
                raise NotFound(gettext("No payout account."))
            if account.stripe_account_id is None:
                state = stripe.create_account(
                    email=user.email,
                    metadata={"member_id": str(member.id)},
                    idempotency_key=account.idempotency_key,
                )
                account.stripe_account_id = state.id
                _apply_state(account, state)
            account_id = account.stripe_account_id
        return stripe.create_account_link(
            account_id,
            refresh_url=f"{base}/account/earnings/payout-account/refresh",
            return_url=f"{base}/account/earnings?payout_account=returned",
        )
    except PaymentSetupError:
        raise PaymentSetupProblem(
            gettext(
                "The co-op's payment setup has a problem on our side, so payout accounts cannot "
                "be set up just now. The co-op's admins have been told."
            )
        ) from None
    except GatewayError:
        raise ServiceUnavailable(
            gettext(
                "Stripe did not answer. Please try again in a moment: nothing was set up twice."
            )
        ) from None


def refresh_account(stripe_account_id: str) -> PayoutAccount | None:
    """Read the account again from Stripe (never from a webhook's body) and keep its state."""
    state = gateway().retrieve_account(stripe_account_id)
    with unit_of_work() as session:
        found = session.execute(
            sa.select(PayoutAccount.id).where(PayoutAccount.stripe_account_id == stripe_account_id)
        ).scalar_one_or_none()
        account = lock_row(session, PayoutAccount, found) if found is not None else None
        if account is None:
            log.info("Connected account %s is not one of ours", stripe_account_id)
            return None
        _apply_state(account, state)
        if account.ready:
            # Dividends held for want of a payout account are paid now (idempotent), by the
            # dividends feature's task: payouts know nothing of dividends.
            enqueue(session, RELEASE_HELD_TASK, account.member_id)
    return account


def refresh_member_account(user: User) -> None:
    """When the member comes back from Stripe: their account's state, without waiting for
    the webhook. Stripe being unreachable only leaves the last known state."""
    member = membership_of(user)
    account = payout_account(db.session(), member.id) if member is not None else None
    if account is None or account.stripe_account_id is None:
        return
    try:
        refresh_account(account.stripe_account_id)
    except GatewayError:
        log.warning("Could not refresh payout account %s", account.stripe_account_id)
