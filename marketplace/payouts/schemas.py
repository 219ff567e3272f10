"""The JSON shapes of payout runs and lines (see /work/shared/API.md, "Money")."""

from __future__ import annotations

from typing import Any

from marketplace.payouts.models import PayoutLine, PayoutRun


def line_json(line: PayoutLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "member_id": line.member_id,
        "amount_cents": line.amount_cents,
        "withholding_bps": line.withholding_bps,
        "withheld_cents": line.withheld_cents,
        "net_cents": line.net_cents,
        "currency": line.currency,
        "status": line.status,
        "stripe_transfer_id": line.stripe_transfer_id,
        "failure_reason": line.failure_reason or None,
        "attempts": line.attempts,
    }


def run_json(run: PayoutRun, *, with_lines: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": run.id,
        "status": run.status,
        "currency": run.currency,
        "threshold_cents": run.threshold_cents,
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }
    if with_lines:
        body["lines"] = [line_json(line) for line in run.lines]
    return body
