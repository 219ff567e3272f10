"""Assets: members' photos and videos, their derived files, releases and duplicate flags."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from marketplace.accounts.models import User
from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.membership.models import Member


def parse_hex_colour(value: str) -> tuple[int, int, int] | None:
    """(r, g, b) from "#rrggbb" or "rrggbb", or None when it is not one."""
    digits = value.strip().lstrip("#")
    if len(digits) != 6:
        return None
    try:
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)
    except ValueError:
        return None


# A processed upload is a draft until its member sends it to the curators (submitted_at).
ASSET_STATUSES = ("processing", "draft", "pending_review", "published", "rejected", "failed")
ASSET_KINDS = ("photo", "video")
RELEASE_KINDS = ("model", "property")


class Asset(db.Model):  # type: ignore[name-defined]
    """One original, as uploaded, and everything the pipeline learned and made from it."""

    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    status: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default="processing", index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    # The title was made from the file's name (none given): not enough to send for review.
    title_from_filename: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    keywords: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False, default=list)
    # The keywords as one string, for the full-text index (kept in step by ``_keywords_text``).
    keywords_text: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # The language the title, description and keywords are written in (an ISO 639-1 code):
    # search stems them with its rules (migration 0033).
    language: Mapped[str] = mapped_column(
        sa.String(8), nullable=False, default="en", server_default="en"
    )
    has_people: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    has_property: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)

    original_key: Mapped[str] = mapped_column(sa.String(255), unique=True, nullable=False)
    original_filename: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    original_mime: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    original_size_bytes: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    original_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)

    width: Mapped[int | None] = mapped_column(sa.Integer)
    height: Mapped[int | None] = mapped_column(sa.Integer)
    duration_ms: Mapped[int | None] = mapped_column(sa.Integer)
    frame_rate: Mapped[str | None] = mapped_column(sa.String(16))
    codec: Mapped[str | None] = mapped_column(sa.String(32))
    camera: Mapped[str | None] = mapped_column(sa.String(120))
    lens: Mapped[str | None] = mapped_column(sa.String(120))
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    colour_profile: Mapped[str | None] = mapped_column(sa.String(120))
    dominant_colours: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False, default=list)
    # The most dominant colour as numbers, so that search can filter by colour distance in SQL.
    colour_r: Mapped[int | None] = mapped_column(sa.Integer)
    colour_g: Mapped[int | None] = mapped_column(sa.Integer)
    colour_b: Mapped[int | None] = mapped_column(sa.Integer)
    phash: Mapped[str | None] = mapped_column(sa.String(16), index=True)
    suggested: Mapped[dict[str, Any]] = mapped_column(sa.JSON, nullable=False, default=dict)
    # Licences sold for this asset, for the "most licensed" sort (orders keep it up to date).
    times_licensed: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=0, server_default="0"
    )

    thumbnail_key: Mapped[str | None] = mapped_column(sa.String(255))
    preview_key: Mapped[str | None] = mapped_column(sa.String(255))
    poster_key: Mapped[str | None] = mapped_column(sa.String(255))

    failure_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    rejection_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a failed upload's original (and any partial derived files) left storage.
    original_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # Whose work it is, when the co-op shows it by the author's licence (the demo's photographs).
    credit_author: Mapped[str | None] = mapped_column(sa.String(200))
    credit_licence: Mapped[str | None] = mapped_column(sa.String(64))
    credit_url: Mapped[str | None] = mapped_column(sa.String(500))

    member: Mapped[Member] = relationship(Member, lazy="joined")
    reviewed_by: Mapped[User | None] = relationship(User, foreign_keys=[reviewed_by_id])
    releases: Mapped[list[Release]] = relationship(
        "Release", back_populates="asset", order_by="Release.id", cascade="all, delete-orphan"
    )
    duplicate_flags: Mapped[list[DuplicateFlag]] = relationship(
        "DuplicateFlag",
        back_populates="asset",
        foreign_keys="DuplicateFlag.asset_id",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        sa.CheckConstraint(f"status IN {ASSET_STATUSES}", name="status_known"),
        sa.CheckConstraint(f"kind IN {ASSET_KINDS}", name="kind_known"),
        # A member cannot upload the very same file twice.
        sa.UniqueConstraint("member_id", "original_sha256", name="uq_assets_member_original"),
    )

    @validates("keywords")
    def _keywords_text(self, _key: str, keywords: list[str]) -> list[str]:
        self.keywords_text = " ".join(keywords)
        return keywords

    @validates("dominant_colours")
    def _primary_colour(self, _key: str, colours: list[str]) -> list[str]:
        rgb = parse_hex_colour(colours[0]) if colours else None
        self.colour_r, self.colour_g, self.colour_b = rgb if rgb else (None, None, None)
        return colours

    @property
    def needs_model_release(self) -> bool:
        return self.has_people and not any(r.kind == "model" for r in self.releases)

    @property
    def needs_property_release(self) -> bool:
        return self.has_property and not any(r.kind == "property" for r in self.releases)

    @property
    def editorial_only(self) -> bool:
        """Recognisable people or property without a release: editorial use only."""
        return self.needs_model_release or self.needs_property_release

    @property
    def for_sale(self) -> bool:
        return self.status == "published" and self.withdrawn_at is None

    @property
    def orientation(self) -> str | None:
        if not self.width or not self.height:
            return None
        if self.width == self.height:
            return "square"
        return "landscape" if self.width > self.height else "portrait"


class AssetViewDay(db.Model):  # type: ignore[name-defined]
    """How many times a work's page was seen on one UTC day (its owner's own visits not counted)."""

    __tablename__ = "asset_view_days"

    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    views: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)


class Release(db.Model):  # type: ignore[name-defined]
    """A signed model or property release (PDF or image), private to the member and admins."""

    __tablename__ = "asset_releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    storage_key: Mapped[str] = mapped_column(sa.String(255), unique=True, nullable=False)
    filename: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    content_type: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    asset: Mapped[Asset] = relationship(Asset, back_populates="releases")

    __table_args__ = (sa.CheckConstraint(f"kind IN {RELEASE_KINDS}", name="kind_known"),)


class DuplicateFlag(db.Model):  # type: ignore[name-defined]
    """A near-duplicate of an asset already in the catalogue, for the curator to judge."""

    __tablename__ = "asset_duplicate_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id"), nullable=False, index=True)
    similar_asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id"), nullable=False)
    distance: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    asset: Mapped[Asset] = relationship(
        Asset, back_populates="duplicate_flags", foreign_keys=[asset_id]
    )
    similar_asset: Mapped[Asset] = relationship(Asset, foreign_keys=[similar_asset_id])
