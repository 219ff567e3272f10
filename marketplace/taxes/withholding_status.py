"""The rate withheld from a member's payment, read from their tax form on file.

Payouts and dividends call ``decide`` before the first transfer of a payment, in a short
transaction of its own committed before Stripe is called, and keep its answer on the payment's
row: every retry, even after a worker died between Stripe's answer and the commit, withholds
the same cents and sends the same transfer.
The rules are ``taxes.withholding``'s; the configured rates are the settings
``MARKETPLACE_BACKUP_WITHHOLDING_BPS`` and ``MARKETPLACE_NONRESIDENT_WITHHOLDING_BPS``, and
``MARKETPLACE_WITHHOLDING`` (on by default; off in the test profile, whose tests turn it on
where they test it) turns withholding off for a co-op that pays no US-taxable income.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session
from stdnum.us import ein, ssn

from marketplace.database import utcnow
from marketplace.taxes import crypto
from marketplace.taxes.models import TaxProfile
from marketplace.taxes.withholding import FormOnFile, Rates, Withholding, rate_for


def today() -> date:
    return utcnow().date()


def enabled() -> bool:
    return bool(current_app.config.get("WITHHOLDING_ENABLED", True))


def configured_rates() -> Rates:
    return Rates(
        backup_bps=int(current_app.config["BACKUP_WITHHOLDING_BPS"]),
        nonresident_bps=int(current_app.config["NONRESIDENT_WITHHOLDING_BPS"]),
    )


def tin_is_valid(tin: str, tin_type: str | None) -> bool:
    """A US TIN of the right format and check rules (python-stdnum): an SSN (or ITIN-shaped
    number) for ``ssn``, an EIN with a known prefix for ``ein``, either when not said."""
    if tin_type == "ssn":
        return bool(ssn.is_valid(tin))
    if tin_type == "ein":
        return bool(ein.is_valid(tin))
    return bool(ssn.is_valid(tin) or ein.is_valid(tin))


def tin_valid(profile: TaxProfile) -> bool:
    """Whether a W-9's stored TIN is valid (decrypted here; a token no key reads is not)."""
    if not profile.is_w9 or not profile.tax_id_encrypted:
        return False
    try:
        return tin_is_valid(crypto.decrypt_tax_id(profile.tax_id_encrypted), profile.tin_type)
    except crypto.TaxIdUnreadable:
        return False


def form_on_file(profile: TaxProfile | None) -> FormOnFile | None:
    if profile is None:
        return None
    if profile.is_w9:
        return FormOnFile(
            "w9",
            profile.country,
            tin_valid=tin_valid(profile),
            b_notice=profile.b_notice_on is not None,
        )
    return FormOnFile(
        "w8ben",
        profile.country,
        signed_on=profile.signed_on,
        certified=profile.certified and bool(profile.signed_name),
        treaty_country=profile.treaty_country,
        treaty_rate_bps=profile.treaty_rate_bps,
    )


def withholding_of(profile: TaxProfile | None, today: date) -> Withholding:
    """What the rules withhold from a payment to the member of ``profile`` made ``today``
    (whether withholding is on or not: pages say what would apply)."""
    return rate_for(form_on_file(profile), today, configured_rates())


def decide(session: Session, member_id: int, today: date) -> Withholding:
    """The rate to withhold from a payment to the member made ``today``: 0 when withholding is
    off, else the rules' answer for the form on file."""
    if not enabled():
        return Withholding(0, "valid_tin")
    profile = session.execute(
        sa.select(TaxProfile).where(TaxProfile.member_id == member_id)
    ).scalar_one_or_none()
    return withholding_of(profile, today)
