"""A member's tax profile (migration 0012). The tax id is stored only encrypted."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.membership.models import Member


class TaxProfile(db.Model):  # type: ignore[name-defined]
    """Legal name, country and tax id of one member, for the 1099 forms.

    ``tax_id_encrypted`` is a Fernet token (``crypto.encrypt_tax_id``); ``tax_id_last4`` is
    the only part of the id ever shown.
    """

    __tablename__ = "tax_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), nullable=False, unique=True)
    legal_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    country: Mapped[str] = mapped_column(sa.String(2), nullable=False)
    tax_id_encrypted: Mapped[str] = mapped_column(sa.Text, nullable=False)
    tax_id_last4: Mapped[str] = mapped_column(sa.String(4), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    member: Mapped[Member] = relationship(Member)

    @property
    def masked_tax_id(self) -> str:
        return mask(self.tax_id_last4)


def mask(last4: str) -> str:
    """``•••• 1234``: all that pages, the API and exports ever show of a tax id."""
    return f"•••• {last4}"
