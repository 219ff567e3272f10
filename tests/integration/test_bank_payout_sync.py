"""The payout sync's rules with a stand-in gateway: it starts at the last booked payout's arrival
less the look-back, books paid payouts once (a second sync adds nothing), leaves pending ones
for later, returns a failed one's money; and beat runs it every hour."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.extensions import db
from marketplace.ledger.models import JournalEntry
from marketplace.payments import bank_payout_sync

ARRIVAL = int(datetime(2026, 3, 4, tzinfo=UTC).timestamp())


class Gateway:
    def __init__(self, payouts: list[dict[str, Any]]) -> None:
        self.payouts = payouts
        self.asked: list[int] = []

    def list_payouts(self, *, arriving_from: int) -> list[dict[str, Any]]:
        self.asked.append(arriving_from)
        return [p for p in self.payouts if p["arrival_date"] >= arriving_from]


def _payout(payout_id: str, status: str, amount: int = 5_000) -> dict[str, Any]:
    return {
        "id": payout_id,
        "object": "payout",
        "amount": amount,
        "currency": "usd",
        "arrival_date": ARRIVAL,
        "balance_transaction": f"txn_{payout_id}",
        "status": status,
        "failure_message": "The bank account has been closed." if status == "failed" else None,
    }


def _keys() -> list[str]:
    db.session.expire_all()
    return sorted(
        db.session.execute(
            sa.select(JournalEntry.idempotency_key).where(
                JournalEntry.idempotency_key.like("bank_payout%")
            )
        ).scalars()
    )


def test_the_sync_books_settled_payouts_once_and_leaves_pending_ones(app: Flask) -> None:
    gateway = Gateway([_payout("po_paid", "paid"), _payout("po_pending", "pending")])
    first = bank_payout_sync.sync_payouts(gateway)  # type: ignore[arg-type]
    assert (first.listed, first.applied, first.booked) == (2, 1, 1)
    assert gateway.asked == [0]  # nothing booked yet: from the beginning
    assert _keys() == ["bank_payout:po_paid"]

    again = bank_payout_sync.sync_payouts(gateway)  # type: ignore[arg-type]
    assert again.booked == 0
    assert _keys() == ["bank_payout:po_paid"]
    # From the last booked arrival (2026-03-04) less fourteen days.
    assert gateway.asked[-1] == int(datetime(2026, 2, 18, tzinfo=UTC).timestamp())

    gateway.payouts = [_payout("po_paid", "failed"), _payout("po_pending", "paid", 7_000)]
    third = bank_payout_sync.sync_payouts(gateway)  # type: ignore[arg-type]
    assert third.booked == 1
    assert _keys() == [
        "bank_payout:po_paid",
        "bank_payout:po_pending",
        "bank_payout_return:po_paid",
    ]


def test_beat_runs_the_sync_every_hour(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The worker module builds its app at import: in the test profile, in a folder of its own.
    monkeypatch.setenv("MARKETPLACE_ENV", "test")
    monkeypatch.setenv("MARKETPLACE_INSTANCE_PATH", str(tmp_path / "instance"))
    from workers.celery_app import celery

    entry = celery.conf.beat_schedule["sync-bank-payouts"]
    assert entry["task"] == "payments.sync_bank_payouts"
    assert entry["schedule"].minute == {47}
    assert entry["schedule"].hour == set(range(24))
