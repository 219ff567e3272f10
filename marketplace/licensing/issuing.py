"""Issuing the licences of many paid order items at once (``services.issue``, in bulk).

Kept apart from ``services`` (which is near the size where the house splits a module); it
works the same way, inside the caller's transaction: it adds, never commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import TypedDict

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from marketplace.database import utcnow
from marketplace.licensing.models import Licence, LicenceTerms


class LicenceGrant(TypedDict):
    """What ``services.issue`` takes, for one paid order item."""

    holder_user_id: int
    asset_id: int
    terms_id: int
    size: str
    price_cents: int
    currency: str
    order_id: int
    order_item_id: int


def _insert(dialect: str) -> sa.Insert:
    table = Licence.__table__
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=["order_item_id"])
        .returning(table.c.order_item_id, table.c.id)
    )


_INSERT = {dialect: _insert(dialect) for dialect in ("postgresql", "sqlite")}


def kind_ids(session: Session, terms_ids: Iterable[int]) -> dict[int, int]:
    """``{terms_id: kind_id}``: the kind a licence copies from its terms (see ``Licence``)."""
    terms = LicenceTerms.__table__
    query = sa.select(terms.c.id, terms.c.kind_id).where(terms.c.id.in_(set(terms_ids)))
    return {int(terms_id): int(kind_id) for terms_id, kind_id in session.execute(query)}


def issue_many(session: Session, grants: list[LicenceGrant]) -> dict[int, int]:
    """Issue a licence for each grant in one statement; ``{order_item_id: licence_id}``.

    Idempotent like ``services.issue``: an item that has its licence already keeps it (the
    unique ``order_item_id`` skips the new row), and its licence id is returned.
    """
    if not grants:
        return {}
    table = Licence.__table__
    now = utcnow()
    kinds = kind_ids(session, [grant["terms_id"] for grant in grants])
    rows = [
        {
            **grant,
            "kind_id": kinds[grant["terms_id"]],
            "currency": grant["currency"].upper(),
            "verification_code": secrets.token_hex(16),
            "status": "valid",
            "status_reason": "",
            "issued_at": now,
            "download_count": 0,
        }
        for grant in grants
    ]
    # One statement, compiled once: SQLAlchemy sends the rows as one multi-row INSERT.
    added = session.execute(_INSERT[session.get_bind().dialect.name], rows)
    issued = {int(item): int(licence) for item, licence in added}
    missing = [g["order_item_id"] for g in grants if g["order_item_id"] not in issued]
    if missing:
        held = sa.select(table.c.order_item_id, table.c.id).where(
            table.c.order_item_id.in_(missing)
        )
        issued.update({int(item): int(licence) for item, licence in session.execute(held)})
    return issued
