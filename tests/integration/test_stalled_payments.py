"""Runs whose payment tasks the queue lost (marketplace/stalled_payments.py): the beat's sweep
queues their pending payments again once nothing has settled for PAYMENT_STALL_SECONDS, and
nobody is paid twice (SQLite, tasks inline; the payouts' test uses the Stripe emulator)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from marketplace import stalled_payments
from marketplace.audit.models import AuditEntry
from marketplace.database import clock_at, utcnow
from marketplace.dividends import paying, services
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from tests.fixtures.dividends import (
    Coop,
    by_member,
    coop_fixture,  # noqa: F401 - a fixture, found here by pytest as ``coop``
    entry_keys,
    member_id,
)
from tests.fixtures.lost_tasks import tasks_lost
from tests.integration.test_payouts import Payouts
from tests.integration.test_payouts import shop as shop  # noqa: F401 - a fixture

STALLED = timedelta(seconds=900, minutes=1)


def resumed_entries() -> list[AuditEntry]:
    return list(
        db.session.execute(
            sa.select(AuditEntry)
            .where(AuditEntry.action == stalled_payments.RESUMED)
            .order_by(AuditEntry.id)
        ).scalars()
    )


def approved_run_everyone_can_be_paid(coop: Coop, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An approved run whose members all have a payout account (Stripe's answer faked)."""
    monkeypatch.setattr(services, "ready_payout_account", lambda s, m: "acct_x")
    monkeypatch.setattr(services, "stripe_transfer", lambda **kwargs: "tr_x")
    run = coop.draft()
    coop.approve(run["id"])
    return run


def test_a_dividend_run_whose_tasks_were_lost_is_paid_once_after_it_stalls(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = member_id(coop.artist_a), member_id(coop.artist_b)
    accounts = {a: "acct_artist_a", b: "acct_artist_b"}
    sent: list[dict[str, Any]] = []

    def transfer(**kwargs: Any) -> str:
        sent.append(kwargs)
        return f"tr_{len(sent)}"

    monkeypatch.setattr(services, "ready_payout_account", lambda s, m: accounts.get(m))
    monkeypatch.setattr(services, "stripe_transfer", transfer)
    run = coop.draft()
    coop.approve(run["id"])
    with tasks_lost(coop.client.application):
        paying_run = coop.pay(run["id"])
    assert paying_run["status"] == "paying"
    assert paying_run["progress"]["pending"] == 4
    assert sent == []

    # Not stalled yet: the run started paying a moment ago.
    assert stalled_payments.resume_stalled() == []
    assert coop.get(run["id"])["status"] == "paying"

    resumed = stalled_payments.resume_stalled(utcnow() + STALLED)
    assert resumed == [stalled_payments.Resumed("dividend_run", run["id"], 4)]
    paid = coop.get(run["id"])
    # A and B are paid; the founder and the staff member have no payout account: held.
    assert paid["status"] == "partially_paid"
    assert paid["progress"] == {"pending": 0, "paid": 2, "held": 2, "failed": 0}
    assert sorted(s["destination"] for s in sent) == ["acct_artist_a", "acct_artist_b"]
    for member in (a, b):
        assert f"dividend_payment:{by_member(paid)[member]['id']}" in entry_keys(db.session())
    [entry] = resumed_entries()
    assert entry.actor_label == "scheduler"
    assert entry.subject_type == "dividend_run"
    assert entry.subject_id == str(run["id"])
    assert "its 4 pending payment(s) queued again" in entry.summary

    # The lost tasks turn up after all (they were only slow), and a later sweep finds the
    # run finished: nobody is paid twice.
    for allocation in paid["allocations"]:
        paying.pay_allocation(allocation["id"])
    assert stalled_payments.resume_stalled(utcnow() + 2 * STALLED) == []
    assert len(sent) == 2
    assert coop.get(run["id"])["progress"] == paid["progress"]
    balance = ledger.trial_balance(db.session(), "USD")
    assert balance.total_debits_cents == balance.total_credits_cents


def test_a_run_resumed_once_waits_another_stall_before_it_is_resumed_again(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = approved_run_everyone_can_be_paid(coop, monkeypatch)
    app = coop.client.application
    with tasks_lost(app):
        coop.pay(run["id"])
        with clock_at(utcnow() + STALLED):
            assert [r.queued for r in stalled_payments.resume_stalled()] == [4]
            resumed_at = utcnow()
        # The sweep's own tasks were lost too: the run waits a whole stall from the sweep.
        with clock_at(resumed_at + STALLED - timedelta(minutes=2)):
            assert stalled_payments.resume_stalled() == []
        assert len(resumed_entries()) == 1
    with clock_at(resumed_at + STALLED):
        assert [r.queued for r in stalled_payments.resume_stalled()] == [4]
    assert coop.get(run["id"])["status"] == "paid"
    assert len(resumed_entries()) == 2


def test_a_run_whose_last_task_died_before_finishing_it_is_finished(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = approved_run_everyone_can_be_paid(coop, monkeypatch)
    with tasks_lost(coop.client.application):
        paying_run = coop.pay(run["id"])
    # Each payment commits, then its task dies before it looks whether the run is done.
    monkeypatch.setattr(paying, "finish_if_done", lambda run_id: None)
    for allocation in paying_run["allocations"]:
        paying.pay_allocation(allocation["id"])
    assert coop.get(run["id"])["status"] == "paying"

    # Nothing pending: finished at the next sweep, without waiting for a stall.
    assert stalled_payments.resume_stalled() == [
        stalled_payments.Resumed("dividend_run", run["id"], 0)
    ]
    assert coop.get(run["id"])["status"] == "paid"
    assert resumed_entries() == []
    [finished] = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == stalled_payments.FINISHED)
    ).scalars()
    assert finished.subject_id == str(run["id"])
    assert finished.actor_label == "scheduler"


def test_a_royalty_run_whose_tasks_were_lost_pays_each_member_once(shop: Payouts) -> None:
    shop.sell()
    due = shop.due()
    shop.connect()
    account_id = shop.account_id()
    shop.account_updated(account_id)
    with tasks_lost(shop.app):
        run = shop.pay_now()
    assert run["status"] == "running"
    assert [line["status"] for line in run["lines"]] == ["pending"]
    assert shop.transfers(account_id) == []

    assert stalled_payments.resume_stalled() == []
    resumed = stalled_payments.resume_stalled(utcnow() + STALLED)
    assert resumed == [stalled_payments.Resumed("payout_run", run["id"], 1)]
    assert [t.amount for t in shop.transfers(account_id)] == [due]
    assert shop.due() == 0
    assert stalled_payments.resume_stalled(utcnow() + 2 * STALLED) == []
    assert len(shop.transfers(account_id)) == 1
    shop.check_transfers_match_ledger(account_id)


def test_the_beat_sweeps_every_five_minutes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The worker module builds its app at import: in the test profile, in a folder of its own.
    monkeypatch.setenv("MARKETPLACE_ENV", "test")
    monkeypatch.setenv("MARKETPLACE_INSTANCE_PATH", str(tmp_path / "instance"))
    from workers.celery_app import celery

    entry = celery.conf.beat_schedule["resume-stalled-payments"]
    assert entry["task"] == "payouts.resume_stalled_payments"
    assert entry["schedule"].minute == set(range(0, 60, 5))
    celery.loader.import_default_modules()
    assert "payouts.resume_stalled_payments" in celery.tasks


def test_a_run_reopened_for_held_cash_counts_its_stall_from_then(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = member_id(coop.artist_a), member_id(coop.artist_b)
    accounts = {a: "acct_a", b: "acct_b"}
    sent: list[str] = []

    def transfer(**kwargs: Any) -> str:
        sent.append(kwargs["destination"])
        return f"tr_{len(sent)}"

    monkeypatch.setattr(services, "ready_payout_account", lambda s, m: accounts.get(m))
    monkeypatch.setattr(services, "stripe_transfer", transfer)
    run = coop.draft()
    coop.approve(run["id"])
    # Long ago: paid, but for the founder's and the staff member's cash, held.
    with clock_at(utcnow() - timedelta(days=30)):
        assert coop.pay(run["id"])["status"] == "partially_paid"
    founder = member_id(coop.founder)
    accounts[founder] = "acct_founder"
    with tasks_lost(coop.client.application):
        assert paying.pay_held(None, member_id=founder) == 1
    assert coop.get(run["id"])["status"] == "paying"
    # Its tasks were queued just now, not when the run started paying a month ago.
    assert stalled_payments.resume_stalled(utcnow() + timedelta(minutes=5)) == []
    assert stalled_payments.resume_stalled(utcnow() + STALLED)[0].queued == 1
    assert sent.count("acct_founder") == 1
    assert coop.get(run["id"])["status"] == "partially_paid"  # the staff member's cash is held
