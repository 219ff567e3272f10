"""Governance records: proposals and their support, votes, ballots, and announcements.

Ballot secrecy is a property of these tables: ``vote_participations`` says who voted and has no
ballot reference; ``ballots`` holds how someone voted and has no voter reference, no timestamp and
a random id, so neither row order nor time links the two. While a vote is open a ballot carries a
keyed hash of (vote, member) so that the member can replace it; the key lives in the app's
configuration, not in the database, and the hash is erased when the vote closes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.membership.models import Member, MemberClass

PROPOSAL_STATUSES = ("draft", "open_for_support", "in_vote", "decided", "withdrawn")
VOTE_KINDS = ("yes_no", "election")
VOTE_STATUSES = ("scheduled", "open", "closed")
MAX_TITLE_CHARS = 200


class Proposal(db.Model):  # type: ignore[name-defined]
    """A member's motion, discussed and supported by others until it goes to a vote."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(sa.String(MAX_TITLE_CHARS), nullable=False)
    body_markdown: Mapped[str] = mapped_column(sa.Text, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[Member] = relationship(Member, lazy="joined")
    vote: Mapped[Vote | None] = relationship("Vote", back_populates="proposal", uselist=False)

    __table_args__ = (
        sa.CheckConstraint(f"status IN {PROPOSAL_STATUSES}", name="status_known"),
        sa.CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
    )


class ProposalSupport(db.Model):  # type: ignore[name-defined]
    """One member's support for a proposal; the primary key makes it once per member."""

    __tablename__ = "proposal_supports"

    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class ProposalComment(db.Model):  # type: ignore[name-defined]
    """A comment in a proposal's discussion."""

    __tablename__ = "proposal_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False, index=True
    )
    author_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    body_markdown: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    author: Mapped[User] = relationship(User, lazy="joined")


class Vote(db.Model):  # type: ignore[name-defined]
    """A yes/no vote on a proposal, or a ranked-choice election of one class's board seats."""

    __tablename__ = "votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(MAX_TITLE_CHARS), nullable=False)
    description_markdown: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    proposal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proposals.id"), unique=True)
    # Elections: the class whose members elect ``seats`` directors among themselves.
    member_class_id: Mapped[int | None] = mapped_column(sa.ForeignKey("member_classes.id"))
    seats: Mapped[int | None] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="scheduled")
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    quorum_pct: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    majority: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="simple")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Frozen at closing: members entitled to vote, ballots cast, and the count (rounds included).
    eligible_count: Mapped[int | None] = mapped_column(sa.Integer)
    turnout: Mapped[int | None] = mapped_column(sa.Integer)
    quorum_reached: Mapped[bool | None] = mapped_column(sa.Boolean)
    result: Mapped[str | None] = mapped_column(sa.String(16))
    outcome: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    proposal: Mapped[Proposal | None] = relationship(Proposal, back_populates="vote")
    member_class: Mapped[MemberClass | None] = relationship(MemberClass)
    candidates: Mapped[list[Candidate]] = relationship(
        "Candidate", order_by="Candidate.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {VOTE_KINDS}", name="kind_known"),
        sa.CheckConstraint(f"status IN {VOTE_STATUSES}", name="status_known"),
        sa.CheckConstraint("quorum_pct BETWEEN 0 AND 100", name="quorum_pct_range"),
        sa.CheckConstraint("majority IN ('simple', 'two_thirds')", name="majority_known"),
        sa.CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        sa.CheckConstraint(
            "(kind = 'election') = (seats IS NOT NULL AND member_class_id IS NOT NULL)",
            name="election_has_seats",
        ),
    )


class Candidate(db.Model):  # type: ignore[name-defined]
    """A member standing in an election."""

    __tablename__ = "vote_candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(
        sa.ForeignKey("votes.id", ondelete="CASCADE"), nullable=False, index=True
    )
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), nullable=False)
    statement: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    member: Mapped[Member] = relationship(Member, lazy="joined")

    __table_args__ = (sa.UniqueConstraint("vote_id", "member_id"),)


class VoteParticipation(db.Model):  # type: ignore[name-defined]
    """That a member voted (never how): one row per member per vote."""

    __tablename__ = "vote_participations"

    vote_id: Mapped[int] = mapped_column(
        sa.ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), primary_key=True)


class Ballot(db.Model):  # type: ignore[name-defined]
    """How someone voted, with nothing that names them (see the module docstring)."""

    __tablename__ = "ballots"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    vote_id: Mapped[int] = mapped_column(
        sa.ForeignKey("votes.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # HMAC of (vote, member) under the ballot key from configuration; NULL once the vote closes.
    replace_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    choice: Mapped[str | None] = mapped_column(sa.String(16))
    ranking: Mapped[list[int] | None] = mapped_column(sa.JSON(none_as_null=True))

    __table_args__ = (
        sa.CheckConstraint("(choice IS NULL) <> (ranking IS NULL)", name="choice_or_ranking"),
    )


class Announcement(db.Model):  # type: ignore[name-defined]
    """A message from the admins to every member, shown on a page and sent by email."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(MAX_TITLE_CHARS), nullable=False)
    body_markdown: Mapped[str] = mapped_column(sa.Text, nullable=False)
    author_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    emailed_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)

    author: Mapped[User] = relationship(User, lazy="joined")
