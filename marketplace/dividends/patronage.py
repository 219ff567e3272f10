"""Patronage dividends, the reconciliation of patronage with the books (pure).

Each artist's patronage is read from the order tables (items of orders paid in the period, less
items refunded or lost to a dispute in it), while the surplus comes from the ledger. The two
must tell one story: the patronage of all members together, plus the non-member business
(sales of work whose seller was not a member when it sold, ``member_business``), is exactly
the licence sales the ledger saw in the period, the gross of its ``sale`` entries (Stripe
clearing debited) less what its ``refund`` and ``chargeback`` entries took back (Stripe
clearing credited). A draft runs this check; a sale posted to the ledger without its order
(or an order paid without its entry) shows as a difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from marketplace.ledger.core import format_cents, largest_remainder_split


@dataclass(frozen=True)
class PatronageCheck:
    """Patronage (and non-member business) from the order tables against net licence sales
    from the ledger."""

    from_orders_cents: int
    from_ledger_cents: int
    non_member_cents: int = 0

    @property
    def agrees(self) -> bool:
        return self.from_orders_cents == self.from_ledger_cents

    def describe(self, currency: str) -> str:
        """One sentence for the audit log and the admin."""
        orders = format_cents(self.from_orders_cents, currency)
        if self.agrees:
            outside = ""
            if self.non_member_cents:
                outside = (
                    f", of which {format_cents(self.non_member_cents, currency)} is "
                    "non-member business"
                )
            return f"patronage agrees with the ledger's net licence sales ({orders}{outside})"
        ledger = format_cents(self.from_ledger_cents, currency)
        return (
            f"patronage DISAGREES with the ledger: {orders} from the orders, "
            f"{ledger} of net licence sales in the ledger"
        )


def reconcile_patronage(
    patronage: Mapping[int, int],
    sold_cents: int,
    taken_back_cents: int,
    non_member: Mapping[int, int] | None = None,
) -> PatronageCheck:
    """Compare the members' patronage (``patronage``, cents by member) and the non-member
    business (``non_member``, cents by seller) with the ledger's licence sales of the period:
    ``sold_cents`` the gross of its sale entries, ``taken_back_cents`` what its refunds and
    chargebacks took back."""
    outside = sum((non_member or {}).values())
    return PatronageCheck(
        from_orders_cents=sum(patronage.values()) + outside,
        from_ledger_cents=sold_cents - taken_back_cents,
        non_member_cents=outside,
    )


@dataclass(frozen=True)
class BusinessSplit:
    """How much of a period's net sales and surplus came from member and non-member business."""

    member_sales_cents: int
    non_member_sales_cents: int
    surplus_from_members_cents: int
    surplus_from_non_members_cents: int

    def as_json(self) -> dict[str, int]:
        return {
            "member_business_cents": self.member_sales_cents,
            "non_member_business_cents": self.non_member_sales_cents,
            "surplus_from_members_cents": self.surplus_from_members_cents,
            "surplus_from_non_members_cents": self.surplus_from_non_members_cents,
        }


def split_business(
    surplus_cents: int, member_sales_cents: int, non_member_sales_cents: int
) -> BusinessSplit:
    """Share the surplus (or a loss: negative) between member and non-member business in
    proportion to their net sales, to the cent (largest remainder, ties to members). Without
    non-member sales, or without any net sales, it is all member business."""
    member = max(member_sales_cents, 0)
    outside = max(non_member_sales_cents, 0)
    if outside == 0 or member + outside == 0:
        from_members, from_outside = surplus_cents, 0
    else:
        parts = largest_remainder_split(abs(surplus_cents), [member, outside])
        sign = -1 if surplus_cents < 0 else 1
        from_members, from_outside = sign * parts[0], sign * parts[1]
    return BusinessSplit(member_sales_cents, non_member_sales_cents, from_members, from_outside)
