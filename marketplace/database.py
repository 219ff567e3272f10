"""Transactions and small database helpers shared by every feature package."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketplace.extensions import db

T = TypeVar("T")


# A moment that ``utcnow`` answers instead of the real time, within ``clock_at``.
_clock_at: ContextVar[datetime | None] = ContextVar("clock_at", default=None)


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (never computed at import time); inside ``clock_at``,
    the moment it was given."""
    return _clock_at.get() or datetime.now(UTC)


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Within the block, every service (and column default) reading ``utcnow`` sees ``moment``:
    the demo seeds a year of history through the same services the pages call, back-dated."""
    if moment.tzinfo is None:
        raise ValueError("clock_at needs an aware datetime")
    token = _clock_at.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _clock_at.reset(token)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Stores aware UTC datetimes and always hands back aware ones, SQLite included."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        # SQLite keeps no zone; every value we write is UTC, so read it back as UTC.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class NamedSequence(db.Model):  # type: ignore[name-defined]
    """Gap-free counters such as member numbers, safe under concurrent use on PostgreSQL."""

    __tablename__ = "named_sequences"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)


def next_in_sequence(session: Session, name: str) -> int:
    """Take the next number of the named sequence inside the caller's transaction.

    The row is locked until the transaction ends, so two concurrent approvals never share a
    number, and a rolled-back transaction gives its number back.
    """
    return take_numbers(session, name, 1)[0]


def take_numbers(session: Session, name: str, count: int) -> range:
    """Take the next ``count`` numbers of the named sequence at once (as ``next_in_sequence``:
    the row locked until the transaction ends)."""
    row = session.execute(
        sa.select(NamedSequence).where(NamedSequence.name == name).with_for_update(of=NamedSequence)
    ).scalar_one_or_none()
    if row is None:
        row = NamedSequence(name=name, value=0)
        session.add(row)
    first = row.value + 1
    row.value += count
    session.flush()
    return range(first, row.value + 1)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One use case, one transaction: commit when the block succeeds, roll back when it raises.

    Tasks queued inside the block with ``marketplace.background.enqueue`` are sent only after
    the commit succeeded, so a worker never looks for a row that is not there yet.
    """
    from marketplace.background import discard_pending_tasks, run_inline_tasks

    session = db.session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        # A rollback with no SQL run yet fires no rollback event: drop queued tasks here too.
        discard_pending_tasks(session)
        raise
    run_inline_tasks(session)


def lock_rows(
    session: Session, model: type[T], row_ids: list[Any], load: tuple[Any, ...] = ()
) -> list[T]:
    """The rows of ``row_ids`` that exist, in id order, locked until the transaction ends (as
    ``lock_row``; in id order, so two transactions locking overlapping sets cannot deadlock).
    ``load``: loader options (``selectinload(...)``)."""
    primary_key = sa.inspect(model).primary_key[0]
    query = sa.select(model).where(primary_key.in_(row_ids)).order_by(primary_key).options(*load)
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            sa.update(model).where(primary_key.in_(row_ids)).values({primary_key.key: primary_key})
        )
    else:
        query = query.with_for_update(of=model)
    return list(session.execute(query.execution_options(populate_existing=True)).scalars())


def lock_row(session: Session, model: type[T], row_id: Any) -> T | None:
    """The row, locked until the transaction ends, or None when there is none.

    PostgreSQL: ``SELECT ... FOR UPDATE``. SQLite has no row locks: a no-op UPDATE takes the
    database's write lock first, so that two transactions cannot both read the row and then
    both act on what they read (the second waits, then reads the first one's result).
    """
    primary_key = sa.inspect(model).primary_key[0]
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            sa.update(model).where(primary_key == row_id).values({primary_key.key: primary_key})
        )
        row = session.get(model, row_id, populate_existing=True)
        return row
    return session.execute(
        sa.select(model)
        .where(primary_key == row_id)
        .with_for_update(of=model)  # PostgreSQL refuses to lock an outer join
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


# A pooled PostgreSQL connection is pinged before use only after it sat in the pool this long.
PING_AFTER_IDLE_S = 1.0
_IDLE_SINCE = "marketplace.idle_since"


def ping_when_idle(engine: sa.Engine) -> None:
    """Ping a pooled connection before use only when it sat idle ``PING_AFTER_IDLE_S`` or
    more, instead of on every checkout (``pool_pre_ping``): on PostgreSQL each ping is one more
    round trip per request, about 3 % of a signed-in asset page's work. A connection back in
    use within the second was working a moment ago; one that waited longer (a quiet hour, a
    restarted server) is pinged, and replaced when the ping fails, as ``pool_pre_ping`` does."""
    dialect = engine.dialect

    @sa.event.listens_for(engine, "checkin")
    def _idle_from(dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return  # new, or back within the second
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            # The pool throws this connection away and checks out another (or a new one).
            raise sa.exc.DisconnectionError(str(error)) from error
