"""The email a buyer gets when their order is paid: licences bought, and where to download.

Composed after the payment committed, by a task that takes the ids of the orders paid
together (one per batch of payments rather than one per email), and handed to the mail
backend one message after another. The same task issues each order's invoice first (in its
own transaction, see ``invoices.services``), so the email gives its number and address.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale, gettext

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.background import enqueue
from marketplace.database import unit_of_work
from marketplace.i18n.languages import DEFAULT_LANGUAGE
from marketplace.invoices import services as invoices
from marketplace.mail import OutgoingEmail, deliver, public_base_url
from marketplace.orders.models import Order, OrderItem

log = logging.getLogger(__name__)


def compose_receipts(
    order_ids: list[int], invoice_numbers: dict[int, str] | None = None
) -> list[OutgoingEmail]:
    """The ``order_paid`` email of each paid order, in the order of ``order_ids``;
    ``invoice_numbers``: each order's invoice number, mentioned with its address.

    Read with two plain queries (what the template shows, no ORM objects), as the template
    sees an order: ``order.buyer``, ``order.items`` with ``item.asset.title``.
    """
    with unit_of_work() as session:
        orders = {
            row.id: row
            for row in session.execute(
                sa.select(
                    Order.id,
                    Order.currency,
                    Order.total_cents,
                    User.email,
                    User.display_name,
                    User.locale,
                )
                .join(User, User.id == Order.buyer_id)
                .where(Order.id.in_(order_ids), Order.status != "pending_payment")
            )
        }
        items: dict[int, list[SimpleNamespace]] = {}
        for line in session.execute(
            sa.select(
                OrderItem.order_id,
                OrderItem.licence,
                OrderItem.size,
                OrderItem.price_cents,
                Asset.title,
            )
            .join(Asset, Asset.id == OrderItem.asset_id)
            .where(OrderItem.order_id.in_(list(orders)))
            .order_by(OrderItem.id)
        ):
            items.setdefault(line.order_id, []).append(
                SimpleNamespace(
                    asset=SimpleNamespace(title=line.title),
                    licence=line.licence,
                    size=line.size,
                    price_cents=line.price_cents,
                )
            )
    base_url = public_base_url()
    co_op_name = current_app.config["CO_OP_NAME"]
    messages: list[OutgoingEmail] = []
    for order_id in dict.fromkeys(order_ids):
        row = orders.get(order_id)
        if row is None:
            continue
        order = SimpleNamespace(
            id=row.id,
            currency=row.currency,
            total_cents=row.total_cents,
            buyer=SimpleNamespace(display_name=row.display_name),
            items=items.get(row.id, []),
        )
        # In the buyer's language, whichever request or task sends it.
        with force_locale(row.locale or DEFAULT_LANGUAGE):
            body = render_template(
                "email/order_paid.txt",
                co_op_name=co_op_name,
                base_url=base_url,
                order=order,
                order_url=f"{base_url}/orders/{row.id}",
                invoice_number=(invoice_numbers or {}).get(row.id),
                invoice_url=f"{base_url}/orders/{row.id}/invoice.pdf",
            )
            subject = gettext("Your licences, order #%(number)s", number=row.id)
        messages.append({"to": row.email, "subject": subject, "body": body})
    return messages


def send_receipts(order_ids: list[int]) -> int:
    """Send the receipts of ``order_ids``; returns how many went out here.

    When the mail backend refuses one, that one and the rest are handed to ``mail.send``
    tasks, each retried with backoff on its own, so none is sent twice by a retry of this.
    """
    messages = compose_receipts(order_ids, _invoice_numbers(order_ids))
    for sent, message in enumerate(messages):
        try:
            deliver(message)
        except Exception:
            log.warning("Receipt %r not sent; queued to retry", message["subject"], exc_info=True)
            with unit_of_work() as session:
                for rest in messages[sent:]:
                    enqueue(session, "mail.send", rest)
            return sent
    return len(messages)


def _invoice_numbers(order_ids: list[int]) -> dict[int, str]:
    """Issue the orders' invoices; a failure leaves the receipts without their numbers rather
    than unsent (the order page issues a missing invoice when the buyer asks for it)."""
    try:
        return invoices.issue_invoices(order_ids)
    except Exception:
        log.exception("Invoices of orders %s not issued with their receipts", order_ids)
        return {}
