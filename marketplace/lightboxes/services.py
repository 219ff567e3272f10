"""Lightboxes: what their owners may do with them, and what a share link shows to anyone.

A lightbox is private: anyone but its owner gets NotFound, never a hint that it exists. Its
items may include assets that were withdrawn since; the owner sees that they are gone, a share
link shows only what is still for sale.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.database import unit_of_work, utcnow
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.lightboxes.models import MAX_NAME_CHARS, Lightbox, LightboxItem

# Bounds what one page or one reorder request has to carry.
MAX_ITEMS = 500
MAX_LIGHTBOXES = 200


@dataclass(frozen=True)
class Added:
    """The item saved, and whether this call saved it (False: it was there already)."""

    item: LightboxItem
    created: bool


def clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput(
            gettext("Give the lightbox a name."), fields={"name": gettext("Required.")}
        )
    if len(cleaned) > MAX_NAME_CHARS:
        raise InvalidInput(
            gettext("A lightbox name can be at most %(count)s characters.", count=MAX_NAME_CHARS),
            fields={"name": gettext("Too long.")},
        )
    return cleaned


def _owned(session: Session, user: User, lightbox_id: int, *, lock: bool = False) -> Lightbox:
    query = sa.select(Lightbox).where(Lightbox.id == lightbox_id, Lightbox.user_id == user.id)
    if lock:
        # Item changes of one lightbox queue up behind each other (PostgreSQL), so positions
        # and the one-asset-once rule hold under concurrent requests.
        query = query.with_for_update(of=Lightbox)
    lightbox = session.execute(query).scalar_one_or_none()
    if lightbox is None:
        raise NotFound(gettext("No such lightbox."))
    return lightbox


def get_own(user: User, lightbox_id: int) -> Lightbox:
    return _owned(db.session(), user, lightbox_id)


def _own_latest_first(user: User) -> sa.Select[Lightbox]:
    return (
        sa.select(Lightbox)
        .where(Lightbox.user_id == user.id)
        .order_by(Lightbox.updated_at.desc(), Lightbox.id.desc())
    )


def list_own(user: User, page: int, per_page: int) -> Pagination:
    """The user's lightboxes, most recently changed first."""
    return db.paginate(_own_latest_first(user), page=page, per_page=per_page, error_out=False)


def all_own(user: User) -> list[Lightbox]:
    """Every lightbox of the user, last changed first: the picker offers the likeliest first."""
    query = _own_latest_first(user).limit(MAX_LIGHTBOXES)
    return list(db.session.execute(query).scalars())


# Built once and run through Core: the picker is on every asset page a signed-in person views
# (``personal_parts``), where the ORM's per-call work cost more than the query itself.
_PICKER = (
    sa.select(Lightbox.id, Lightbox.name)
    .where(Lightbox.user_id == sa.bindparam("user_id"))
    .order_by(Lightbox.updated_at.desc(), Lightbox.id.desc())
    .limit(MAX_LIGHTBOXES)
)


def picker(user: User) -> list[tuple[int, str]]:
    """The user's lightboxes as the "Save to lightbox" form offers them, (id, name), the
    likeliest (last changed) first."""
    rows = db.session.connection().execute(_PICKER, {"user_id": user.id}).all()
    return [(row.id, row.name) for row in rows]


def item_counts(lightboxes: list[Lightbox]) -> dict[int, int]:
    """How many items each lightbox holds, in one query."""
    ids = [lightbox.id for lightbox in lightboxes]
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(LightboxItem.lightbox_id, sa.func.count())
        .where(LightboxItem.lightbox_id.in_(ids))
        .group_by(LightboxItem.lightbox_id)
    ).all()
    counts = {lightbox_id: 0 for lightbox_id in ids}
    counts.update({lightbox_id: count for lightbox_id, count in rows})
    return counts


def _create(session: Session, user: User, name: str) -> Lightbox:
    count = session.execute(
        sa.select(sa.func.count()).select_from(Lightbox).where(Lightbox.user_id == user.id)
    ).scalar_one()
    if count >= MAX_LIGHTBOXES:
        raise Conflict(
            gettext(
                "You have %(count)s lightboxes, the most we keep. Delete one first.",
                count=MAX_LIGHTBOXES,
            ),
            code="too_many_lightboxes",
        )
    lightbox = Lightbox(user_id=user.id, name=clean_name(name))
    session.add(lightbox)
    session.flush()
    return lightbox


def create(user: User, name: str) -> Lightbox:
    with unit_of_work() as session:
        lightbox = _create(session, user, name)
    return lightbox


def rename(user: User, lightbox_id: int, name: str) -> Lightbox:
    with unit_of_work() as session:
        lightbox = _owned(session, user, lightbox_id)
        lightbox.name = clean_name(name)
    return lightbox


def delete(user: User, lightbox_id: int) -> str:
    """Delete the lightbox and its items (its share link dies with it); returns its name."""
    with unit_of_work() as session:
        lightbox = _owned(session, user, lightbox_id)
        name = lightbox.name
        session.delete(lightbox)
    return name


def _add(session: Session, lightbox: Lightbox, asset_id: int) -> Added:
    asset = session.get(Asset, asset_id)
    # Unpublished and withdrawn work is not for the buyer to know of: same answer as missing.
    if asset is None or not asset.for_sale:
        raise NotFound(
            gettext("No such asset for sale: only published work can be saved."),
            code="asset_not_available",
            fields={"asset_id": gettext("Not for sale.")},
        )
    existing = next((item for item in lightbox.items if item.asset_id == asset_id), None)
    if existing is not None:
        return Added(existing, created=False)
    if len(lightbox.items) >= MAX_ITEMS:
        raise Conflict(
            gettext(
                "A lightbox holds at most %(count)s items. Start another one.", count=MAX_ITEMS
            ),
            code="lightbox_full",
        )
    position = max((item.position for item in lightbox.items), default=-1) + 1
    item = LightboxItem(asset_id=asset_id, position=position)
    lightbox.items.append(item)
    lightbox.updated_at = utcnow()
    session.flush()
    return Added(item, created=True)


def add_item(user: User, lightbox_id: int, asset_id: int) -> Added:
    """Save an asset for sale to the lightbox, at the end.

    Saving an asset that is already there changes nothing and says so (``created`` is False).
    """
    with unit_of_work() as session:
        added = _add(session, _owned(session, user, lightbox_id, lock=True), asset_id)
    return added


def add_to_new(user: User, name: str, asset_id: int) -> Added:
    """Create a lightbox and save the asset to it, both or neither."""
    with unit_of_work() as session:
        added = _add(session, _create(session, user, name), asset_id)
    return added


def _renumber(lightbox: Lightbox, ordered: list[LightboxItem]) -> None:
    for position, item in enumerate(ordered):
        item.position = position
    lightbox.updated_at = utcnow()


def remove_item(user: User, lightbox_id: int, asset_id: int) -> Lightbox:
    with unit_of_work() as session:
        lightbox = _owned(session, user, lightbox_id, lock=True)
        item = next((i for i in lightbox.items if i.asset_id == asset_id), None)
        if item is None:
            raise NotFound(gettext("That asset is not in this lightbox."), code="item_not_found")
        lightbox.items.remove(item)
        _renumber(lightbox, list(lightbox.items))
    return lightbox


def reorder(user: User, lightbox_id: int, asset_ids: list[int]) -> Lightbox:
    """Put the items in the order given; the list must name every item exactly once."""
    with unit_of_work() as session:
        lightbox = _owned(session, user, lightbox_id, lock=True)
        by_asset = {item.asset_id: item for item in lightbox.items}
        if len(asset_ids) != len(set(asset_ids)) or set(asset_ids) != set(by_asset):
            raise InvalidInput(
                gettext("List every asset of the lightbox exactly once, in the order you want."),
                code="order_mismatch",
                fields={"asset_ids": gettext("Must name each item once.")},
            )
        _renumber(lightbox, [by_asset[asset_id] for asset_id in asset_ids])
    return lightbox


def move_item(user: User, lightbox_id: int, asset_id: int, offset: int) -> Lightbox:
    """Move one item ``offset`` places (negative: towards the start), stopping at either end."""
    with unit_of_work() as session:
        lightbox = _owned(session, user, lightbox_id, lock=True)
        ordered = list(lightbox.items)
        index = next((n for n, i in enumerate(ordered) if i.asset_id == asset_id), None)
        if index is None:
            raise NotFound(gettext("That asset is not in this lightbox."), code="item_not_found")
        item = ordered.pop(index)
        ordered.insert(min(max(index + offset, 0), len(ordered)), item)
        _renumber(lightbox, ordered)
    return lightbox


def share(user: User, lightbox_id: int) -> Lightbox:
    """Give the lightbox a public read-only link; sharing again keeps the same link."""
    with unit_of_work() as session:
        lightbox = _owned(session, user, lightbox_id, lock=True)
        if lightbox.share_token is None:
            lightbox.share_token = secrets.token_urlsafe(24)
    return lightbox


def unshare(user: User, lightbox_id: int) -> Lightbox:
    """End the public link for good: sharing again makes a new one."""
    with unit_of_work() as session:
        lightbox = _owned(session, user, lightbox_id, lock=True)
        lightbox.share_token = None
    return lightbox


def get_shared(token: str) -> Lightbox:
    if not token or len(token) > 64:
        raise NotFound(gettext("This shared lightbox does not exist or is no longer shared."))
    lightbox = db.session.execute(
        sa.select(Lightbox).where(Lightbox.share_token == token)
    ).scalar_one_or_none()
    if lightbox is None:
        raise NotFound(gettext("This shared lightbox does not exist or is no longer shared."))
    return lightbox


def for_sale_assets(lightbox: Lightbox) -> list[Asset]:
    """What a share link shows: the items still for sale, in order."""
    return [item.asset for item in lightbox.items if item.asset.for_sale]
