"""What the dividend tests on the production stack share: sales and refunds dated in a past
year (posted on their day), ready payout accounts in the Stripe emulator, waiting for the
worker, and the check that every transfer matches exactly one ledger entry."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
import stripe

from marketplace.database import unit_of_work
from marketplace.dividends import services
from marketplace.dividends.models import DividendAllocation, DividendRun
from marketplace.extensions import db
from marketplace.ledger import core as ledger_core
from marketplace.ledger import services as ledger
from marketplace.ledger.models import JournalEntry
from marketplace.membership.models import Member
from marketplace.payouts.models import PayoutAccount

READY = {"payouts_enabled": True, "transfers": "active", "currently_due": []}


def wait_for(condition: Callable[[], bool], timeout: float = 240.0) -> None:
    """Poll until ``condition`` holds; generous, as the machine may be shared and busy."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the worker")
        time.sleep(0.05)


def joined_long_ago(members: list[int]) -> None:
    """Members share in a run only if they had joined by its end: these joined in 2000."""
    with unit_of_work() as session:
        session.execute(
            sa.update(Member).where(Member.id.in_(members)).values(joined_on=date(2000, 1, 1))
        )


def ready_account(client: stripe.StripeClient, emulator_url: str, member: int) -> str:
    """A connected account in the emulator that can receive transfers, and the member's
    ready payout account row, as onboarding and ``account.updated`` leave them."""
    account = client.v1.accounts.create(
        params={
            "type": "express",
            "country": "US",
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"member_id": str(member)},
        }
    )
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{emulator_url}/_config/connect/accounts/{account.id}/state",
        data=json.dumps(READY).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - loopback
        pass
    with unit_of_work() as session:
        session.add(
            PayoutAccount(
                member_id=member,
                stripe_account_id=account.id,
                idempotency_key=f"test-account-{uuid.uuid4().hex}",
                details_submitted=True,
                payouts_enabled=True,
                transfers_active=True,
                requirements_due=[],
            )
        )
    return account.id


def check_transfers_match_entries(client: stripe.StripeClient, accounts: list[str]) -> int:
    """Every transfer to ``accounts`` matches exactly one ledger entry (a dividend payment or a
    royalty payout) for its amount, naming it; how many transfers there were."""
    session = db.session()
    seen = 0
    for account in accounts:
        page = client.v1.transfers.list(params={"destination": account, "limit": 100})
        for transfer in page.auto_paging_iter():
            seen += 1
            metadata: dict[str, Any] = transfer.metadata.to_dict() if transfer.metadata else {}
            if "dividend_allocation_id" in metadata:
                key = f"dividend_payment:{metadata['dividend_allocation_id']}"
            else:
                key = f"payout-line:{metadata['payout_line_id']}"
            entries = list(
                session.execute(
                    sa.select(JournalEntry).where(JournalEntry.idempotency_key == key)
                ).scalars()
            )
            assert len(entries) == 1, (transfer.id, key)
            assert transfer.id in entries[0].description
            assert sum(line.debit_cents for line in entries[0].lines) == transfer.amount
    balance = ledger.trial_balance(session, "USD")
    assert balance.total_debits_cents == balance.total_credits_cents
    return seen


def check_run_paid_once(client: stripe.StripeClient, run_id: int) -> None:
    """Each paid allocation of the run: one transfer of its group, the one it records."""
    session = db.session()
    paid = session.execute(
        sa.select(DividendAllocation).where(
            DividendAllocation.run_id == run_id, DividendAllocation.status == "paid"
        )
    ).scalars()
    for allocation in paid:
        account = services.ready_payout_account(session, allocation.member_id)
        assert account is not None
        page = client.v1.transfers.list(
            params={"destination": account, "transfer_group": f"dividend-run-{run_id}"}
        )
        ids = [t.id for t in page.auto_paging_iter()]
        assert ids == [allocation.stripe_transfer_id], allocation.member_id
        assert ledger.entry_for_key(session, payment_key(allocation.id)) is not None


def payment_key(allocation_id: int) -> str:
    return ledger_core.idempotency_key("dividend_payment", allocation_id)


def run_status(run_id: int) -> str:
    db.session.expire_all()
    run = db.session.get(DividendRun, run_id)
    assert run is not None
    return run.status
