"""Random sequences of the money's life, checked against a model after every step.

A hypothesis state machine buys, pays, confirms, refunds (some items or the rest), disputes
(won, lost, closed before it was opened) and replays Stripe's webhooks (the same event id, or
the same object under a new id), all through the real API and the signed webhook endpoint of
the fast-tier app, paying through the real Stripe emulator. After every step:

* the ledger balances;
* each member's royalties payable are exactly the royalties of the items sold and not
  refunded or lost in a dispute;
* no licence outlives its refund, every item has at most one licence, and every licence is
  in the state the model expects (valid, disputed, refunded);
* the journal holds exactly one entry per cause (a sale per paid order, one per refund, one per
  lost dispute), so a replayed webhook posts nothing;
* orders and items are in the statuses the model expects, and every webhook was processed.

Each example is a fresh world: its own copy of the migrated database, members, buyers and an
admin, built in the machine's ``__init__`` and closed in ``teardown``. The Stripe emulator is
the session's; each example talks to it with a secret key of its own, so that idempotency keys
never collide with an earlier example's (whose ids also started at 1).

Set ``MONEY_MACHINE_EXAMPLES`` (and ``MONEY_MACHINE_STEPS``) to hunt for bugs for longer.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule, run_state_machine_as_test

from marketplace.ledger import services as ledger
from marketplace.ledger.core import royalty_split
from marketplace.ledger.models import JournalEntry, JournalLine
from marketplace.licensing.models import Licence
from marketplace.orders.models import Order, OrderItem
from marketplace.payments.models import StripeEvent
from tests.fixtures.mail import SmtpSink
from tests.fixtures.money_machine import (
    ARTWORK,
    BUYERS,
    LICENCES,
    DisputeModel,
    ItemModel,
    MoneyWorld,
    OrderModel,
    World,
    next_dispute_id,
    reading,
)
from tests.fixtures.payments import DECLINED_CARD, dispute_event, stripe_event
from tests.fixtures.stripe_emulator import StripeEmulator


class MoneyMachine(MoneyWorld):
    @rule(
        buyer=st.integers(0, BUYERS - 1),
        assets=st.permutations(range(len(ARTWORK))),
        # Mostly several items: partial refunds need them.
        count=st.sampled_from([2, 3, 1]),
        choices=st.lists(
            st.tuples(st.sampled_from(LICENCES), st.integers(0, 2)), min_size=3, max_size=3
        ),
        then=st.sampled_from(["confirm", "nothing", "charge", "confirm twice"]),
    )
    def buy(
        self,
        buyer: int,
        assets: list[int],
        count: int,
        choices: list[tuple[str, int]],
        then: str,
    ) -> None:
        """A buyer orders 1-3 assets in a licence and a size each asset is sold in; maybe pays,
        maybe the webhook confirms it (maybe twice)."""
        wanted = [
            (asset, licence, self.assets[asset][2][size % len(self.assets[asset][2])])
            for asset, (licence, size) in zip(assets[:count], choices, strict=False)
        ]
        response = self.client.post(
            "/api/v1/orders",
            json={
                "items": [
                    {"asset_id": self.assets[asset][0], "licence": licence, "size": size}
                    for asset, licence, size in wanted
                ]
            },
            headers=self.buyer_headers[buyer],
        )
        covered = any(self._covered(buyer, *pick) for pick in wanted)
        if response.status_code == 409:
            assert response.get_json()["error"]["code"] == "already_licensed"
            assert covered, f"refused as already licensed, but the buyer holds no cover: {wanted}"
            return
        assert response.status_code == 201, response.get_json()
        assert not covered, f"sold a licence the buyer already holds: {wanted}"
        body = response.get_json()
        items = []
        for (asset, licence, size), item in zip(wanted, body["items"], strict=True):
            surcharge, bps = self.terms[licence]
            assert item["asset_id"] == self.assets[asset][0]
            assert item["price_cents"] == self.size_prices[size] + surcharge
            items.append(
                ItemModel(
                    item["id"],
                    asset,
                    licence,
                    size,
                    item["price_cents"],
                    bps,
                    self.assets[asset][1],
                )
            )
        order = OrderModel(body["id"], buyer, items, body["total_cents"])
        assert order.total_cents == sum(item.price_cents for item in items)
        self.orders[order.id] = order
        if then != "nothing":
            self._charge(order)
        if then.startswith("confirm") and order.intent_id is not None:
            self._confirm(order, twice=then == "confirm twice")

    @precondition(lambda self: any(not o.paid for o in self.orders.values()))
    @rule(data=st.data())
    def pay(self, data: st.DataObject) -> None:
        """Pay a pending order (again, if it was charged: the same payment comes back)."""
        order_id = data.draw(st.sampled_from(self._orders(lambda o: not o.paid)), "order")
        self._charge(self.orders[order_id])

    @precondition(lambda self: any(o.intent_id is None for o in self.orders.values()))
    @rule(data=st.data())
    def pay_declined(self, data: st.DataObject) -> None:
        """A declined card: the order waits for another try, its failed event changes nothing."""
        order_id = data.draw(st.sampled_from(self._orders(lambda o: o.intent_id is None)), "order")
        declined = self._pay(self.orders[order_id], DECLINED_CARD)
        if declined is None:
            return
        assert declined["status"] == "failed", declined
        intent = declined["payment_intent_id"]
        assert intent, declined
        self._deliver(
            stripe_event(
                "payment_intent.payment_failed", {"id": intent, "object": "payment_intent"}
            )
        )

    @precondition(lambda self: any(o.intent_id and not o.paid for o in self.orders.values()))
    @rule(data=st.data(), twice=st.booleans())
    def confirm(self, data: st.DataObject, twice: bool) -> None:
        """Stripe's payment_intent.succeeded for a charged order (maybe delivered twice)."""
        order_id = data.draw(
            st.sampled_from(self._orders(lambda o: o.intent_id and not o.paid)), "order"
        )
        self._confirm(self.orders[order_id], twice)

    @precondition(lambda self: bool(self.orders))
    @rule(data=st.data())
    def refund_some(self, data: st.DataObject) -> None:
        """An admin refunds some items (or everything left) of any order: refused when the
        order is not paid, is disputed, or an item is refunded already."""
        order = self.orders[data.draw(st.sampled_from(sorted(self.orders)), "order")]
        ids = data.draw(
            st.lists(st.sampled_from([i.id for i in order.items]), min_size=1, unique=True),
            "items",
        )
        self._refund(order, data.draw(st.sampled_from([ids, None]), "all left?"))

    @precondition(lambda self: any(o.refundable for o in self.orders.values()))
    @rule(data=st.data())
    def refund_active(self, data: st.DataObject) -> None:
        """An admin refunds some of a refundable order's active items (leaving one at least,
        when there are several: ``refund_rest`` refunds them all)."""
        order = self.orders[
            data.draw(st.sampled_from(self._orders(lambda o: o.refundable)), "order")
        ]
        active = [i.id for i in order.items if i.active]
        some = st.lists(
            st.sampled_from(active), min_size=1, max_size=max(1, len(active) - 1), unique=True
        )
        self._refund(order, data.draw(some, "items"))

    @precondition(lambda self: any(o.refundable for o in self.orders.values()))
    @rule(data=st.data())
    def refund_rest(self, data: st.DataObject) -> None:
        """An admin's 'refund everything left' on a refundable order."""
        order = self.orders[
            data.draw(st.sampled_from(self._orders(lambda o: o.refundable)), "order")
        ]
        self._refund(order, None)

    @precondition(lambda self: any(o.charge_id for o in self.orders.values()))
    @rule(data=st.data())
    def charge_refunded(self, data: st.DataObject) -> None:
        """Stripe's charge.refunded: our refunds are recognised, not applied again."""
        order = self.orders[
            data.draw(st.sampled_from(self._orders(lambda o: o.charge_id)), "order")
        ]
        self._deliver(stripe_event("charge.refunded", {"id": order.charge_id, "object": "charge"}))
        self._settle(order)

    @precondition(lambda self: any(o.charge_id and not o.dispute for o in self.orders.values()))
    @rule(data=st.data())
    def open_dispute(self, data: st.DataObject) -> None:
        """The buyer's bank disputes the charge: licences are suspended while it is open."""
        order = self.orders[
            data.draw(
                st.sampled_from(self._orders(lambda o: o.charge_id and not o.dispute)), "order"
            )
        ]
        assert order.charge_id is not None
        dispute_id = next_dispute_id()
        self._deliver(
            dispute_event(
                "charge.dispute.created",
                dispute_id,
                order.charge_id,
                order.total_cents,
                "needs_response",
            )
        )
        self._settle(order)
        active = any(item.active for item in order.items)
        order.dispute = DisputeModel(dispute_id, order.charge_id, order.total_cents, active)

    @precondition(
        lambda self: any(o.dispute and o.dispute.outcome is None for o in self.orders.values())
    )
    @rule(data=st.data(), outcome=st.sampled_from(["won", "lost"]))
    def close_dispute(self, data: st.DataObject, outcome: str) -> None:
        """The dispute closes: won restores the licences, lost reverses the sale."""
        order = self.orders[
            data.draw(
                st.sampled_from(self._orders(lambda o: o.dispute and o.dispute.outcome is None)),
                "order",
            )
        ]
        assert order.dispute is not None
        self._close(order, order.dispute, outcome)

    @precondition(lambda self: any(o.charge_id and not o.dispute for o in self.orders.values()))
    @rule(data=st.data(), outcome=st.sampled_from(["won", "lost"]))
    def dispute_closed_before_opened(self, data: st.DataObject, outcome: str) -> None:
        """Webhooks arrive out of order: the dispute's closing first, its opening late."""
        order = self.orders[
            data.draw(
                st.sampled_from(self._orders(lambda o: o.charge_id and not o.dispute)), "order"
            )
        ]
        assert order.charge_id is not None
        dispute = DisputeModel(
            next_dispute_id(),
            order.charge_id,
            order.total_cents,
            suspended=False,
        )
        order.dispute = dispute
        self._close(order, dispute, outcome)
        self._deliver(
            dispute_event(
                "charge.dispute.created",
                dispute.id,
                dispute.charge_id,
                dispute.amount_cents,
                "needs_response",
            )
        )

    @precondition(lambda self: bool(self.delivered))
    @rule(data=st.data(), new_id=st.booleans())
    def replay(self, data: st.DataObject, new_id: bool) -> None:
        """An earlier event again: the same delivery (deduplicated by id), or the same object
        under a new event id (processed again, and must change nothing)."""
        earlier = data.draw(st.sampled_from(self.delivered), "event")
        if new_id:
            self._deliver(stripe_event(earlier["type"], copy.deepcopy(earlier["data"]["object"])))
        else:
            self._deliver(earlier, duplicate=True)

    @invariant()
    def the_ledger_balances(self) -> None:
        with reading() as session:
            balance = ledger.trial_balance(session, "USD")
            assert balance.total_debits_cents == balance.total_credits_cents
            sides = dict(
                session.execute(
                    sa.select(JournalLine.side, sa.func.sum(JournalLine.amount_cents)).group_by(
                        JournalLine.side
                    )
                ).all()
            )
            assert sides.get("debit", 0) == sides.get("credit", 0)

    @invariant()
    def royalties_payable_are_the_royalties_of_what_is_still_sold(self) -> None:
        expected = dict.fromkeys(self.member_ids, 0)
        for order in self.orders.values():
            if order.paid:
                for item in order.items:
                    if item.active:
                        expected[item.member_id] += royalty_split(
                            item.price_cents, item.royalty_bps
                        )[0]
        with reading() as session:
            actual = {m: ledger.member_balance(session, m, "USD") for m in self.member_ids}
        assert actual == expected

    @invariant()
    def licences_follow_their_items(self) -> None:
        with reading() as session:
            # The example's own licences: on PostgreSQL other tests' rows share the database.
            own_licences = sa.and_(
                Licence.id > self.floor.licence, Licence.order_item_id > self.floor.item
            )
            outliving = session.execute(
                sa.select(Licence.id, OrderItem.id)
                .join(OrderItem, OrderItem.id == Licence.order_item_id)
                .where(OrderItem.status == "refunded", Licence.status == "valid", own_licences)
            ).all()
            assert not outliving, f"valid licences of refunded items: {outliving}"
            per_item = dict(
                session.execute(
                    sa.select(Licence.order_item_id, sa.func.count())
                    .where(own_licences)
                    .group_by(Licence.order_item_id)
                ).all()
            )
            assert all(count == 1 for count in per_item.values()), per_item
            statuses = dict(
                session.execute(
                    sa.select(Licence.order_item_id, Licence.status).where(own_licences)
                ).all()
            )
            linked = dict(
                session.execute(
                    sa.select(OrderItem.id, OrderItem.licence_id).where(
                        OrderItem.id > self.floor.item
                    )
                ).all()
            )
            licence_ids = dict(
                session.execute(
                    sa.select(Licence.order_item_id, Licence.id).where(own_licences)
                ).all()
            )
        expected = {
            item.id: order.licence_status(item)
            for order in self.orders.values()
            for item in order.items
            if order.licence_status(item) is not None
        }
        assert statuses == expected
        assert {i: lic for i, lic in linked.items() if lic is not None} == licence_ids

    @invariant()
    def one_journal_entry_per_cause(self) -> None:
        with reading() as session:
            keys = list(
                session.execute(
                    sa.select(JournalEntry.idempotency_key).where(
                        JournalEntry.id > self.floor.entry
                    )
                ).scalars()
            )
        expected = {f"order:{o.id}:paid" for o in self.orders.values() if o.paid}
        expected |= self.refund_keys | self.lost_keys
        assert len(keys) == len(set(keys))
        assert set(keys) == expected

    @invariant()
    def orders_are_where_the_model_says(self) -> None:
        with reading() as session:
            orders = dict(
                session.execute(
                    sa.select(Order.id, Order.status).where(Order.id > self.floor.order)
                ).all()
            )
            items = dict(
                session.execute(
                    sa.select(OrderItem.id, OrderItem.status).where(OrderItem.id > self.floor.item)
                ).all()
            )
            events = dict(
                session.execute(
                    sa.select(StripeEvent.id, StripeEvent.status).where(
                        StripeEvent.id.not_in(self.floor.events)
                    )
                ).all()
            )
        assert orders == {o.id: o.status for o in self.orders.values()}
        assert items == {
            item.id: "active" if item.active else "refunded"
            for order in self.orders.values()
            for item in order.items
        }
        unprocessed = {e: s for e, s in events.items() if s != "processed"}
        assert not unprocessed, f"webhooks not processed: {unprocessed}"


EXAMPLES = int(os.environ.get("MONEY_MACHINE_EXAMPLES", "15"))
STEPS = int(os.environ.get("MONEY_MACHINE_STEPS", "12"))


# Generating takes about a minute; if an example fails, hypothesis then shrinks it for up to
# five minutes more (its own limit): let it finish and print the minimal failing sequence.
@pytest.mark.timeout(900)
def test_money_state_machine(
    migrated_sqlite: Path,
    smtp_sink: SmtpSink,
    stripe_emulator: StripeEmulator,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The numbers are a time budget. An example costs 2-4 s: a fresh database copy and eight
    accounts made through the services (an admin, two buyers, three members each with a
    membership application, an image and its approval, and the admin who approved it), then
    each step is a few HTTP calls to the emulator and signed webhooks processed inline, with
    a dozen queries for the invariants after it. 15 examples of up to 12 steps run in 30-70 s,
    inside the ~90 s the fast tier allows one test, and 12 steps are enough to buy, pay, refund
    part of an order, dispute it and replay its events. Searching harder is a matter of
    MONEY_MACHINE_EXAMPLES / MONEY_MACHINE_STEPS (300 x 25 ran clean in about 20 minutes)."""
    MoneyMachine.world = World(
        smtp_sink, stripe_emulator, tmp_path_factory, migrated_sqlite=migrated_sqlite
    )
    _run(EXAMPLES, STEPS)


PG_EXAMPLES = int(os.environ.get("MONEY_MACHINE_PG_EXAMPLES", "10"))


@pytest.mark.services
@pytest.mark.timeout(900)
def test_money_state_machine_on_postgres_with_the_worker(
    services_app: Flask,
    stripe_emulator: StripeEmulator,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The same machine on the production profile: PostgreSQL, and the real Celery worker over
    Redis doing what the webhooks and refunds queue (each step waits for it). PostgreSQL refuses
    what SQLite lets by (a lock over an outer join failed every refund); this is where that
    shows. All examples share the services database, so each looks only at its own rows.
    10 examples of up to 12 steps take about two minutes."""
    MoneyMachine.world = World(None, stripe_emulator, tmp_path_factory, services_app=services_app)
    _run(PG_EXAMPLES, STEPS)


def _run(examples: int, steps: int) -> None:
    run_state_machine_as_test(
        MoneyMachine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
