"""Dividend runs on SQLite: four eyes, balanced entries on approval, and paying once: members
without a payout account held, refused transfers retried under a new key, crashes retried
under the same one."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.orm import Session

from marketplace.dividends import paying, services
from marketplace.dividends.models import DividendAllocation
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.ledger.core import DIVIDENDS_PAYABLE, MEMBER_CAPITAL
from marketplace.payments.gateway import TransferRefused
from tests.fixtures.dividends import (
    RUNS,
    Coop,
    by_member,
    coop_fixture,  # noqa: F401 - a fixture, found here by pytest as ``coop``
    entry_keys,
    member_id,
)


def test_four_eyes_then_approval_posts_balanced_entries(coop: Coop) -> None:
    run = coop.draft()
    response = coop.client.post(f"{RUNS}/{run['id']}/approve", headers=coop.drafter_headers)
    assert response.status_code == 403
    assert "another admin" in response.get_json()["error"]["message"]

    approved = coop.approve(run["id"])
    assert approved["status"] == "approved"
    session = db.session()
    keys = entry_keys(session)
    for kind in ("dividend_closing", "dividend_reserve", "dividend_allocation"):
        assert f"{kind}:{run['id']}" in keys
    # The costs were recorded as they happened: the run posts no lump of its own.
    assert f"operating_costs:{run['id']}" not in keys
    balance = ledger.trial_balance(session, "USD")
    assert balance.total_debits_cents == balance.total_credits_cents
    a = member_id(coop.artist_a)
    allocation = by_member(run)[a]
    assert ledger.member_balance(session, a, "USD", DIVIDENDS_PAYABLE) == allocation["cash_cents"]
    assert (
        ledger.member_balance(session, a, "USD", MEMBER_CAPITAL) == (allocation["retained_cents"])
    )

    # Approving again posts nothing more; an approved run cannot be discarded.
    assert coop.approve(run["id"])["status"] == "approved"
    assert entry_keys(session) == keys
    response = coop.client.delete(f"{RUNS}/{run['id']}", headers=coop.approver_headers)
    assert response.status_code == 409
    # Its period is closed: a new draft over it is refused.
    again = coop.client.post(RUNS, json=coop.body(), headers=coop.drafter_headers)
    assert again.status_code == 409


def test_a_draft_cannot_be_paid(coop: Coop) -> None:
    run = coop.draft()
    response = coop.client.post(f"{RUNS}/{run['id']}/pay", headers=coop.approver_headers)
    assert response.status_code == 409


def test_members_without_a_payout_account_are_held_and_paying_twice_queues_once(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[tuple[str, tuple[Any, ...]]] = []
    original = paying.enqueue

    def recording(session: Session, name: str, *args: Any) -> None:
        queued.append((name, args))
        original(session, name, *args)

    monkeypatch.setattr(paying, "enqueue", recording)
    run = coop.draft()
    coop.approve(run["id"])
    paid = coop.pay(run["id"])
    again = coop.pay(run["id"])

    assert len(queued) == len(run["allocations"]) == 4
    assert {args[0] for _, args in queued} == {a["id"] for a in run["allocations"]}
    # Held cash has not been paid: a run that paid nobody is not "paid".
    assert paid["status"] == again["status"] == "partially_paid"
    assert again["progress"] == {"pending": 0, "paid": 0, "held": 4, "failed": 0}
    assert sorted(h["member_id"] for h in again["cash_held"]) == sorted(
        a["member_id"] for a in run["allocations"]
    )
    assert all(a["status"] == "held" for a in again["allocations"])
    session = db.session()
    # Held cash stays in dividends payable; nothing left through Stripe clearing.
    assert not [k for k in entry_keys(session) if k.startswith("dividend_payment:")]
    a = member_id(coop.artist_a)
    assert (
        ledger.member_balance(session, a, "USD", DIVIDENDS_PAYABLE)
        == (by_member(run)[a]["cash_cents"])
    )


def test_transfers_are_sent_once_and_refusals_are_retried_under_a_new_key(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = member_id(coop.artist_a), member_id(coop.artist_b)
    accounts = {a: "acct_artist_a", b: "acct_artist_b"}
    sent: list[dict[str, Any]] = []
    refuse = {"acct_artist_b"}

    def transfer(**kwargs: Any) -> str:
        sent.append(kwargs)
        if kwargs["destination"] in refuse:
            raise TransferRefused("The destination account cannot receive transfers yet.")
        return f"tr_{len(sent)}"

    monkeypatch.setattr(services, "ready_payout_account", lambda s, m: accounts.get(m))
    monkeypatch.setattr(services, "stripe_transfer", transfer)
    run = coop.draft()
    coop.approve(run["id"])
    first = coop.pay(run["id"])

    assert first["status"] == "partially_paid"
    assert first["progress"] == {"pending": 0, "paid": 1, "held": 2, "failed": 1}
    assert first["failures"] == [
        {
            "member_id": b,
            "member_number": by_member(run)[b]["member_number"],
            "reason": "The destination account cannot receive transfers yet.",
        }
    ]
    allocation_a = by_member(first)[a]
    assert allocation_a["status"] == "paid"
    assert allocation_a["stripe_transfer_id"] == "tr_1"
    assert re.fullmatch(
        rf"dividend-allocation-{allocation_a['id']}-[0-9a-f]{{32}}", sent[0]["idempotency_key"]
    )
    assert sent[0]["amount_cents"] == allocation_a["cash_cents"]
    session = db.session()
    assert ledger.member_balance(session, a, "USD", DIVIDENDS_PAYABLE) == 0
    assert f"dividend_payment:{allocation_a['id']}" in entry_keys(session)

    refuse.clear()
    second = coop.pay(run["id"])
    # Two members' cash is still held (no payout account): the run is not paid yet.
    assert second["status"] == "partially_paid"
    assert second["progress"] == {"pending": 0, "paid": 2, "held": 2, "failed": 0}
    # Member A is not paid again; B's retry uses a new key (Stripe keeps the refusal).
    assert [s["destination"] for s in sent] == ["acct_artist_a", "acct_artist_b", "acct_artist_b"]
    allocation_b = by_member(second)[b]
    assert re.fullmatch(
        rf"dividend-allocation-{allocation_b['id']}-[0-9a-f]{{32}}-1", sent[2]["idempotency_key"]
    )
    coop.pay(run["id"])
    assert len(sent) == 3
    balance = ledger.trial_balance(session, "USD")
    assert balance.total_debits_cents == balance.total_credits_cents


def test_a_crash_before_commit_retries_under_the_same_key(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys: list[str] = []
    a = member_id(coop.artist_a)
    monkeypatch.setattr(services, "ready_payout_account", lambda s, m: "acct_a" if m == a else None)

    def transfer(**kwargs: Any) -> str:
        keys.append(kwargs["idempotency_key"])
        return "tr_same"

    run = coop.draft()
    coop.approve(run["id"])
    allocation_id = by_member(run)[a]["id"]

    def crash(**kwargs: Any) -> str:
        transfer(**kwargs)
        raise RuntimeError("worker lost")

    with pytest.raises(RuntimeError):
        paying.pay_allocation(allocation_id, payer=crash)
    assert db.session.get(DividendAllocation, allocation_id).status == "pending"  # type: ignore[union-attr]
    paying.pay_allocation(allocation_id, payer=transfer)
    paying.pay_allocation(allocation_id, payer=transfer)
    assert len(keys) == 2
    assert keys[0] == keys[1]
    assert re.fullmatch(rf"dividend-allocation-{allocation_id}-[0-9a-f]{{32}}", keys[0])
