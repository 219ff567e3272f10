"""A cache of the shared catalogue pages' HTML: for anonymous visitors, and for signed-in ones.

The home page, search results, asset pages, member profiles and the open books show the same
catalogue to everyone, and they are most of the traffic. ``init_page_cache`` keeps their
rendered HTML (status, headers and body) in Redis (production: shared by every web process)
or in this process (demo), under a key made of the full address, the query sorted by name,
the reader's language (and currency, when a ``currency`` cookie chose one), whether the
visitor is signed in, and the catalogue's *generation*. Addresses are the same in every
language, so a page is never shared across languages: the key says which one it is in, and
the answer says ``Vary: Accept-Language, Cookie`` for any cache in between.

Any commit that inserted, changed or deleted what these pages show (work for sale, releases,
members, member classes, display names, licence terms) bumps the generation, found centrally
from SQLAlchemy's session events, so the next request renders afresh: no service has to remember
to invalidate anything. Entries also expire after ``PAGE_CACHE_TTL_SECONDS``, which bounds
staleness for changes these events cannot see (raw SQL, the search vocabulary, terms that take
effect on a date, the ledger behind the open books, related work a worker prepared after the
page).

A page is served from and kept in the cache only when it is safe to share:

* GET or HEAD on one of ``CACHEABLE_ENDPOINTS``, no flashed message waiting in the visitor's
  session;
* anonymous: kept only if the answer is a 200 with a body, sets no cookie and did not change
  the session. Anonymous visitors on these pages get no CSRF token (``is_shared_page`` drops
  the ``<meta name="csrf-token">`` from the layout): nothing on them posts, and the token
  lives in the session, which would make every page personal;
* signed in: a variant of its own, rendered for a signed-in *nobody*, with the per-person
  parts left as placeholders that each answer fills in (``marketplace.personal_parts``), and only
  where the page shows this viewer nothing of their own (not their own work or profile).

Answers say ``X-Page-Cache: hit`` or ``miss``; an anonymous hit is byte for byte the page that
was rendered, headers included, apart from that header; a signed-in one has the viewer's own
CSRF token written in and says ``Cache-Control: private, no-store``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import redis
import sqlalchemy as sa
from flask import (
    Flask,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    request_finished,
    session,
)
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from werkzeug.wrappers import Response

from marketplace import personal_parts
from marketplace.accounts.models import User
from marketplace.assets.models import Asset, Release
from marketplace.i18n import current_language
from marketplace.membership.models import Member, MemberClass
from marketplace.page_stores import (  # noqa: F401 - the stores, where callers found them
    CachedPage,
    MemoryPageStore,
    PageStore,
    RedisPageStore,
    make_store,
)

log = logging.getLogger(__name__)

CACHEABLE_ENDPOINTS = frozenset(
    {
        "main.home",
        "catalogue.search",
        "portfolio.detail",
        "membership.profile",
        "transparency.open_books",
        "transparency.open_books_year",
    }
)
HEADER = "X-Page-Cache"
EXTENSION_KEY = "page_cache"
CHANGED_KEY = "page_cache_catalogue_changed"
# Tables shown on the cached pages: a change to any of their rows may change a page. Assets
# count only when for sale (before or after), users only for their name (sign-ins update
# users all the time). Licence kinds and terms make the asset page's prices.
SHOWN_TABLES = frozenset(
    {
        Asset.__tablename__,
        Release.__tablename__,
        Member.__tablename__,
        MemberClass.__tablename__,
        User.__tablename__,
        "licence_kinds",
        "licence_terms",
    }
)
SHOWN_USER_COLUMNS = ("display_name",)
# Headers of one answer, not of the page: never stored.
_PER_ANSWER_HEADERS = frozenset({HEADER.lower(), "set-cookie", "date"})
# The signed-in variant's body is personalised on every answer, so its length is too.
_PER_PERSON_HEADERS = _PER_ANSWER_HEADERS | {"content-length"}
SIGNED_IN_VARIANT = "#signed-in"
CURRENCY_COOKIE = "currency"


def _currency_cookie() -> str | None:
    return request.cookies.get(CURRENCY_COOKIE) or None


# What else than the address makes one page differ from another, each by name: the reader's
# language, and the currency a visitor chose. A feature whose pages differ by something else
# the reader chose adds it with ``vary_on`` (before the first request).
_VARIANTS: dict[str, Callable[[], str | None]] = {
    "language": current_language,
    "currency": _currency_cookie,
}


def vary_on(name: str, value: Callable[[], str | None]) -> None:
    """Key cached pages also by ``value()`` (None: the same for every reader)."""
    _VARIANTS[name] = value


def init_page_cache(app: Flask) -> None:
    """Serve and keep shared pages in the configured store (if any)."""
    store = make_store(app.config)
    app.extensions[EXTENSION_KEY] = store
    app.add_template_global(is_shared_page)
    personal_parts.init_personal_parts(app)
    if store is None:
        return
    app.before_request(_serve_from_cache)
    app.after_request(_say_what_varies)
    # Registered last, so it runs first of the after-request hooks: before the session is saved.
    app.after_request(_personalise)
    request_finished.connect(_keep_in_cache, app)


def get_store() -> PageStore | None:
    store: PageStore | None = current_app.extensions.get(EXTENSION_KEY)
    return store


def is_shared_page() -> bool:
    """Is this page the same for every anonymous visitor (and so fit for the cache)?

    Only then does the layout leave out the CSRF token, whether or not the cache is on.
    """
    return (
        has_request_context()
        and request.endpoint in CACHEABLE_ENDPOINTS
        and not current_user.is_authenticated
    )


def cache_key() -> str:
    """The page's address: scheme, host, path and the query sorted by name.

    Values of a repeated name keep their order; the host is in the key because pages hold
    absolute links (canonical and share URLs).
    """
    pairs = sorted(request.args.items(multi=True), key=lambda pair: pair[0])
    query = urlencode(pairs)
    return f"{request.scheme}://{request.host}{request.script_root}{request.path}?{query}"


def variant_key() -> str:
    """``#language=fr#currency=EUR``: what this reader sees besides the address."""
    parts = []
    for name, value in _VARIANTS.items():
        found = value()
        if found is not None:
            parts.append(f"#{name}={found}")
    return "".join(parts)


def _say_what_varies(response: Response) -> Response:
    # Before the cache keeps the answer (request_finished), so hits say it too.
    if request.endpoint in CACHEABLE_ENDPOINTS:
        response.vary.update(("Accept-Language", "Cookie"))
        response.content_language.add(current_language())
    return response


def _may_use_cache() -> bool:
    return (
        request.method in ("GET", "HEAD")
        and request.endpoint in CACHEABLE_ENDPOINTS
        # A flashed message is shown (and taken out of the session) by the next page.
        and "_flashes" not in session
        and (not current_user.is_authenticated or personal_parts.may_share_with(current_user))
    )


def _serve_from_cache() -> Response | None:
    store = get_store()
    if store is None or not _may_use_cache():
        return None
    signed_in = bool(current_user.is_authenticated)
    # The variant is read as the viewer (their account's language), before a signed-in page
    # is rendered for a nobody; Flask-Babel keeps that language for the whole request.
    key = cache_key() + variant_key() + (SIGNED_IN_VARIANT if signed_in else "")
    try:
        generation, page = store.lookup(key)
    except redis.RedisError as error:
        _warn_unavailable(error)
        return None
    g.page_cache = (generation, key)
    if page is None:
        if signed_in:
            personal_parts.render_for_everyone()
        return None
    g.page_cache_hit = True
    response = page.to_response()
    if signed_in:
        personal_parts.fill_in(response)
    response.headers[HEADER] = "hit"
    return response


def _personalise(response: Response) -> Response:
    """A page rendered for every signed-in viewer: keep it as rendered, answer it filled in."""
    if personal_parts.rendering_for_everyone():
        personal_parts.back_to_the_viewer()
        if response.status_code == 200 and not response.is_streamed:
            g.page_cache_shared_body = response.get_data()
        personal_parts.fill_in(response)
    return response


def _keep_in_cache(sender: Flask, response: Response, **extra: Any) -> None:
    """After the session was saved, so the answer is final: keep it if it is shareable.

    An anonymous page is kept only if it set no cookie and left the session as it was; a
    signed-in one was rendered for nobody in particular (its cookie and session are the
    viewer's own), and what is kept is the page before it was filled in.
    """
    looked_up: tuple[int, str] | None = g.pop("page_cache", None)
    if looked_up is None or g.pop("page_cache_hit", False):
        return
    response.headers[HEADER] = "miss"
    generation, key = looked_up
    shared_body: bytes | None = g.pop("page_cache_shared_body", None)
    signed_in = key.endswith(SIGNED_IN_VARIANT)
    if response.status_code != 200 or response.is_streamed or response.direct_passthrough:
        return
    if signed_in and shared_body is None:
        return
    if not signed_in and ("Set-Cookie" in response.headers or session.modified):
        return
    skipped = _PER_PERSON_HEADERS if signed_in else _PER_ANSWER_HEADERS
    headers = [(k, v) for k, v in response.headers if k.lower() not in skipped]
    body = shared_body if shared_body is not None else response.get_data()
    page = CachedPage(response.status_code, headers, body)
    store = sender.extensions[EXTENSION_KEY]
    try:
        store.put(generation, key, page)
    except redis.RedisError as error:
        _warn_unavailable(error)


_last_warning = 0.0


def _warn_unavailable(error: Exception) -> None:
    """Pages are rendered without the cache; say so at most once a minute per process."""
    global _last_warning
    now = time.monotonic()
    if now - _last_warning > 60:
        _last_warning = now
        log.warning("Page cache unavailable, rendering without it: %s", error)


# --- invalidation: which commits change what the cached pages show ----------------------------


def _for_sale(status: Any, withdrawn_at: Any) -> bool:
    return bool(status == "published" and withdrawn_at is None)


def _values(obj: Any, name: str) -> tuple[Any, Any]:
    """(before, now) of a loaded attribute; ``sa.orm.NO_VALUE`` where it is not known."""
    history = sa.inspect(obj).attrs[name].history
    unchanged = history.unchanged[0] if history.unchanged else sa.orm.NO_VALUE
    before = history.deleted[0] if history.deleted else unchanged
    now = history.added[0] if history.added else unchanged
    return before, now


def _asset_is_or_was_public(asset: Asset, *, new: bool = False) -> bool:
    """Could a cached page show this asset, before or after the flush?

    Anonymous visitors see only work for sale, so changes to work in processing, waiting for
    review or rejected leave every cached page as it is. When a value is not known (not
    loaded), the answer is yes.
    """
    status_before, status_now = _values(asset, "status")
    withdrawn_before, withdrawn_now = _values(asset, "withdrawn_at")
    if status_now is sa.orm.NO_VALUE or withdrawn_now is sa.orm.NO_VALUE:
        return True
    if _for_sale(status_now, withdrawn_now):
        return True
    if new:
        return False
    if status_before is sa.orm.NO_VALUE or withdrawn_before is sa.orm.NO_VALUE:
        return True
    return _for_sale(status_before, withdrawn_before)


def _shown(obj: object) -> bool:
    return _shown_class(type(obj))


def _shown_class(cls: type[Any]) -> bool:
    return getattr(cls, "__tablename__", None) in SHOWN_TABLES


def _changes_shown_rows(session: Session) -> bool:
    for obj in session.new:
        if isinstance(obj, Asset):
            if _asset_is_or_was_public(obj, new=True):
                return True
        elif _shown(obj) and not isinstance(obj, User):
            return True  # a new user is shown nowhere until they become a member
    if any(_shown(obj) for obj in session.deleted):
        return True
    for obj in session.dirty:
        if not _shown(obj) or not session.is_modified(obj):
            continue
        if isinstance(obj, Asset):
            if _asset_is_or_was_public(obj):
                return True
        elif isinstance(obj, User):
            if any(_values(obj, name)[0] != _values(obj, name)[1] for name in SHOWN_USER_COLUMNS):
                return True
        else:
            return True
    return False


@event.listens_for(Session, "after_flush")
def _note_catalogue_changes(session: Session, flush_context: UOWTransaction) -> None:
    # The new, dirty and deleted lists still hold what this flush wrote.
    if not session.info.get(CHANGED_KEY) and _changes_shown_rows(session):
        session.info[CHANGED_KEY] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state: ORMExecuteState) -> None:
    # ORM-enabled UPDATE, DELETE or INSERT statements bypass the flush.
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    if mapper is not None and _shown_class(mapper.class_):
        state.session.info[CHANGED_KEY] = True


@event.listens_for(Session, "after_commit")
def _invalidate_after_commit(session: Session) -> None:
    if not session.info.pop(CHANGED_KEY, False) or not has_app_context():
        return
    store = current_app.extensions.get(EXTENSION_KEY)
    if store is None:
        return
    try:
        store.invalidate()
    except redis.RedisError:
        # Committed all the same: cached pages stay as they were for at most the TTL.
        log.exception("Could not invalidate the page cache")


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction: Any) -> None:
    # A savepoint rolled back inside a larger transaction does not undo the whole use case.
    if not previous_transaction.nested:
        session.info.pop(CHANGED_KEY, None)
