"""The per-person parts of pages cached for every signed-in viewer, rendered into each answer.

Search results, asset pages, the home page, member profiles and the open books show the same
catalogue to every signed-in person; only a few parts are theirs: the account menu, the cart
link with its count, the lightbox form of an asset page, and the CSRF token of the forms. When
``marketplace.page_cache`` renders such a page to keep it, ``render_for_everyone`` makes the
whole request see a signed-in *nobody* (a ``User`` that is in no table: no cart, no
lightboxes, no licences, no member, no admin), so no view or template can put anyone's data
in the page, whatever it asks for. The personal parts become empty placeholders
(``deferred_part``), and the CSRF token a placeholder too.

Each answer, hit or miss, gets the viewer's own parts rendered into the placeholders and their
own CSRF token written in (``fill_in``), and ``Cache-Control: private, no-store``; the cache
keeps the page from before that. The parts are rendered in the page's own request: fetched by
the page in a second request, as they first were, they cost more than the cache hit itself.

A page is shared only when it shows nothing special to this viewer (``may_share_with``): not
the asset page of the viewer's own work, nor the viewer's own member profile, nor a member's
home page (it links to their profile).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, request
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from marketplace.accounts.models import User
from marketplace.accounts.sessions import CART_LINES_COUNTED
from marketplace.assets.models import Asset
from marketplace.extensions import db
from marketplace.lightboxes.models import Lightbox
from marketplace.lightboxes.services import MAX_LIGHTBOXES
from marketplace.membership.models import Member, membership_of

# Looks like a token to anything that checks the form's shape; never valid.
CSRF_PLACEHOLDER = "personal-csrf-token-filled-in-per-viewer"
_SHARED_KEY = "personal_parts_for_everyone"
# What ``may_share_with`` read, for the parts rendered later in the same request. Kept in the
# request's WSGI environ, not ``g``: ``g`` lives as long as the app context, which a test
# client (or any code holding an app context open) shares between requests.
_SALE_STATE_SEEN = "marketplace.personal_parts.sale_state"  # asset id -> its row
_VIEWER_KEY = "personal_parts_viewer"


@dataclass(frozen=True)
class Part:
    template: str
    context: Callable[[dict[str, Any]], dict[str, Any] | None]  # None: render nothing
    tag: str  # of the placeholder, an empty element that every answer fills (``fill_in``)


def _no_context(args: dict[str, Any]) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class _SavedWork:
    """What the lightbox form needs of the asset: its id and whether it is for sale."""

    id: int
    for_sale: bool


# Two columns, not the whole asset with its member and user, in a statement built once and
# run through Core: this runs on every asset page view of every signed-in viewer.
_SALE_STATE = sa.select(Asset.status, Asset.withdrawn_at).where(Asset.id == sa.bindparam("id"))


def _asset_context(args: dict[str, Any]) -> dict[str, Any] | None:
    asset_id = int(args["asset_id"])
    # The asset page's own work was read a moment ago by ``may_share_with``, in this request.
    found = request.environ.get(_SALE_STATE_SEEN, {}).get(asset_id)
    if found is None:
        found = db.session.connection().execute(_SALE_STATE, {"id": asset_id}).one_or_none()
    if found is None:
        return None
    for_sale = found.status == "published" and found.withdrawn_at is None
    return {"asset": _SavedWork(asset_id, for_sale)}


PARTS = {
    "cart_link": Part("_cart_link.html", _no_context, "span"),
    "account_menu": Part("_account_menu.html", _no_context, "span"),
    "lightbox_save": Part("lightboxes/_save_form.html", _asset_context, "div"),
}


def init_personal_parts(app: Flask) -> None:
    app.add_template_global(deferred_part)


def deferred_part(name: str, asset_id: int | None = None) -> Markup:
    """A placeholder for the part ``name`` when the page is rendered for every signed-in viewer;
    otherwise empty, and the template renders the part itself.

    ``{% set d = deferred_part('cart_link') %}{% if d %}{{ d }}{% else %}…the part…{% endif %}``
    """
    part = PARTS[name]
    if not rendering_for_everyone():
        return Markup("")
    wanted = name if asset_id is None else f"{name}:{int(asset_id)}"
    return Markup(f'<{part.tag} data-personal="{wanted}"></{part.tag}>')  # noqa: S704 - a known name, an integer


def _shared_viewer() -> User:
    """A signed-in nobody: never added to a session, so every lookup by its id finds nothing."""
    viewer = User(id=0, email="", display_name="", is_admin=False)
    viewer.session_key = "shared-page"
    return viewer


# Asked on every signed-in view of an asset page, cache hit or not: built once, run through
# Core. The viewer's lightboxes come in the same statement (a row each, or one row of NULLs),
# in the order of the page's "Save to lightbox" form (``lightboxes.services.picker``): on
# PostgreSQL a statement of their own was one more round trip per view.
_SALE_STATE_OWNER_AND_LIGHTBOXES = (
    sa.select(
        Asset.status,
        Asset.withdrawn_at,
        Member.user_id,
        Lightbox.id.label("lightbox_id"),
        Lightbox.name.label("lightbox_name"),
    )
    .join(Member, Member.id == Asset.member_id)
    .outerjoin(Lightbox, Lightbox.user_id == sa.bindparam("viewer_id"))
    .where(Asset.id == sa.bindparam("id"))
    .order_by(Lightbox.updated_at.desc(), Lightbox.id.desc())
    .limit(MAX_LIGHTBOXES)
)
_LIGHTBOXES_SEEN = "marketplace.personal_parts.lightboxes"  # (viewer's id, [(id, name)])


def lightboxes_seen(user_id: int) -> list[tuple[int, str]] | None:
    """The viewer's lightboxes as this request's asset-page statement read them, when nothing
    in the request can have changed them since: a GET (or HEAD) of a page."""
    if request.method not in ("GET", "HEAD"):
        return None
    seen = request.environ.get(_LIGHTBOXES_SEEN)
    return seen[1] if seen is not None and seen[0] == user_id else None


def cart_lines_seen(user_id: int) -> int | None:
    """The viewer's cart lines as this request's session statement counted them, when nothing
    in the request can have changed the cart since: a GET (or HEAD) of a page."""
    if request.method not in ("GET", "HEAD"):
        return None
    seen = request.environ.get(CART_LINES_COUNTED)
    return seen[1] if seen is not None and seen[0] == user_id else None


def may_share_with(user: Any) -> bool:
    """Does the page at this address show this signed-in viewer only what it shows everyone?"""
    view_args = request.view_args or {}
    if request.endpoint == "portfolio.detail":
        rows = (
            db.session.connection()
            .execute(
                _SALE_STATE_OWNER_AND_LIGHTBOXES,
                {"id": view_args.get("asset_id"), "viewer_id": user.id},
            )
            .all()
        )
        found = rows[0] if rows else None
        if found is not None:  # its lightbox form, rendered for this viewer, asks the same
            request.environ.setdefault(_SALE_STATE_SEEN, {})[view_args.get("asset_id")] = found
            boxes = [(r.lightbox_id, r.lightbox_name) for r in rows if r.lightbox_id is not None]
            request.environ[_LIGHTBOXES_SEEN] = (user.id, boxes)
        # Work not for sale shows only to its owner and admins; owners get their controls.
        return (
            found is not None
            and found.status == "published"
            and found.withdrawn_at is None
            and found.user_id != user.id
        )
    if request.endpoint == "main.home":
        # The home page links a member to their own profile.
        return not user.is_member
    if request.endpoint == "membership.profile":
        member = membership_of(user)
        return member is None or member.member_number != view_args.get("member_number")
    return True


def render_for_everyone() -> None:
    """From here until ``back_to_the_viewer``, this request renders for a signed-in nobody."""
    g.setdefault(_VIEWER_KEY, current_user._get_current_object())
    setattr(g, _SHARED_KEY, True)
    g._login_user = _shared_viewer()  # what flask_login.current_user answers
    g.csrf_token = CSRF_PLACEHOLDER  # what flask_wtf.csrf.generate_csrf answers


def rendering_for_everyone() -> bool:
    return bool(g.get(_SHARED_KEY, False))


def back_to_the_viewer() -> None:
    g._login_user = g.pop(_VIEWER_KEY)
    g.pop(_SHARED_KEY, None)
    g.pop("csrf_token", None)


def _render(name: str, args: dict[str, Any], shared: dict[str, Any]) -> str:
    """One part, with ``shared``: the template context every part has (the context
    processors' answers), worked out once per request rather than once per part."""
    context = PARTS[name].context(args)
    if context is None:
        return ""
    template = current_app.jinja_env.get_template(PARTS[name].template)
    return template.render({**shared, **context})


# A placeholder as ``deferred_part`` writes it: its tag and the part wanted.
_PLACEHOLDER = re.compile(rb'<(span|div) data-personal="([a-z_]+(?::[0-9]+)?)"></\1>')


def _viewers_parts(body: bytes) -> bytes:
    """``body`` with each placeholder replaced by the viewer's own part, rendered now."""
    shared: dict[str, Any] = {}
    rendered: dict[bytes, bytes] = {}

    def part(found: re.Match[bytes]) -> bytes:
        wanted = found.group(2)
        if wanted not in rendered:
            if not shared:
                current_app.update_template_context(shared)
            name, _, number = wanted.decode().partition(":")
            args = {"asset_id": int(number)} if number else {}
            rendered[wanted] = _render(name, args, shared).encode()
        return rendered[wanted]

    return _PLACEHOLDER.sub(part, body)


def fill_in(response: Response) -> None:
    """Write the viewer's own parts and CSRF token into a page rendered for everyone; keep it
    private.

    The parts are rendered here, in the same request, rather than fetched by the page: a
    second request for them cost more than the cache hit itself (``bench.pages``). What the
    cache keeps is the page from before this (``page_cache``), placeholders and all.
    """
    from flask_wtf.csrf import generate_csrf

    body = response.get_data()
    filled = _viewers_parts(body) if b" data-personal=" in body else body
    if CSRF_PLACEHOLDER.encode() in filled:
        filled = filled.replace(CSRF_PLACEHOLDER.encode(), generate_csrf().encode())
    if filled is not body:
        response.set_data(filled)
    response.headers["Cache-Control"] = "private, no-store"
    response.vary.add("Cookie")
