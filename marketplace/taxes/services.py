"""Tax profiles and yearly tax summaries.

A summary's figures come from the books: royalties paid are the member's royalty payouts in
the ledger (Dr royalties payable 2100 by entries of kind ``royalty_payout`` posted in the
year, less payouts reversed at Stripe that year); patronage dividends are ``core.form_1099_patr``
over the member's allocations whose cash was paid in the year (``qualification.tax_year_of``:
cash plus the qualified notices of the retained part, as box 1 of Form 1099-PATR counts them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.dividends import core as dividends_core
from marketplace.dividends.models import DividendAllocation, DividendRun
from marketplace.dividends.qualification import member_dividends
from marketplace.dividends.services import FINISHED
from marketplace.errors import Forbidden, InvalidInput
from marketplace.extensions import db
from marketplace.ledger import kinds
from marketplace.ledger.core import ROYALTIES_PAYABLE
from marketplace.ledger.entries import WITHHOLDING_PAYABLE
from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount
from marketplace.ledger.reports import csv_text
from marketplace.membership import leaving
from marketplace.membership.models import Member, membership_of
from marketplace.taxes import crypto
from marketplace.taxes.models import TaxProfile, mask
from marketplace.whole_numbers import parse_whole_number

KIND_ROYALTY_PAYOUT = kinds.ROYALTY_PAYOUT
KIND_ROYALTY_PAYOUT_REVERSAL = kinds.ROYALTY_PAYOUT_REVERSAL


def member_of(user: User) -> Member:
    # A member who left keeps their tax pages (their forms for the years they were paid).
    member = membership_of(user)
    if member is None or not leaving.has_been_member(user):
        raise Forbidden(gettext("Only members have a tax profile."), code="member_required")
    return member


def profile_of(session: Session, member_id: int) -> TaxProfile | None:
    return session.execute(
        sa.select(TaxProfile).where(TaxProfile.member_id == member_id)
    ).scalar_one_or_none()


def profiles_by_member(session: Session, member_ids: list[int]) -> dict[int, TaxProfile]:
    if not member_ids:
        return {}
    query = sa.select(TaxProfile).where(TaxProfile.member_id.in_(member_ids))
    return {p.member_id: p for p in session.execute(query).scalars()}


def tax_id_of(profile: TaxProfile) -> str:
    """The tax id in clear, for filing forms; never for a page."""
    return crypto.decrypt_tax_id(profile.tax_id_encrypted)


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def parse_year(raw: str | None) -> int:
    if raw in (None, ""):
        return date.today().year - 1
    year = parse_whole_number(raw, 1900, 9999)
    if year is None:
        raise InvalidInput(
            gettext("'year' must be a year like 2025."), fields={"year": gettext("Not a year.")}
        )
    return year


def royalties_paid(
    session: Session, year: int, currency: str, member_id: int | None = None
) -> dict[int, int]:
    """Royalties paid out per member in the year, from the ledger (payouts less reversals)."""
    start, end = _year_bounds(year)
    signed = sa.case(
        (
            sa.and_(JournalEntry.kind == KIND_ROYALTY_PAYOUT, JournalLine.side == "debit"),
            JournalLine.amount_cents,
        ),
        (
            sa.and_(
                JournalEntry.kind == KIND_ROYALTY_PAYOUT_REVERSAL, JournalLine.side == "credit"
            ),
            -JournalLine.amount_cents,
        ),
        else_=0,
    )
    query = (
        sa.select(LedgerAccount.member_id, sa.func.coalesce(sa.func.sum(signed), 0))
        .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(
            LedgerAccount.code == ROYALTIES_PAYABLE,
            LedgerAccount.member_id.is_not(None),
            JournalEntry.kind.in_((KIND_ROYALTY_PAYOUT, KIND_ROYALTY_PAYOUT_REVERSAL)),
            JournalLine.currency == currency,
            JournalEntry.posted_at >= start,
            JournalEntry.posted_at < end,
        )
        .group_by(LedgerAccount.member_id)
    )
    if member_id is not None:
        query = query.where(LedgerAccount.member_id == member_id)
    return {int(m): int(cents) for m, cents in session.execute(query) if int(cents)}


def withheld(
    session: Session, year: int, currency: str, member_id: int | None = None
) -> dict[int, tuple[int, int]]:
    """Federal income tax withheld per member in the year, from the ledger: (from royalties,
    from patronage dividends). Royalties: withholding payable[member] (2500) credited by royalty
    payouts less what reversed payouts gave back; dividends: credited by dividend payments."""
    start, end = _year_bounds(year)
    credit_of = sa.case((JournalLine.side == "credit", JournalLine.amount_cents), else_=0)
    signed = sa.case(
        (JournalLine.side == "credit", JournalLine.amount_cents), else_=-JournalLine.amount_cents
    )
    royalty_kinds = (KIND_ROYALTY_PAYOUT, KIND_ROYALTY_PAYOUT_REVERSAL)
    query = (
        sa.select(
            LedgerAccount.member_id,
            sa.func.coalesce(
                sa.func.sum(sa.case((JournalEntry.kind.in_(royalty_kinds), signed), else_=0)), 0
            ),
            sa.func.coalesce(
                sa.func.sum(
                    sa.case((JournalEntry.kind == kinds.DIVIDEND_PAYMENT, credit_of), else_=0)
                ),
                0,
            ),
        )
        .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(
            LedgerAccount.code == WITHHOLDING_PAYABLE,
            LedgerAccount.member_id.is_not(None),
            JournalEntry.kind.in_((*royalty_kinds, kinds.DIVIDEND_PAYMENT)),
            JournalLine.currency == currency,
            JournalEntry.posted_at >= start,
            JournalEntry.posted_at < end,
        )
        .group_by(LedgerAccount.member_id)
    )
    if member_id is not None:
        query = query.where(LedgerAccount.member_id == member_id)
    return {
        int(m): (int(royalties), int(dividends))
        for m, royalties, dividends in session.execute(query)
        if int(royalties) or int(dividends)
    }


def patronage_dividends(
    session: Session, year: int, currency: str, member_id: int | None = None
) -> dict[int, dividends_core.Form1099PatrFigures]:
    """Each member's 1099-PATR figures for the year: cash paid in the year (held cash paid
    later, by other means or by Stripe, counts in the year it went out), and allocations of
    runs that finished paying in the year whose cash is not paid (shown as held)."""
    start, end = _year_bounds(year)
    cash_paid = DividendAllocation.status == "paid"
    went_out = sa.func.coalesce(DividendAllocation.settled_at, DividendRun.paid_at)
    query = (
        sa.select(DividendAllocation)
        .join(DividendRun, DividendRun.id == DividendAllocation.run_id)
        .where(
            DividendRun.status.in_(FINISHED),
            DividendRun.currency == currency,
            sa.or_(
                sa.and_(cash_paid, went_out >= start, went_out < end),
                sa.and_(~cash_paid, DividendRun.paid_at >= start, DividendRun.paid_at < end),
            ),
        )
    )
    if member_id is not None:
        query = query.where(DividendAllocation.member_id == member_id)
    # Patronage dividends only, cash when paid, retained parts when their notice is qualified.
    paid = member_dividends(session, list(session.execute(query).scalars()))
    return {
        m: dividends_core.form_1099_patr(m, year, paid) for m in sorted({d.member_id for d in paid})
    }


@dataclass(frozen=True)
class TaxSummary:
    member_id: int
    member_number: int
    display_name: str
    year: int
    currency: str
    royalties_paid_cents: int
    cash_cents: int
    retained_cents: int
    legal_name: str | None
    country: str | None
    masked_tax_id: str | None
    form_type: str | None = None
    royalties_withheld_cents: int = 0
    dividends_withheld_cents: int = 0

    @property
    def withheld_cents(self) -> int:
        """Federal income tax withheld in the year (box 4 of the 1099s, 7a of the 1042-S)."""
        return self.royalties_withheld_cents + self.dividends_withheld_cents

    @property
    def foreign(self) -> bool:
        return self.form_type == "w8ben"

    @property
    def royalties_form(self) -> str:
        """The information return for the royalties: 1042-S for a foreign person, else
        1099-MISC (box 2, royalties)."""
        return "1042-S" if self.foreign else "1099-MISC"

    @property
    def dividends_form(self) -> str:
        return "1042-S" if self.foreign else "1099-PATR"

    @property
    def patronage_dividends_cents(self) -> int:
        return self.cash_cents + self.retained_cents

    @property
    def needs_1099_patr(self) -> bool:
        return dividends_core.needs_1099_patr(max(self.patronage_dividends_cents, 0))

    @property
    def profile_missing(self) -> bool:
        return self.masked_tax_id is None

    def as_json(self) -> dict[str, object]:
        return {
            "year": self.year,
            "currency": self.currency,
            "royalties_paid_cents": self.royalties_paid_cents,
            "patronage_dividends_cents": self.patronage_dividends_cents,
            "cash_cents": self.cash_cents,
            "retained_cents": self.retained_cents,
            "needs_1099_patr": self.needs_1099_patr,
            "form_type": self.form_type,
            "royalties_form": self.royalties_form,
            "dividends_form": self.dividends_form,
            "royalties_withheld_cents": self.royalties_withheld_cents,
            "dividends_withheld_cents": self.dividends_withheld_cents,
            "federal_tax_withheld_cents": self.withheld_cents,
        }


def summaries(session: Session, year: int, member_id: int | None = None) -> list[TaxSummary]:
    """Every member with royalties or patronage dividends paid in the year (or just one,
    even with nothing), by member number."""
    currency = current_app.config["CURRENCY"]
    royalties = royalties_paid(session, year, currency, member_id)
    patronage = patronage_dividends(session, year, currency, member_id)
    taxes_withheld = withheld(session, year, currency, member_id)
    ids = set(royalties) | set(patronage) | set(taxes_withheld)
    if member_id is not None:
        ids = {member_id}
    if not ids:
        return []
    members = session.execute(sa.select(Member).where(Member.id.in_(ids))).scalars().all()
    profiles = {
        p.member_id: p
        for p in session.execute(
            sa.select(TaxProfile).where(TaxProfile.member_id.in_(ids))
        ).scalars()
    }
    result = []
    for member in sorted(members, key=lambda m: m.member_number):
        figures = patronage.get(member.id)
        profile = profiles.get(member.id)
        result.append(
            TaxSummary(
                member_id=member.id,
                member_number=member.member_number,
                display_name=member.user.display_name,
                year=year,
                currency=currency,
                royalties_paid_cents=royalties.get(member.id, 0),
                cash_cents=figures.cash_cents if figures else 0,
                retained_cents=figures.qualified_notice_cents if figures else 0,
                legal_name=profile.legal_name if profile else None,
                country=profile.country if profile else None,
                masked_tax_id=mask(profile.tax_id_last4) if profile else None,
                form_type=profile.form_type if profile else None,
                royalties_withheld_cents=taxes_withheld.get(member.id, (0, 0))[0],
                dividends_withheld_cents=taxes_withheld.get(member.id, (0, 0))[1],
            )
        )
    return result


def summary_for(user: User, year: int) -> TaxSummary:
    member = member_of(user)
    [summary] = summaries(db.session(), year, member.id)
    return summary


def summaries_csv(rows: list[TaxSummary]) -> Iterator[str]:
    """The admin's export: masked tax ids only (cells are guarded against formulas)."""
    header = [
        "member_number",
        "display_name",
        "legal_name",
        "country",
        "tax_id",
        "year",
        "currency",
        "royalties_paid_cents",
        "patronage_dividends_cents",
        "cash_cents",
        "retained_cents",
        "needs_1099_patr",
        "tax_profile_missing",
        "form_type",
        "royalties_form",
        "royalties_withheld_cents",
        "dividends_form",
        "dividends_withheld_cents",
        "federal_tax_withheld_cents",
    ]
    return csv_text(
        header,
        (
            [
                s.member_number,
                s.display_name,
                s.legal_name or "",
                s.country or "",
                s.masked_tax_id or "",
                s.year,
                s.currency,
                s.royalties_paid_cents,
                s.patronage_dividends_cents,
                s.cash_cents,
                s.retained_cents,
                "yes" if s.needs_1099_patr else "no",
                "yes" if s.profile_missing else "no",
                s.form_type or "",
                s.royalties_form,
                s.royalties_withheld_cents,
                s.dividends_form,
                s.dividends_withheld_cents,
                s.withheld_cents,
            ]
            for s in rows
        ),
    )
