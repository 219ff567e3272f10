"""Drafts: what a member describes (alone or many at once) before sending work to the curators.

A processed upload is a ``draft``; only its member sends it for review, and only once it says
what buyers need to find it (a title of its own and keywords). A rejected work can be mended
and sent again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.assets.text import clean_keywords, clean_text
from marketplace.assets.words import status_phrase
from marketplace.database import unit_of_work, utcnow
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.membership.models import membership_of

MIN_KEYWORDS = 3
SUBMITTABLE = ("draft", "rejected")


def missing_for_review(asset: Asset) -> dict[str, str]:
    """What the asset lacks before curators can judge it: field name -> what to do.

    Empty when it may be sent. A title made from the file's name counts as no title.
    """
    missing: dict[str, str] = {}
    if not asset.title.strip() or asset.title_from_filename:
        missing["title"] = gettext("Give it a title of its own (not its file name).")
    if len(asset.keywords) < MIN_KEYWORDS:
        missing["keywords"] = gettext(
            "Add at least %(needed)s keywords (it has %(have)s).",
            needed=MIN_KEYWORDS,
            have=len(asset.keywords),
        )
    return missing


def filename_title(filename: str) -> str:
    """The title an upload gets from its file name when the member gives none."""
    return Path(filename).stem.replace("_", " ")[:200]


def _own(session: sa.orm.Session, user: User, asset_ids: list[int]) -> list[Asset]:
    """The member's own assets among ``asset_ids``, locked, in the order asked."""
    member = membership_of(user)
    if member is None:
        raise NotFound(gettext("No such asset."))
    rows = session.execute(
        sa.select(Asset)
        .where(Asset.id.in_(asset_ids), Asset.member_id == member.id)
        .with_for_update(of=Asset)
    ).scalars()
    by_id = {asset.id: asset for asset in rows}
    return [by_id[i] for i in dict.fromkeys(asset_ids) if i in by_id]


def submit(user: User, asset_id: int) -> Asset:
    """Send one of the member's drafts (or rejected works) to the curators: ``pending_review``.

    Raises InvalidInput (422) naming each missing field, Conflict (409) when the work is not a
    draft, NotFound when it is not the member's. Sending twice is refused, not repeated.
    """
    with unit_of_work() as session:
        found = _own(session, user, [asset_id])
        if not found:
            raise NotFound(gettext("No such asset."))
        asset = found[0]
        if asset.status not in SUBMITTABLE:
            raise Conflict(
                gettext(
                    "“%(title)s” is %(status)s; only drafts and rejected work can be sent for "
                    "review.",
                    title=asset.title,
                    status=status_phrase(asset.status),
                ),
                code="not_a_draft",
            )
        missing = missing_for_review(asset)
        if missing:
            raise InvalidInput(
                gettext(
                    "“%(title)s” needs more before review: %(missing)s",
                    title=asset.title,
                    missing=" ".join(missing.values()),
                ),
                code="incomplete_draft",
                fields=missing,
            )
        asset.status = "pending_review"
        asset.submitted_at = utcnow()
    return asset


@dataclass
class SubmitOutcome:
    """What happened to each work of a selection sent for review."""

    sent: list[Asset] = field(default_factory=list)
    # (asset, sentence saying what it still needs)
    held: list[tuple[Asset, str]] = field(default_factory=list)


def submit_many(user: User, asset_ids: list[int]) -> SubmitOutcome:
    """Send every complete draft of the selection; the others stay drafts, each with the reason.

    One transaction: the complete ones are all sent or (on an error) none is.
    """
    outcome = SubmitOutcome()
    with unit_of_work() as session:
        for asset in _own(session, user, asset_ids):
            if asset.status not in SUBMITTABLE:
                continue
            missing = missing_for_review(asset)
            if missing:
                outcome.held.append((asset, " ".join(missing.values())))
                continue
            asset.status = "pending_review"
            asset.submitted_at = utcnow()
            outcome.sent.append(asset)
    return outcome


@dataclass(frozen=True)
class BulkChange:
    """What to apply to every work of a selection; None leaves that field as it is."""

    title: str | None = None
    description: str | None = None
    add_keywords: list[str] = field(default_factory=list)
    has_people: bool | None = None
    has_property: bool | None = None


def apply_to_many(user: User, asset_ids: list[int], change: BulkChange) -> list[Asset]:
    """Apply ``change`` to each of the member's assets in ``asset_ids`` (keywords are added
    after the work's own, without repeats); returns the works changed, in one transaction."""
    title = clean_text(change.title, "title", 200) if change.title is not None else None
    description = (
        clean_text(change.description, "description", 5000)
        if change.description is not None
        else None
    )
    if change.title is not None and not title:
        raise InvalidInput(
            gettext("Type the title to apply."), fields={"title": gettext("Required.")}
        )
    added = clean_keywords(change.add_keywords)
    if (title, description, change.has_people, change.has_property) == (None,) * 4 and not added:
        raise InvalidInput(
            gettext("Choose something to apply: a title, keywords, a description or a flag.")
        )
    with unit_of_work() as session:
        assets = _own(session, user, asset_ids)
        if not assets:
            raise InvalidInput(
                gettext("Select the works to change."), fields={"asset_ids": gettext("Required.")}
            )
        for asset in assets:
            if title is not None:
                asset.title, asset.title_from_filename = title, False
            if description is not None:
                asset.description = description
            if added:
                asset.keywords = clean_keywords([*asset.keywords, *added])
            if change.has_people is not None:
                asset.has_people = change.has_people
            if change.has_property is not None:
                asset.has_property = change.has_property
    return assets


def drafts_of(user: User) -> list[Asset]:
    """The member's drafts and rejected works (what the describe page lists), oldest first."""
    member = membership_of(user)
    if member is None:
        return []
    return list(
        db.session.execute(
            sa.select(Asset)
            .where(Asset.member_id == member.id, Asset.status.in_(SUBMITTABLE))
            .order_by(Asset.created_at, Asset.id)
        ).scalars()
    )
