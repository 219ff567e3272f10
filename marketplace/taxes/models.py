"""A member's tax profile (migration 0012), a W-9 or a W-8BEN since migration 0036. The tax id
is stored only encrypted."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.membership.models import Member


class TaxProfile(db.Model):  # type: ignore[name-defined]
    """One member's tax form: a W-9 (a US person: legal name, TIN and its type) or a W-8BEN
    (a foreign person: legal name, country of residence, foreign TIN if any, treaty claim,
    signature), for the 1099 and 1042-S forms and the rate withheld from their payments.

    ``tax_id_encrypted`` is a Fernet token (``crypto.encrypt_tax_id``), empty for a W-8BEN
    without a foreign TIN; ``tax_id_last4`` is the only part of the id ever shown.
    """

    __tablename__ = "tax_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), nullable=False, unique=True)
    legal_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    country: Mapped[str] = mapped_column(sa.String(2), nullable=False)
    tax_id_encrypted: Mapped[str] = mapped_column(sa.Text, nullable=False)
    tax_id_last4: Mapped[str] = mapped_column(sa.String(4), nullable=False)
    form_type: Mapped[str] = mapped_column(
        sa.String(8), nullable=False, default="w9", server_default="w9"
    )
    # W-9: "ssn" or "ein" (None on a profile stored before the interview: either is accepted).
    tin_type: Mapped[str | None] = mapped_column(sa.String(3))
    # Set by an admin once the IRS TIN matching program confirmed the name and TIN.
    tin_verified: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )
    # The day an admin recorded the IRS's "B notice" for this W-9 (its name and TIN do not
    # match the IRS's records, migration 0040): backup withholding applies, whatever the TIN's
    # format, until the member gives a new TIN or an admin clears it on a certification.
    b_notice_on: Mapped[date | None] = mapped_column(sa.Date)
    treaty_country: Mapped[str | None] = mapped_column(sa.String(2))
    treaty_article: Mapped[str | None] = mapped_column(sa.String(20))
    treaty_rate_bps: Mapped[int | None] = mapped_column(sa.Integer)
    signed_name: Mapped[str | None] = mapped_column(sa.String(200))
    signed_on: Mapped[date | None] = mapped_column(sa.Date)
    certified: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    member: Mapped[Member] = relationship(Member)

    @property
    def masked_tax_id(self) -> str:
        return mask(self.tax_id_last4)

    @property
    def is_w9(self) -> bool:
        return self.form_type == "w9"


def mask(last4: str) -> str:
    """``•••• 1234``: all that pages, the API and exports ever show of a tax id (nothing
    when there is none, as on a W-8BEN without a foreign TIN)."""
    return f"•••• {last4}" if last4 else ""
