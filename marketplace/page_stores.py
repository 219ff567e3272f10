"""Where the page cache keeps pages: in this process (demo) or in Redis (production).

A store keeps each page under its address with the *generation* it was rendered in; a page of
an older generation is never served (``marketplace.page_cache`` starts a new generation when a
commit changes what the cached pages show).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

import redis
from flask import current_app
from werkzeug.wrappers import Response


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
