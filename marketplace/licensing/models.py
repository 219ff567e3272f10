"""Licence kinds, their versioned terms, and the licences issued to buyers."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db

LICENCE_STATUSES = ("valid", "refunded", "disputed")
# A licence that stands: valid, or suspended while its payment is disputed. A disputed one
# counts, because winning the dispute makes it valid again (``services.restore``) without
# asking anyone: were a second licence sold meanwhile, the buyer would hold two.
STANDING_STATUSES = ("valid", "disputed")
STANDING = f"status IN {STANDING_STATUSES}"


class LicenceKind(db.Model):  # type: ignore[name-defined]
    """A kind of licence on offer ("standard", "extended"); what it allows lives in its terms."""

    __tablename__ = "licence_kinds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    # The order kinds are shown in, cheapest first.
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)


class LicenceTerms(db.Model):  # type: ignore[name-defined]
    """One version of a kind's terms. Never updated: an edit adds the next version.

    The newest version is the one sold now; a licence keeps the version it was sold under.
    """

    __tablename__ = "licence_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind_id: Mapped[int] = mapped_column(sa.ForeignKey("licence_kinds.id"), nullable=False)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    summary: Mapped[str] = mapped_column(sa.Text, nullable=False)
    permits: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False, default=list)
    full_text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # The contributor's share of the price, in basis points (5000 = 50%).
    royalty_bps: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    # Added to the size's price (marketplace.pricing) for this kind; 0 for standard.
    surcharge_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # None for the versions the migrations wrote.
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    kind: Mapped[LicenceKind] = relationship(LicenceKind, lazy="joined")
    created_by: Mapped[User | None] = relationship(User)

    __table_args__ = (
        sa.UniqueConstraint("kind_id", "version", name="uq_licence_terms_kind_version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("royalty_bps BETWEEN 0 AND 10000", name="royalty_bps_range"),
        sa.CheckConstraint("surcharge_cents >= 0", name="surcharge_not_negative"),
    )


class Licence(db.Model):  # type: ignore[name-defined]
    """A licence issued to a buyer for one asset at one size, under one version of terms."""

    __tablename__ = "licences"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Printed on the certificate; anyone holding it can check the licence at /licences/verify.
    verification_code: Mapped[str] = mapped_column(sa.String(32), nullable=False, unique=True)
    holder_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id"), nullable=False, index=True)
    terms_id: Mapped[int] = mapped_column(sa.ForeignKey("licence_terms.id"), nullable=False)
    # The terms' kind, copied: the unique index of standing licences below needs it in this
    # row (terms are versioned, so two licences of one kind may carry different terms).
    kind_id: Mapped[int] = mapped_column(sa.ForeignKey("licence_kinds.id"), nullable=False)
    size: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    price_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    # No foreign keys: orders live in their own migration, and a licence outlives its cart.
    order_id: Mapped[int] = mapped_column(sa.Integer, nullable=False, index=True)
    # Unique, so that issuing twice for one order item is harmless (NULLs never collide).
    order_item_id: Mapped[int | None] = mapped_column(sa.Integer, unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="valid")
    status_reason: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    download_count: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=0, server_default="0"
    )

    holder: Mapped[User] = relationship(User)
    asset: Mapped[Asset] = relationship(Asset)
    terms: Mapped[LicenceTerms] = relationship(LicenceTerms, lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(f"status IN {LICENCE_STATUSES}", name="status_known"),
        sa.CheckConstraint("price_cents >= 0", name="price_not_negative"),
        sa.CheckConstraint("download_count >= 0", name="download_count_not_negative"),
        # "Does this buyer already hold a licence for this asset?" and the buyer's list.
        sa.Index("ix_licences_holder_asset", "holder_user_id", "asset_id"),
        # One standing licence per buyer, asset, kind and size (migration 0018). The services
        # refuse to sell a licence the buyer holds, even under concurrent payments; this is
        # what makes a race they missed fail instead of selling it twice.
        sa.Index(
            "uq_licences_standing",
            "holder_user_id",
            "asset_id",
            "kind_id",
            "size",
            unique=True,
            sqlite_where=sa.text(STANDING),
            postgresql_where=sa.text(STANDING),
        ),
    )

    @property
    def kind_code(self) -> str:
        return self.terms.kind.code

    @property
    def is_valid(self) -> bool:
        return self.status == "valid"

    @property
    def number(self) -> str:
        """The licence number: printed on the certificate, written into every delivered file."""
        return str(self.id)


RENDITION_STATUSES = ("preparing", "ready", "failed")


class Rendition(db.Model):  # type: ignore[name-defined]
    """The file delivered for one size of an asset, made once by a worker and shared by every
    buyer of that size. It carries the delivery policy's metadata but no licence fields: those
    are written in, per licence, as it is served (``insert_at`` says where)."""

    __tablename__ = "renditions"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id"), nullable=False)
    size: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="preparing")
    key: Mapped[str | None] = mapped_column(sa.String(255))
    mime: Mapped[str | None] = mapped_column(sa.String(64))
    bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    width: Mapped[int | None] = mapped_column(sa.Integer)
    height: Mapped[int | None] = mapped_column(sa.Integer)
    insert_at: Mapped[int | None] = mapped_column(sa.Integer)
    # The photographer's credit as the original states it, for the delivered XMP.
    creator: Mapped[str | None] = mapped_column(sa.String(500))
    copyright: Mapped[str | None] = mapped_column(sa.String(500))
    credit: Mapped[str | None] = mapped_column(sa.String(500))
    failure_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # How far a video's transcode is, 0-100, for the buyer waiting on it; None until it starts.
    progress_pct: Mapped[int | None] = mapped_column(sa.SmallInteger)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    made_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # One rendition per asset and size: the second concurrent request finds the first's.
        sa.UniqueConstraint("asset_id", "size", name="uq_renditions_asset_size"),
        sa.CheckConstraint(f"status IN {RENDITION_STATUSES}", name="status_known"),
        sa.CheckConstraint("progress_pct BETWEEN 0 AND 100", name="progress_pct_range"),
    )
