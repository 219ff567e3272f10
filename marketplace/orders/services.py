"""Carts, orders and paying for them. Prices and terms always come from the server's tables.

Paying follows Stripe's "finalize payments on the server" flow: the page creates a
PaymentMethod with Stripe.js, and :func:`pay` creates and confirms the PaymentIntent with it.
An order becomes paid only when Stripe confirms it (webhook or re-check), in
:mod:`marketplace.payments.settlement`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.currencies import services as currencies
from marketplace.database import lock_row, unit_of_work, utcnow
from marketplace.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PaymentSetupProblem,
    ServiceUnavailable,
)
from marketplace.extensions import db
from marketplace.licensing import services as licensing
from marketplace.licensing.labels import licence_label
from marketplace.licensing.tiers import covers
from marketplace.orders import request_keys, taxing
from marketplace.orders.labels import status_words
from marketplace.orders.models import CartItem, Order, OrderItem
from marketplace.payments.gateway import GatewayError, PaymentDeclined, PaymentSetupError
from marketplace.payments.stripe_gateway import gateway

MAX_ITEMS = 50
# Stripe states in which a PaymentIntent may still take the buyer's money: never start another.
LIVE_PAYMENT_STATES = ("processing", "requires_action", "requires_confirmation", "succeeded")
# States in which the money is taken, or being taken, with nothing more asked of the buyer:
# while another order's payment is in one of them, a payment for a licence it covers waits.
# (One waiting for 3-D Secure does not block: the buyer may abandon it. If both go through
# after all, the second to settle is refunded: ``payments.settlement``.)
MONEY_ON_THE_WAY = ("processing", "succeeded")
MAX_REQUEST_KEY = 255


@dataclass(frozen=True)
class ItemRequest:
    asset_id: int
    licence: str
    size: str


@dataclass(frozen=True)
class Placed:
    """The order a request made, or the one an earlier identical request made (``created``
    False: a retry, a double click, a second tab)."""

    order: Order
    created: bool


@dataclass(frozen=True)
class PaymentResult:
    status: str  # processing | requires_action | failed
    payment_intent_id: str | None
    client_secret: str | None
    error: str | None


def _asset_for_sale(session: Session, asset_id: int) -> Asset:
    asset = session.get(Asset, asset_id)
    if asset is None or asset.status != "published" or asset.withdrawn_at is not None:
        raise InvalidInput(
            gettext("Asset %(id)s is not for sale.", id=asset_id),
            fields={"asset_id": gettext("Not for sale.")},
        )
    return asset


def _refuse_covered(session: Session, user: User, asset: Asset, licence: str, size: str) -> None:
    held = licensing.covering_licence(session, user.id, asset.id, licence, size)
    if held is not None:
        raise Conflict(
            gettext(
                "You already hold a %(held_licence)s %(held_size)s licence for “%(title)s”, "
                "which covers a %(licence)s %(size)s licence: there is no need to buy it again.",
                held_licence=licence_label(held.kind_code).lower(),
                held_size=held.size,
                title=asset.title,
                licence=licence_label(licence).lower(),
                size=size,
            ),
            code="already_licensed",
        )


def _new_order(
    session: Session,
    user: User,
    requests: Sequence[ItemRequest],
    currency: str | None = None,
    billing: taxing.Billing | None = None,
) -> Order:
    if not requests:
        raise InvalidInput(
            gettext("An order needs at least one item."), fields={"items": gettext("Empty.")}
        )
    if len(requests) > MAX_ITEMS:
        raise InvalidInput(
            gettext("An order holds at most %(count)s items.", count=MAX_ITEMS),
            fields={"items": gettext("Too many.")},
        )
    if len({r.asset_id for r in requests}) != len(requests):
        raise InvalidInput(
            gettext("Each asset can appear only once in an order."),
            fields={"items": gettext("Duplicate asset.")},
        )
    currency = currencies.checked_currency(session, currency or current_app.config["CURRENCY"])
    order = Order(buyer_id=user.id, currency=currency, total_cents=0, status="pending_payment")
    for request in requests:
        asset = _asset_for_sale(session, request.asset_id)
        quote = currencies.quote(session, asset, request.licence, request.size, currency)
        _refuse_covered(session, user, asset, request.licence, request.size)
        order.items.append(
            OrderItem(
                asset_id=asset.id,
                member_id=asset.member_id,
                licence=request.licence,
                terms_id=quote.terms_id,
                size=request.size,
                price_cents=quote.price_cents,
                royalty_bps=quote.royalty_bps,
            )
        )
    session.add(order)
    session.flush()
    taxing.tax_order(session, order, billing)
    return order


def _lock_buyer(session: Session, user_id: int) -> None:
    """Take the buyer's row lock until the transaction ends.

    A buyer's checkouts, orders made with a key, payments and settlements take it (after
    any order row they lock, never before: the same order everywhere, so no deadlock), so
    that each sees what the one before it did: the order a checkout made, the payment
    another order started, the licence another settlement issued.
    """
    lock_row(session, User, user_id)


def _checked_key(request_key: str | None) -> str | None:
    if request_key is None:
        return None
    if not (0 < len(request_key) <= MAX_REQUEST_KEY and request_key.isprintable()):
        raise InvalidInput(
            gettext(
                "Idempotency-Key must be 1 to %(max)s printable characters.", max=MAX_REQUEST_KEY
            ),
            fields={"Idempotency-Key": gettext("Invalid.")},
        )
    return request_key


def _order_with_key(session: Session, user: User, request_key: str | None) -> Order | None:
    if request_key is None:
        return None
    return session.execute(
        sa.select(Order).where(Order.buyer_id == user.id, Order.request_key == request_key)
    ).scalar_one_or_none()


def create_order(
    user: User,
    requests: Sequence[ItemRequest],
    request_key: str | None = None,
    currency: str | None = None,
    billing: taxing.Billing | None = None,
) -> Placed:
    """A pending order at the server's prices in ``currency`` (one on sale; the settlement
    currency by default), taxed for ``billing`` (``orders.taxing``); refuses what the buyer
    already licenses.

    With ``request_key`` (the client's Idempotency-Key), the same key again answers with the
    order it made; the same key with other items is refused.
    """
    request_key = _checked_key(request_key)
    with unit_of_work() as session:
        _lock_buyer(session, user.id)
        earlier = _order_with_key(session, user, request_key)
        if earlier is not None:
            asked = sorted((r.asset_id, r.licence, r.size) for r in requests)
            if asked != sorted((i.asset_id, i.licence, i.size) for i in earlier.items):
                raise InvalidInput(
                    gettext(
                        "This Idempotency-Key was used for order %(number)s, with other items.",
                        number=earlier.id,
                    ),
                    code="idempotency_key_reused",
                    fields={"Idempotency-Key": gettext("Used for another order.")},
                )
            request_keys.check_same_terms(earlier, currency, billing)
            return Placed(earlier, created=False)
        order = _new_order(session, user, requests, currency, billing)
        order.request_key = request_key
        return Placed(order, created=True)


def checkout_cart(
    user: User,
    request_key: str | None = None,
    currency: str | None = None,
    billing: taxing.Billing | None = None,
) -> Placed:
    """An order from everything in the cart, which is emptied in the same transaction.

    Idempotent: checkouts of one cart take the buyer's lock in turn, so the first makes the
    order and empties the cart; the others find it empty and answer with that order (the
    newest made from the cart that still waits for payment). With ``request_key``, the
    order made with that key.
    """
    request_key = _checked_key(request_key)
    with unit_of_work() as session:
        _lock_buyer(session, user.id)
        earlier = _order_with_key(session, user, request_key)
        if earlier is not None:
            request_keys.check_same_terms(earlier, currency, billing)
            return Placed(earlier, created=False)
        lines = cart_lines(session, user)
        if not lines and request_key is None:
            earlier = session.execute(
                sa.select(Order)
                .where(
                    Order.buyer_id == user.id,
                    Order.from_cart.is_(True),
                    Order.status == "pending_payment",
                )
                .order_by(Order.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            if earlier is not None:
                return Placed(earlier, created=False)
        wanted = [ItemRequest(c.asset_id, c.licence, c.size) for c in lines]
        order = _new_order(session, user, wanted, currency, billing)
        order.from_cart, order.request_key = True, request_key
        session.execute(sa.delete(CartItem).where(CartItem.user_id == user.id))
        return Placed(order, created=True)


def get_order(user: User, order_id: int) -> Order:
    """The order, for its buyer or an admin; anyone else is told it does not exist."""
    order = db.session.get(Order, order_id, options=[selectinload(Order.items)])
    if order is None or (order.buyer_id != user.id and not user.is_admin):
        raise NotFound(gettext("No such order."))
    return order


def orders_of(user: User, page: int, per_page: int) -> Pagination:
    return db.paginate(
        sa.select(Order)
        .where(Order.buyer_id == user.id)
        .order_by(Order.id.desc())
        # A page's items and tax lines in two queries, not two per order.
        .options(selectinload(Order.items), selectinload(Order.tax_lines)),
        page=page,
        per_page=per_page,
        error_out=False,
    )


# --- paying ------------------------------------------------------------------------------


def pay(user: User, order_id: int, payment_method: str) -> PaymentResult:
    """Create and confirm the order's PaymentIntent with ``payment_method``.

    The order row stays locked during the call to Stripe, so a double click or two tabs
    cannot start two payments: the second waits, then finds the first one's PaymentIntent
    and answers with its state instead of charging again. Each attempt has its own
    idempotency key (order id and attempt number): a network retry of the same attempt is
    the same payment at Stripe.
    """
    if not (isinstance(payment_method, str) and payment_method.startswith("pm_")):
        raise InvalidInput(
            gettext("payment_method must be a Stripe PaymentMethod id (pm_...)."),
            fields={"payment_method": gettext("Invalid.")},
        )
    with unit_of_work() as session:
        order = lock_row(session, Order, order_id)
        if order is None or order.buyer_id != user.id:
            raise NotFound(gettext("No such order."))
        if order.status != "pending_payment":
            raise Conflict(
                gettext(
                    "This order is %(status)s; it cannot be paid.",
                    status=status_words(order.status),
                )
            )
        _refuse_paying_twice(session, user, order)
        stripe = gateway()
        if order.payment_intent_id and order.payment_status in LIVE_PAYMENT_STATES:
            with _stripe_errors_said_plainly():
                current = stripe.retrieve_payment_intent(order.payment_intent_id)
            if current.status in LIVE_PAYMENT_STATES:
                order.payment_status = current.status
                return _result(current.status, current.id, current.client_secret, None)
        order.payment_attempts += 1
        order.payment_started_at = utcnow()
        try:
            with _stripe_errors_said_plainly():
                intent = stripe.create_and_confirm(
                    amount_cents=order.total_cents,
                    currency=order.currency,
                    payment_method=payment_method,
                    metadata={"order_id": str(order.id)},
                    idempotency_key=order.payment_key(),
                    transfer_group=f"order-{order.id}",
                    return_url=None,
                )
        except PaymentDeclined as declined:
            order.payment_intent_id = declined.payment_intent_id or order.payment_intent_id
            order.payment_status = "requires_payment_method"
            order.payment_error = declined.message
            return PaymentResult("failed", declined.payment_intent_id, None, declined.message)
        order.payment_intent_id = intent.id
        order.payment_status = intent.status
        order.payment_error = intent.error_message or ""
        if intent.status == "requires_payment_method":
            return PaymentResult(
                "failed", intent.id, None, order.payment_error or gettext("Declined.")
            )
        return _result(intent.status, intent.id, intent.client_secret, None)


def _refuse_paying_twice(session: Session, user: User, order: Order) -> None:
    """Refuse (409 already_licensed) to take money for a licence the buyer holds, or that
    another of their orders is being paid for.

    The buyer's lock is held from here until the payment's answer is stored (the Stripe call
    included), so two orders paid at once are checked one after the other: the second sees
    the first one's payment. (Without it, both would find no licence and both be charged.)
    """
    _lock_buyer(session, user.id)
    # Another order may have licensed the same work since this one was made.
    for item in order.items:
        _refuse_covered(session, user, item.asset, item.licence, item.size)
    paying = session.execute(
        sa.select(Order).where(
            Order.buyer_id == user.id,
            Order.id != order.id,
            Order.status == "pending_payment",
            Order.payment_status.in_(MONEY_ON_THE_WAY),
        )
    ).scalars()
    for other in paying:
        for theirs in other.items:
            for ours in order.items:
                if theirs.asset_id == ours.asset_id and covers(
                    theirs.licence, theirs.size, ours.licence, ours.size
                ):
                    raise Conflict(
                        gettext(
                            "Your order %(number)s is being paid and includes a %(licence)s "
                            "%(size)s licence for “%(title)s”, which covers this one: there is "
                            "no need to pay for it again.",
                            number=other.id,
                            licence=licence_label(theirs.licence).lower(),
                            size=theirs.size,
                            title=ours.asset.title,
                        ),
                        code="already_licensed",
                    )


def confirm_after_action(user: User, order_id: int) -> PaymentResult:
    """After 3-D Secure in the page, confirm the PaymentIntent when Stripe waits for that.

    Stripe's "finalize on the server" flow leaves the PaymentIntent ``requires_confirmation``
    once the buyer authenticated; the emulator charges at once. Either way the answer says
    what the page should do next.
    """
    with unit_of_work() as session:
        order = lock_row(session, Order, order_id)
        if order is None or order.buyer_id != user.id:
            raise NotFound(gettext("No such order."))
        if not order.payment_intent_id:
            raise Conflict(gettext("This order has no payment under way."))
        stripe = gateway()
        try:
            with _stripe_errors_said_plainly():
                intent = stripe.retrieve_payment_intent(order.payment_intent_id)
                if intent.status == "requires_confirmation":
                    # Another order may have been paid for the same work while the buyer
                    # authenticated: confirming now would charge twice.
                    _refuse_paying_twice(session, user, order)
                    intent = stripe.confirm_payment_intent(intent.id, order.payment_key("-confirm"))
        except PaymentDeclined as declined:
            order.payment_status, order.payment_error = "requires_payment_method", declined.message
            return PaymentResult("failed", order.payment_intent_id, None, declined.message)
        order.payment_status = intent.status
        if intent.status == "requires_payment_method":
            order.payment_error = intent.error_message or gettext(
                "The bank did not authenticate the payment."
            )
            return PaymentResult("failed", intent.id, None, order.payment_error)
        return _result(intent.status, intent.id, intent.client_secret, None)


@contextmanager
def _stripe_errors_said_plainly() -> Iterator[None]:
    """Stripe's failures as the buyer should hear them: a card decline passes through (the
    caller answers it); the co-op's own setup at fault is a PaymentSetupProblem; anything else
    is Stripe not answering, which a retry may mend (every call carries an idempotency key)."""
    try:
        yield
    except PaymentDeclined:
        raise
    except PaymentSetupError:
        raise PaymentSetupProblem() from None
    except GatewayError:
        raise ServiceUnavailable(
            gettext(
                "The payment service did not answer. Please try again: a retry never charges twice."
            )
        ) from None


def _result(
    stripe_status: str, intent_id: str, client_secret: str | None, error: str | None
) -> PaymentResult:
    if stripe_status == "requires_action":
        return PaymentResult("requires_action", intent_id, client_secret, error)
    return PaymentResult("processing", intent_id, client_secret, error)


# --- the cart ----------------------------------------------------------------------------


def cart_lines(session: Session, user: User) -> list[CartItem]:
    return list(
        session.execute(
            sa.select(CartItem).where(CartItem.user_id == user.id).order_by(CartItem.id)
        ).scalars()
    )


def add_to_cart(user: User, request: ItemRequest) -> CartItem:
    """Put an asset in the cart (or change its licence and size), checked as an order would be.

    Without a licence or size (saved from a lightbox), a standard licence at the largest size
    the original reaches: the cart lets the buyer change it.
    """
    with unit_of_work() as session:
        asset = _asset_for_sale(session, request.asset_id)
        if not (request.licence and request.size):
            prices = licensing.asset_prices(session, asset, current_app.config["CURRENCY"])
            standard = [p for p in prices if p.licence == (request.licence or "standard")]
            if not standard:
                raise InvalidInput(
                    gettext("“%(title)s” is not offered in any size.", title=asset.title)
                )
            request = ItemRequest(asset.id, standard[-1].licence, standard[-1].size)
        licensing.quote(
            session, asset, request.licence, request.size, current_app.config["CURRENCY"]
        )
        _refuse_covered(session, user, asset, request.licence, request.size)
        line = session.execute(
            sa.select(CartItem).where(CartItem.user_id == user.id, CartItem.asset_id == asset.id)
        ).scalar_one_or_none()
        if line is None:
            line = CartItem(user_id=user.id, asset_id=asset.id)
            session.add(line)
        line.licence, line.size = request.licence, request.size
        session.flush()
        return line


def remove_from_cart(user: User, asset_id: int) -> None:
    with unit_of_work() as session:
        session.execute(
            sa.delete(CartItem).where(CartItem.user_id == user.id, CartItem.asset_id == asset_id)
        )


# Built once, run through Core: every signed-in header asks it, and the ORM's work per call
# cost more than the count.
_CART_COUNT = sa.select(sa.func.count()).where(CartItem.user_id == sa.bindparam("user_id"))


def cart_count(user: User) -> int:
    return int(db.session.connection().execute(_CART_COUNT, {"user_id": user.id}).scalar_one())
