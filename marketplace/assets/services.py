"""Assets after upload: what members edit, what curators decide, and who may see what."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext, lazy_gettext
from flask_sqlalchemy.pagination import Pagination

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.assets.text import clean_keywords, clean_text
from marketplace.assets.words import status_phrase
from marketplace.audit import services as audit
from marketplace.catalogue.languages import work_language
from marketplace.database import unit_of_work, utcnow
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.mail import queue_email
from marketplace.membership.models import Member, membership_of


def can_see(viewer: User | None, asset: Asset) -> bool:
    """Published work is public; anything else only to its member and admins."""
    if asset.for_sale:
        return True
    if viewer is None or not viewer.is_authenticated:
        return False
    return bool(viewer.is_admin) or asset.member.user_id == viewer.id


def get_visible(viewer: User | None, asset_id: int) -> Asset:
    """The asset if the viewer may know of it; NotFound otherwise (never a hint it exists)."""
    asset = db.session.get(Asset, asset_id)
    if asset is None or not can_see(viewer, asset):
        raise NotFound(gettext("No such asset."))
    return asset


def get_visible_row(viewer: User | None, asset_id: int, statement: sa.Select[Any]) -> sa.Row[Any]:
    """As ``get_visible``, for a page that reads more with the asset in one statement:
    ``statement`` selects the asset first (by the bind parameter ``asset_id``, with its
    loader options), then any columns; its row, the asset's collections loaded whole."""
    rows = db.session.execute(statement, {"asset_id": asset_id}).unique(_by_asset).all()
    if not rows or not can_see(viewer, rows[0][0]):
        raise NotFound(gettext("No such asset."))
    return rows[0]


def _by_asset(row: sa.Row[Any]) -> Any:
    # One row per joined release; the other columns (lists among them) are the asset's.
    return row[0]


def get_own(user: User, asset_id: int) -> Asset:
    asset = db.session.get(Asset, asset_id)
    if asset is None or asset.member.user_id != user.id:
        raise NotFound(gettext("No such asset."))
    return asset


def update_details(
    user: User,
    asset_id: int,
    *,
    title: str | None = None,
    description: str | None = None,
    keywords: str | list[str] | None = None,
    has_people: bool | None = None,
    has_property: bool | None = None,
    language: str | None = None,
) -> Asset:
    """The member edits what buyers read; fields left as None stay as they are."""
    asset = get_own(user, asset_id)
    with unit_of_work():
        if language is not None:
            asset.language = work_language(language)
        if title is not None:
            cleaned = clean_text(title, "title", 200)
            if not cleaned:
                raise InvalidInput(
                    gettext("Give the asset a title."), fields={"title": gettext("Required.")}
                )
            asset.title, asset.title_from_filename = cleaned, False
        if description is not None:
            asset.description = clean_text(description, "description", 5000)
        if keywords is not None:
            asset.keywords = clean_keywords(keywords)
        if has_people is not None:
            asset.has_people = has_people
        if has_property is not None:
            asset.has_property = has_property
    return asset


def withdraw(user: User, asset_id: int) -> Asset:
    """Take an asset off sale. Licences already sold stay valid (they do not read this flag)."""
    asset = get_own(user, asset_id)
    with unit_of_work():
        if asset.withdrawn_at is None:
            asset.withdrawn_at = utcnow()
    return asset


def restore(user: User, asset_id: int) -> Asset:
    asset = get_own(user, asset_id)
    with unit_of_work():
        asset.withdrawn_at = None
    return asset


def review(admin: User, asset_id: int, decision: str, reason: str = "") -> Asset:
    """A curator publishes or rejects an asset waiting for review; the member is told."""
    if decision not in ("approve", "reject"):
        raise InvalidInput(
            gettext('decision must be "approve" or "reject".'),
            fields={"decision": gettext("Invalid.")},
        )
    reason = reason.strip()
    if decision == "reject" and not reason:
        raise InvalidInput(
            gettext("Tell the member why it was rejected."),
            fields={"reason": gettext("Required.")},
        )
    with unit_of_work() as session:
        asset = session.execute(
            sa.select(Asset).where(Asset.id == asset_id).with_for_update(of=Asset)
        ).scalar_one_or_none()
        if asset is None:
            raise NotFound(gettext("No such asset."))
        if asset.status != "pending_review":
            raise Conflict(
                gettext(
                    "This asset is %(status)s, not waiting for review.",
                    status=status_phrase(asset.status),
                )
            )
        before = {"status": asset.status}
        asset.status = "published" if decision == "approve" else "rejected"
        asset.rejection_reason = reason if decision == "reject" else ""
        asset.reviewed_by_id = admin.id
        asset.reviewed_at = utcnow()
        if decision == "approve":
            asset.published_at = asset.reviewed_at
        audit.record(
            session,
            admin,
            f"assets.{asset.status}",
            "asset",
            asset.id,
            f"{asset.status.capitalize()} “{asset.title}” by {asset.member.display_name}",
            before,
            {"status": asset.status, "reason": reason},
        )
        user = asset.member.user
        # Lazy: queue_email writes the subject in the member's language, as the body.
        if decision == "approve":
            subject = lazy_gettext("“%(title)s” is published", title=asset.title)
        else:
            subject = lazy_gettext("“%(title)s” is not accepted", title=asset.title)
        queue_email(
            session,
            user.email,
            subject,
            f"asset_{asset.status}",
            user=user,
            asset=asset,
        )
    return asset


def portfolio(member: Member, page: int, per_page: int, status: str | None = None) -> Pagination:
    query = sa.select(Asset).where(Asset.member_id == member.id).order_by(Asset.created_at.desc())
    if status:
        query = query.where(Asset.status == status)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def review_queue(page: int, per_page: int, member_number: int | None = None) -> Pagination:
    """Work its members have sent for review (never drafts), longest waiting first."""
    query = (
        sa.select(Asset)
        .where(Asset.status == "pending_review")
        .order_by(Asset.submitted_at, Asset.id)
    )
    if member_number is not None:
        query = query.join(Asset.member).where(Member.member_number == member_number)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def statuses_of(user: User, asset_ids: list[int]) -> list[Asset]:
    """The member's own assets among ``asset_ids`` (for the live status on the upload page)."""
    member = membership_of(user)
    if not asset_ids or member is None:
        return []
    return list(
        db.session.execute(
            sa.select(Asset).where(Asset.id.in_(asset_ids[:200]), Asset.member_id == member.id)
        ).scalars()
    )
