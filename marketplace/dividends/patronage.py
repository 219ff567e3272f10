"""Patronage dividends, the reconciliation of patronage with the books (pure).

Each artist's patronage is read from the order tables (items of orders paid in the period, less
items refunded or lost to a dispute in it), while the surplus comes from the ledger. The two
must tell one story: the patronage of all members together is exactly the licence sales the
ledger saw in the period, the gross of its ``sale`` entries (Stripe clearing debited) less what
its ``refund`` and ``chargeback`` entries took back (Stripe clearing credited). A draft runs
this check; a sale posted to the ledger without its order (or an order paid without its
entry) shows as a difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from marketplace.ledger.core import format_cents


@dataclass(frozen=True)
class PatronageCheck:
    """Patronage from the order tables against net licence sales from the ledger."""

    from_orders_cents: int
    from_ledger_cents: int

    @property
    def agrees(self) -> bool:
        return self.from_orders_cents == self.from_ledger_cents

    def describe(self, currency: str) -> str:
        """One sentence for the audit log and the admin."""
        orders = format_cents(self.from_orders_cents, currency)
        if self.agrees:
            return f"patronage agrees with the ledger's net licence sales ({orders})"
        ledger = format_cents(self.from_ledger_cents, currency)
        return (
            f"patronage DISAGREES with the ledger: {orders} from the orders, "
            f"{ledger} of net licence sales in the ledger"
        )


def reconcile_patronage(
    patronage: Mapping[int, int], sold_cents: int, taken_back_cents: int
) -> PatronageCheck:
    """Compare the members' patronage (``patronage``, cents by member) with the ledger's
    licence sales of the period: ``sold_cents`` the gross of its sale entries,
    ``taken_back_cents`` what its refunds and chargebacks took back."""
    return PatronageCheck(
        from_orders_cents=sum(patronage.values()),
        from_ledger_cents=sold_cents - taken_back_cents,
    )
