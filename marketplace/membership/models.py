"""Membership: the classes of member, the members, and applications to join."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from marketplace.accounts.models import MEMBER_ATTRIBUTE, User
from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db

APPLICATION_STATUSES = ("pending", "approved", "rejected", "withdrawn")
MEMBER_STATUSES = ("active", "suspended", "resigned", "expelled")
# A member who left: their sales up to ``left_on`` stay patronage (membership.leaving).
LEFT_STATUSES = ("resigned", "expelled")


class MemberClass(db.Model):  # type: ignore[name-defined]
    """A class of member (founders, staff, artists…). Data, so a co-op can define its own."""

    __tablename__ = "member_classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # The class's share of a dividend pool and how it is shared (marketplace.dividends.core):
    # 0 leaves the class out of dividend runs.
    dividend_share_bps: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=0, server_default="0"
    )
    dividend_basis: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default="equal", server_default="equal"
    )
    # Seats on the board this class elects among its members (marketplace.governance).
    board_seats: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=0, server_default="0"
    )


class Member(db.Model):  # type: ignore[name-defined]
    """A person who owns part of the co-op, with their public profile."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True, nullable=False)
    member_number: Mapped[int] = mapped_column(sa.Integer, unique=True, nullable=False)
    member_class_id: Mapped[int] = mapped_column(sa.ForeignKey("member_classes.id"), nullable=False)
    joined_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="active")
    bio: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    location: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    portfolio_url: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # Leaving (migration 0030): the day, resigned or expelled, why, and the board's decision
    # (who recorded it is in the audit log).
    left_on: Mapped[date | None] = mapped_column(sa.Date)
    leaving_kind: Mapped[str | None] = mapped_column(sa.String(16))
    leaving_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    board_decision_ref: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")

    # Declared on this side only, with ``User.member`` as its backref, so that accounts/models.py
    # need not import this module: read that side typed with membership_of(user).
    user: Mapped[User] = relationship(
        User,
        backref=backref(MEMBER_ATTRIBUTE, uselist=False, lazy="joined"),
        lazy="joined",
    )
    member_class: Mapped[MemberClass] = relationship(MemberClass, lazy="joined")

    __table_args__ = (sa.CheckConstraint(f"status IN {MEMBER_STATUSES}", name="status_known"),)

    @property
    def display_name(self) -> str:
        return self.user.display_name


def membership_of(user: User) -> Member | None:
    """``user``'s membership (whatever its status), None for someone who never joined.

    The typed reading of the ``User.member`` backref that ``Member.user`` declares: loaded with
    the user, so it costs no query of its own.
    """
    member: Member | None = getattr(user, MEMBER_ATTRIBUTE)
    return member


class MembershipApplication(db.Model):  # type: ignore[name-defined]
    """A buyer's request to join as a member, and the admin's decision on it."""

    __tablename__ = "membership_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False, index=True)
    statement: Mapped[str] = mapped_column(sa.Text, nullable=False)
    portfolio_url: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="pending")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decision_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    member_class_id: Mapped[int | None] = mapped_column(sa.ForeignKey("member_classes.id"))
    # The applicant's consent to take patronage allocations as income (IRC §1388(c)), with the
    # member agreement's version they read (membership.consent; migration 0028).
    patronage_consent_version: Mapped[str | None] = mapped_column(sa.String(32))
    patronage_consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    applicant: Mapped[User] = relationship(User, foreign_keys=[user_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(User, foreign_keys=[decided_by_id])
    member_class: Mapped[MemberClass | None] = relationship(MemberClass)
    samples: Mapped[list[ApplicationSample]] = relationship(
        "ApplicationSample",
        back_populates="application",
        order_by="ApplicationSample.id",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        sa.CheckConstraint(f"status IN {APPLICATION_STATUSES}", name="status_known"),
        # The database itself allows one open application per person.
        sa.Index(
            "uq_membership_applications_one_pending",
            "user_id",
            unique=True,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        ),
    )


class ApplicationSample(db.Model):  # type: ignore[name-defined]
    """A sample image sent with an application, kept byte-identical in storage."""

    __tablename__ = "application_samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("membership_applications.id"), nullable=False, index=True
    )
    storage_key: Mapped[str] = mapped_column(sa.String(255), unique=True, nullable=False)
    original_filename: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    content_type: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # Filled in by the media pipeline, as for assets: "processing", then "ready" or "failed".
    processing_status: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default="processing"
    )
    failure_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    width: Mapped[int | None] = mapped_column(sa.Integer)
    height: Mapped[int | None] = mapped_column(sa.Integer)
    thumbnail_key: Mapped[str | None] = mapped_column(sa.String(255))
    preview_key: Mapped[str | None] = mapped_column(sa.String(255))

    application: Mapped[MembershipApplication] = relationship(
        MembershipApplication, back_populates="samples"
    )
