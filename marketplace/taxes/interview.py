"""The tax interview: a member gives a W-9 (a US citizen or resident) or a W-8BEN (anyone else).

A W-9 holds the legal name, the TIN's type (SSN or EIN) and the TIN, checked with
python-stdnum (format and the IRS's rules for area, group and prefix numbers: a "valid TIN"
here is one of a valid format; an admin may add that the IRS TIN matching program confirmed it,
``tin_verified``). A W-8BEN holds the legal name, the country of residence, a foreign TIN when
the member has one, a treaty claim (country, article and rate, ``withholding.TREATY_RATES``),
and the member's signature: their typed name, the date and the certification.

Tax ids are encrypted before they are stored (``crypto``) and never logged; the audit entry
says what changed, not to what. Changing the form or the TIN clears the admin's TIN match and
an IRS B notice the admin recorded (``set_b_notice``: backup withholding until then).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext
from sqlalchemy.orm import Session
from stdnum.us import ein, ssn

from marketplace.accounts.models import User
from marketplace.audit.services import record
from marketplace.database import lock_row, unit_of_work, utcnow
from marketplace.errors import InvalidInput, NotFound
from marketplace.taxes import crypto
from marketplace.taxes.models import TaxProfile
from marketplace.taxes.services import member_of, profile_of
from marketplace.taxes.withholding import (
    NONRESIDENT_WITHHOLDING_BPS,
    TREATY_RATES,
    treaty_claim_problem,
)

FORM_TYPES = ("w9", "w8ben")
TIN_TYPES = ("ssn", "ein")
_COUNTRY = re.compile(r"[A-Z]{2}")
_FOREIGN_TIN = re.compile(r"[A-Za-z0-9-]{4,30}")
_ARTICLE = re.compile(r"[A-Za-z0-9().\- ]{1,20}")


@dataclass(frozen=True)
class InterviewInput:
    """What the member typed. ``tax_id`` empty keeps the stored one (same form)."""

    form_type: str
    legal_name: str
    tax_id: str = ""
    tin_type: str = ""
    country: str = ""
    treaty_country: str = ""
    treaty_article: str = ""
    # Whole basis points ("1000" is 10 %); the page sends a percentage (``percent_to_bps``).
    treaty_rate_bps: str = ""
    signed_name: str = ""
    certified: bool = False


@dataclass(frozen=True)
class CleanForm:
    form_type: str
    legal_name: str
    country: str
    tax_id: str
    tin_type: str | None
    treaty_country: str | None
    treaty_article: str | None
    treaty_rate_bps: int | None
    signed_name: str | None


def percent_to_bps(raw: str) -> str:
    """ "10" or "12.5" (a percentage, "," or "." as the decimal mark) as basis points, "1000"
    or "1250"; what is not a percentage with at most two decimals comes back as it was, for
    ``validate`` to refuse."""
    text = raw.strip().replace(",", ".").rstrip("%").strip()
    if not text:
        return ""
    try:
        value = Decimal(text) * 100
    except InvalidOperation:
        return raw
    return str(int(value)) if value == value.to_integral_value() else raw


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _tin_error(tin: str, tin_type: str) -> str | None:
    if tin_type == "ssn" and not ssn.is_valid(tin):
        return gettext("Not a valid SSN or ITIN: nine digits, written AAA-GG-SSSS.")
    if tin_type == "ein" and not ein.is_valid(tin):
        return gettext("Not a valid EIN: nine digits, written XX-XXXXXXX.")
    return None


def _treaty(raw: InterviewInput, country: str, errors: dict[str, str]) -> tuple[str, str, int]:
    treaty_country = raw.treaty_country.strip().upper()
    article = _one_line(raw.treaty_article)
    rate = -1
    if raw.treaty_rate_bps.strip().isdigit():
        rate = int(raw.treaty_rate_bps.strip())
    if not _COUNTRY.fullmatch(treaty_country):
        errors["treaty_country"] = gettext("A two-letter ISO 3166 country code, such as FR.")
    if not _ARTICLE.fullmatch(article):
        errors["treaty_article"] = gettext("The treaty's article, such as 12 or XII.")
    if not 0 <= rate <= NONRESIDENT_WITHHOLDING_BPS:
        errors["treaty_rate_bps"] = gettext(
            "A rate from 0 to 30 percent, at most two decimals, such as 10."
        )
    elif "treaty_country" not in errors:
        problem = treaty_claim_problem(country, treaty_country, rate)
        below = treaty_country == country and treaty_country in TREATY_RATES
        if problem:
            errors["treaty_rate_bps" if below else "treaty_country"] = gettext(problem)
    return treaty_country, article, rate


def validate(raw: InterviewInput, *, tin_required: bool) -> CleanForm:
    """The form cleaned up, or a 422 naming each field that is wrong."""
    errors: dict[str, str] = {}
    if raw.form_type not in FORM_TYPES:
        raise InvalidInput(
            gettext("Choose the W-9 (US persons) or the W-8BEN (everyone else)."),
            fields={"form_type": gettext("w9 or w8ben.")},
        )
    legal_name = _one_line(raw.legal_name)
    if not legal_name or len(legal_name) > 200:
        errors["legal_name"] = gettext(
            "Your legal name, as on your tax documents (up to 200 characters)."
        )
    tax_id = raw.tax_id.strip().replace(" ", "")
    if raw.form_type == "w9":
        tin_type = raw.tin_type.strip().lower()
        if tin_type not in TIN_TYPES:
            errors["tin_type"] = gettext("SSN (or ITIN) for a person, EIN for a business.")
        if not tax_id and tin_required:
            errors["tax_id"] = gettext("Your TIN: the W-9 needs it.")
        elif tax_id and tin_type in TIN_TYPES:
            problem = _tin_error(tax_id, tin_type)
            if problem:
                errors["tax_id"] = problem
        if errors:
            raise InvalidInput(" ".join(errors.values()), fields=errors)
        return CleanForm("w9", legal_name, "US", tax_id, tin_type, None, None, None, None)
    country = raw.country.strip().upper()
    if not _COUNTRY.fullmatch(country):
        errors["country"] = gettext("A two-letter ISO 3166 country code, such as US, CA or FR.")
    elif country == "US":
        errors["country"] = gettext("US citizens and residents give a W-9, not a W-8BEN.")
    if tax_id and not _FOREIGN_TIN.fullmatch(tax_id):
        errors["tax_id"] = gettext("4 to 30 letters, digits or dashes, such as 123-45-6789.")
    claim = bool(raw.treaty_country.strip() or raw.treaty_rate_bps.strip())
    treaty = _treaty(raw, country, errors) if claim else None
    signed_name = _one_line(raw.signed_name)
    if not signed_name or signed_name.casefold() != legal_name.casefold():
        errors["signed_name"] = gettext("Sign by typing your legal name exactly as above.")
    if not raw.certified:
        errors["certified"] = gettext("The W-8BEN is valid only with your certification.")
    if errors:
        raise InvalidInput(" ".join(errors.values()), fields=errors)
    return CleanForm(
        "w8ben",
        legal_name,
        country,
        tax_id,
        None,
        treaty[0] if treaty else None,
        treaty[1] if treaty else None,
        treaty[2] if treaty else None,
        signed_name,
    )


def last4(tax_id: str) -> str:
    return tax_id.replace("-", "")[-4:]


def _apply(profile: TaxProfile, clean: CleanForm, today: date) -> bool:
    """Write ``clean`` on the profile; whether a new tax id was stored."""
    changed_form = profile.form_type != clean.form_type or profile.tin_type != clean.tin_type
    new_id = bool(clean.tax_id)
    if new_id:
        profile.tax_id_encrypted = crypto.encrypt_tax_id(clean.tax_id)
        profile.tax_id_last4 = last4(clean.tax_id)
    elif changed_form and profile.form_type != clean.form_type:
        # A US TIN is no foreign TIN (and the reverse): it is not carried over.
        profile.tax_id_encrypted, profile.tax_id_last4 = "", ""
    if new_id or changed_form:
        profile.tin_verified = False
        # A new TIN is what an IRS B notice asks of the payee: backup withholding ends.
        profile.b_notice_on = None
    profile.form_type, profile.legal_name, profile.country = (
        clean.form_type,
        clean.legal_name,
        clean.country,
    )
    profile.tin_type = clean.tin_type
    profile.treaty_country, profile.treaty_article = clean.treaty_country, clean.treaty_article
    profile.treaty_rate_bps, profile.signed_name = clean.treaty_rate_bps, clean.signed_name
    profile.certified = clean.form_type == "w8ben"
    profile.signed_on = today if clean.form_type == "w8ben" else None
    profile.updated_at = utcnow()
    return new_id


def save_interview(user: User, raw: InterviewInput) -> TaxProfile:
    """Create or update the member's tax form (503 without an encryption key for a tax id)."""
    member = member_of(user)
    with unit_of_work() as session:
        found = profile_of(session, member.id)
        # Two saves at once (two tabs, a retried request) take turns on the row.
        profile = lock_row(session, TaxProfile, found.id) if found is not None else None
        # A W-9 keeps its stored TIN when saved again, unless its type changes.
        keeps_tin = (
            profile is not None
            and profile.is_w9
            and bool(profile.tax_id_encrypted)
            and profile.tin_type in (None, raw.tin_type.strip().lower())
        )
        tin_required = raw.form_type == "w9" and not keeps_tin
        clean = validate(raw, tin_required=tin_required)
        if profile is None:
            profile = TaxProfile(member_id=member.id, tax_id_encrypted="", tax_id_last4="")
            session.add(profile)
        new_id = _apply(profile, clean, utcnow().date())
        session.flush()
        record(
            session,
            user,
            "taxes.profile_saved",
            "tax_profile",
            profile.id,
            f"Tax form {clean.form_type.upper()} saved" + (" with a new tax id" if new_id else ""),
        )
    return profile


def set_tin_verified(admin: User, profile_id: int, verified: bool) -> TaxProfile:
    """An admin records the IRS TIN matching program's answer for a W-9 (audited)."""
    with unit_of_work() as session:
        profile = _locked(session, profile_id)
        if not profile.is_w9 or not profile.tax_id_encrypted:
            raise InvalidInput(
                gettext("Only a W-9 with a TIN can be matched with the IRS."),
                fields={"verified": gettext("No TIN to match.")},
            )
        profile.tin_verified = verified
        record(
            session,
            admin,
            "taxes.tin_verified" if verified else "taxes.tin_unverified",
            "tax_profile",
            profile.id,
            f"TIN of member {profile.member_id} marked "
            + ("matched by the IRS" if verified else "not matched"),
        )
    return profile


def parse_b_notice_date(raw: object) -> date | None:
    """The B notice's date from a form or JSON: an ISO date, or empty / null to clear it."""
    if raw is None or raw == "":
        return None
    try:
        if not isinstance(raw, str):
            raise ValueError(raw)
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            gettext("'%(field)s' is a date such as 2026-03-31, or empty.", field="received_on"),
            fields={"received_on": gettext("Not a date.")},
        ) from None


def set_b_notice(admin: User, profile_id: int, received_on: date | None) -> TaxProfile:
    """An admin records the IRS "B notice" received ``received_on`` for a member's W-9 (its
    name and TIN do not match the IRS's records): the member's payments are backup withheld
    from now on, until they give a new TIN (``_apply`` clears it) or an admin clears it here
    (``None``) once the member's certification (a new W-9, or the SSA's or IRS's validation
    after a second notice) arrived. Audited; a date in the future is refused."""
    with unit_of_work() as session:
        profile = _locked(session, profile_id)
        if not profile.is_w9 or not profile.tax_id_encrypted:
            raise InvalidInput(
                gettext("Only a W-9 with a TIN can have an IRS B notice."),
                fields={"received_on": gettext("No TIN on file.")},
            )
        if received_on is not None and received_on > utcnow().date():
            raise InvalidInput(
                gettext("A B notice is recorded once received: not a date in the future."),
                fields={"received_on": gettext("A date in the future.")},
            )
        profile.b_notice_on = received_on
        record(
            session,
            admin,
            "taxes.b_notice" if received_on else "taxes.b_notice_cleared",
            "tax_profile",
            profile.id,
            f"IRS B notice of {received_on.isoformat()} recorded for member {profile.member_id}"
            if received_on
            else f"IRS B notice of member {profile.member_id} cleared",
        )
    return profile


def _locked(session: Session, profile_id: int) -> TaxProfile:
    profile = lock_row(session, TaxProfile, profile_id)
    if profile is None:
        raise NotFound(gettext("No such tax profile."))
    return profile


def treaty_choices() -> list[tuple[str, str, int]]:
    """(country, article, rate in bps) of each treaty the co-op applies, for the page."""
    return [(code, t.article, t.rate_bps) for code, t in sorted(TREATY_RATES.items())]
