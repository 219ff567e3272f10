"""A cache of the public catalogue pages' HTML, for visitors who are not signed in.

The home page, search results, asset pages and member portfolios are the same for every
anonymous visitor, and they are most of the traffic. ``init_page_cache`` keeps their rendered
HTML (status, headers and body) in Redis (production: shared by every web process) or in this
process (demo), under a key made of the full address, the query sorted by name, and the
catalogue's *generation*. Any commit that inserted, changed or deleted what these pages show
(work for sale, releases, members, member classes, display names, licence terms) bumps the
generation, found centrally from SQLAlchemy's session events, so the next request renders
afresh: no service has to remember to invalidate anything. Entries also expire after
``PAGE_CACHE_TTL_SECONDS``, which bounds staleness for changes these events cannot see (raw
SQL, the search vocabulary, terms that take effect on a date).

A page is served from and kept in the cache only when it is safe to share:

* GET or HEAD on one of ``CACHEABLE_ENDPOINTS``, nobody signed in, no flashed message waiting
  in the visitor's session;
* kept only if the answer is a 200 with a body, sets no cookie and did not change the session.
  Anonymous visitors on these pages get no CSRF token (``is_shared_page`` drops the
  ``<meta name="csrf-token">`` from the layout): nothing on them posts, and the token lives in
  the session, which would make every page personal.

Answers say ``X-Page-Cache: hit`` or ``miss``; a hit is byte for byte the page that was
rendered, headers included, apart from that header.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol
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

from marketplace.accounts.models import User
from marketplace.assets.models import Asset, Release
from marketplace.membership.models import Member, MemberClass

log = logging.getLogger(__name__)

CACHEABLE_ENDPOINTS = frozenset(
    {"main.home", "catalogue.search", "portfolio.detail", "membership.profile"}
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


@dataclass(frozen=True)
class CachedPage:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def to_response(self) -> Response:
        return current_app.response_class(self.body, status=self.status, headers=self.headers)


class PageStore(Protocol):
    """Where pages are kept, by address (``cache_key``) and generation."""

    def lookup(self, key: str) -> tuple[int, CachedPage | None]:
        """The current generation, and the page kept for ``key`` in it, if any."""

    def put(self, generation: int, key: str, page: CachedPage) -> None:
        """Keep a page rendered in ``generation`` (never served in a later one)."""

    def invalidate(self) -> None:
        """Start a new generation: no page kept so far is served again."""


class MemoryPageStore:
    """Pages in this process, least recently used dropped first beyond ``max_entries``.

    Each process has its own generation: a change committed by another process (a Celery
    worker, a second web process) is only seen here once the entries expire, after
    ``ttl_seconds``. That is the demo's trade (one web process, no server to share); with
    several web processes, use Redis.
    """

    def __init__(self, max_entries: int, ttl_seconds: int) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._generation = 0
        self._pages: OrderedDict[str, tuple[float, CachedPage]] = OrderedDict()
        self._lock = threading.Lock()  # the demo's server is threaded

    def lookup(self, key: str) -> tuple[int, CachedPage | None]:
        with self._lock:
            entry = self._pages.get(key)
            if entry is None:
                return self._generation, None
            expires, page = entry
            if expires <= time.monotonic():
                del self._pages[key]
                return self._generation, None
            self._pages.move_to_end(key)
            return self._generation, page

    def put(self, generation: int, key: str, page: CachedPage) -> None:
        with self._lock:
            # Rendered before a change was committed: it may not show the change.
            if generation != self._generation:
                return
            self._pages[key] = (time.monotonic() + self.ttl_seconds, page)
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_entries:
                self._pages.popitem(last=False)

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)


class RedisPageStore:
    """Pages in Redis, shared by every web process; the generation is a Redis counter.

    A page is kept under its address alone, with the generation it was rendered in beside it,
    so one ``MGET`` reads the current generation and the page, and a page of an older
    generation is a miss (then overwritten). Keys are hashed, so an address of any length
    makes a short key; pages are compressed (HTML shrinks about sixfold), since every address
    asked for stays a TTL long (a ``maxmemory-policy`` of ``volatile-lru`` or ``allkeys-lru``
    reclaims them sooner when memory is short).
    """

    def __init__(self, client: redis.Redis, ttl_seconds: int, prefix: str) -> None:
        self.client = client
        self.ttl_seconds = ttl_seconds
        self.prefix = prefix

    @property
    def generation_key(self) -> str:
        return f"{self.prefix}generation"

    def _page_key(self, key: str) -> str:
        return f"{self.prefix}{hashlib.sha256(key.encode()).hexdigest()}"

    def lookup(self, key: str) -> tuple[int, CachedPage | None]:
        generation_value, data = self.client.mget(self.generation_key, self._page_key(key))
        generation = int(generation_value) if generation_value is not None else 0
        # None when absent; never text, as the client does not decode responses.
        if not isinstance(data, bytes):
            return generation, None
        head, _, body = zlib.decompress(data).partition(b"\n")
        meta = json.loads(head)
        if meta["generation"] != generation:
            return generation, None
        return generation, CachedPage(meta["status"], [(k, v) for k, v in meta["headers"]], body)

    def put(self, generation: int, key: str, page: CachedPage) -> None:
        meta = {"generation": generation, "status": page.status, "headers": page.headers}
        data = zlib.compress(json.dumps(meta).encode() + b"\n" + page.body)
        self.client.set(self._page_key(key), data, ex=self.ttl_seconds)

    def invalidate(self) -> None:
        self.client.incr(self.generation_key)


def make_store(config: dict[str, Any]) -> PageStore | None:
    """The store the settings ask for; None when the cache is off."""
    kind = (config.get("PAGE_CACHE") or "none").lower()
    ttl = int(config["PAGE_CACHE_TTL_SECONDS"])
    if kind == "none" or ttl <= 0:
        return None
    if kind == "memory":
        return MemoryPageStore(int(config["PAGE_CACHE_MAX_ENTRIES"]), ttl)
    if kind == "redis":
        url = config.get("PAGE_CACHE_REDIS_URL")
        if not url:
            raise RuntimeError("PAGE_CACHE=redis needs PAGE_CACHE_REDIS_URL (or REDIS_URL).")
        # Short timeouts: a slow Redis should cost a page render, not hang the request.
        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return RedisPageStore(client, ttl, config["PAGE_CACHE_KEY_PREFIX"])
    raise RuntimeError(f"PAGE_CACHE must be redis, memory or none, not {kind!r}.")


def init_page_cache(app: Flask) -> None:
    """Serve and keep public pages in the configured store (if any)."""
    store = make_store(app.config)
    app.extensions[EXTENSION_KEY] = store
    app.add_template_global(is_shared_page)
    if store is None:
        return
    app.before_request(_serve_from_cache)
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


def _may_use_cache() -> bool:
    return (
        request.method in ("GET", "HEAD")
        and is_shared_page()
        # A flashed message is shown (and taken out of the session) by the next page.
        and "_flashes" not in session
    )


def _serve_from_cache() -> Response | None:
    store = get_store()
    if store is None or not _may_use_cache():
        return None
    key = cache_key()
    try:
        generation, page = store.lookup(key)
    except redis.RedisError as error:
        _warn_unavailable(error)
        return None
    g.page_cache = (generation, key)
    if page is None:
        return None
    g.page_cache_hit = True
    response = page.to_response()
    response.headers[HEADER] = "hit"
    return response


def _keep_in_cache(sender: Flask, response: Response, **extra: Any) -> None:
    """After the session was saved, so the answer is final: keep it if it is shareable."""
    looked_up: tuple[int, str] | None = g.pop("page_cache", None)
    if looked_up is None or g.pop("page_cache_hit", False):
        return
    response.headers[HEADER] = "miss"
    if (
        response.status_code != 200
        or response.is_streamed
        or response.direct_passthrough
        or "Set-Cookie" in response.headers
        or session.modified
    ):
        return
    generation, key = looked_up
    headers = [(k, v) for k, v in response.headers if k.lower() not in _PER_ANSWER_HEADERS]
    page = CachedPage(response.status_code, headers, response.get_data())
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
