"""Telling the admins, once, that Stripe refuses the co-op's payment setup.

A wrong key or setting fails every payment alike: each buyer is told it is the co-op's problem,
and the admins get one email per likely setting an hour, however many buyers run into it (the
count is kept in the rate limiter's storage, Redis in production).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_babel import force_locale, lazy_gettext
from limits import parse
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.background import run_inline_tasks
from marketplace.extensions import db, limiter
from marketplace.i18n.languages import DEFAULT_LANGUAGE
from marketplace.mail import queue_email
from marketplace.payments.gateway import PaymentSetupError

log = logging.getLogger(__name__)

ALERT_EVERY = parse("1 per hour")
SUBJECT = lazy_gettext("Payments are failing: the co-op's payment setup has a problem")
# What the gateway was doing (its English words, also in the log), as the email says it in
# the admin's language; one the list lacks is said in English.
ACTIONS = {
    "take a card payment": lazy_gettext("take a card payment"),
    "read a payment": lazy_gettext("read a payment"),
    "confirm a payment": lazy_gettext("confirm a payment"),
    "read a charge": lazy_gettext("read a charge"),
    "refund a payment": lazy_gettext("refund a payment"),
    "read a refund's balance transaction": lazy_gettext("read a refund's balance transaction"),
    "list a payment's refunds": lazy_gettext("list a payment's refunds"),
    "list payments": lazy_gettext("list payments"),
    "open a member's payout account": lazy_gettext("open a member's payout account"),
    "make a payout account's onboarding link": lazy_gettext(
        "make a payout account's onboarding link"
    ),
    "read a payout account": lazy_gettext("read a payout account"),
    "transfer money to a member": lazy_gettext("transfer money to a member"),
    "read a transfer": lazy_gettext("read a transfer"),
    "list transfers to a member": lazy_gettext("list transfers to a member"),
    "list the payouts to the co-op's bank": lazy_gettext("list the payouts to the co-op's bank"),
    "reverse a transfer": lazy_gettext("reverse a transfer"),
}


def tell_admins(problem: PaymentSetupError, action: str) -> bool:
    """Email every admin what Stripe said and the setting likely at fault, unless they were
    told about that setting within the hour; True when the emails were queued."""
    setting = problem.likely_setting.split()[0]
    if not limiter.limiter.hit(ALERT_EVERY, "payment-setup-alert", setting):
        return False
    admins = db.session.execute(sa.select(User).where(User.is_admin.is_(True))).scalars().all()
    if not admins:
        log.critical("No admin to tell about the payment setup problem: %s", problem)
        return False
    # The caller's transaction rolls back (nothing was charged, nothing is recorded) and would
    # take emails queued in it along. These go on a session of their own: its commit touches
    # no table and only sends the queued tasks.
    side = Session(bind=db.engine)
    try:
        for admin in admins:
            with force_locale(admin.locale or DEFAULT_LANGUAGE):
                queue_email(
                    side,
                    admin.email,
                    str(SUBJECT),
                    "payment_setup_problem",
                    user=admin,
                    problem=problem,
                    action=str(ACTIONS.get(action, action)),
                )
        side.commit()
        run_inline_tasks(side)
    finally:
        side.close()
    return True
