"""Lightboxes: a signed-in person's saved collections of assets, shareable by a secret link."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.assets.models import Asset
from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db

MAX_NAME_CHARS = 80


class Lightbox(db.Model):  # type: ignore[name-defined]
    """A named, ordered collection owned by one user; public only through its share token."""

    __tablename__ = "lightboxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(MAX_NAME_CHARS), nullable=False)
    # The secret part of the public link; NULL while the lightbox is private.
    share_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    items: Mapped[list[LightboxItem]] = relationship(
        "LightboxItem",
        back_populates="lightbox",
        order_by="(LightboxItem.position, LightboxItem.id)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (sa.CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),)


class LightboxItem(db.Model):  # type: ignore[name-defined]
    """One asset in a lightbox, at a position (0 first)."""

    __tablename__ = "lightbox_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    lightbox_id: Mapped[int] = mapped_column(
        sa.ForeignKey("lightboxes.id", ondelete="CASCADE"), nullable=False
    )
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    lightbox: Mapped[Lightbox] = relationship(Lightbox, back_populates="items")
    asset: Mapped[Asset] = relationship(Asset, lazy="joined")

    __table_args__ = (
        # An asset is in a lightbox once; this also indexes the items by lightbox.
        sa.UniqueConstraint("lightbox_id", "asset_id", name="uq_lightbox_items_lightbox_asset"),
        sa.CheckConstraint("position >= 0", name="position_not_negative"),
    )
