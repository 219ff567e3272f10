"""What a Stripe Tax reversal takes back from each line of the transaction it reverses.

``full`` takes back what every line still holds; ``partial`` takes either the amounts given per
line (``line_items``: negative ``amount`` and ``amount_tax``) or a ``flat_amount`` (negative,
tax included) spread over the lines in proportion to what each still holds, largest remainder
first, and within a line between price and tax in proportion too, tax rounded half up. A line is
never taken back beyond what it charged, summed over every reversal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marketplace.taxes.rules import round_half_up
from stripe_emulator.connect.errors import _check_known, _metadata, invalid
from stripe_emulator.tax_params import _array, _int, _object, _text

if TYPE_CHECKING:
    from stripe_emulator.tax import TransactionLineItem

# (original line, amount taken back (≤ 0), tax taken back (≤ 0), the reversal line's own fields)
Taken = tuple["TransactionLineItem", int, int, dict[str, Any]]


def left_total(line: TransactionLineItem) -> int:
    """What the customer can still get back from ``line``, tax included."""
    if line.tax_behavior == "inclusive":
        return line.left_amount
    return line.left_amount + line.left_tax


def reversal_lines(
    mode: str, lines: list[TransactionLineItem], line_items: Any, flat_amount: Any
) -> list[Taken]:
    if mode == "full":
        if line_items not in (None, "") or flat_amount not in (None, ""):
            message = "line_items and flat_amount are for partial reversals only."
            raise invalid(message, "line_items" if line_items not in (None, "") else "flat_amount")
        taken: list[Taken] = [
            (line, -line.left_amount, -line.left_tax, {})
            for line in lines
            if line.left_amount or line.left_tax
        ]
        if not taken:
            raise invalid(
                "This transaction has already been fully reversed.", "original_transaction"
            )
        return taken
    if (line_items in (None, "")) == (flat_amount in (None, "")):
        raise invalid("A partial reversal takes either line_items or flat_amount.", "mode")
    if flat_amount not in (None, ""):
        return _flat(lines, _int(flat_amount, "flat_amount", maximum=-1))
    return _given(lines, _array(line_items, "line_items"))


def _given(lines: list[TransactionLineItem], items: list[Any]) -> list[Taken]:
    by_id = {line.id: line for line in lines}
    taken: list[Taken] = []
    asked: dict[str, tuple[int, int]] = {}
    for index, item in enumerate(items):
        param = f"line_items[{index}]"
        item = _object(item, param)
        _check_known(
            item,
            ("amount", "amount_tax", "metadata", "original_line_item", "quantity", "reference"),
        )
        original_id = _text(
            item, "original_line_item", f"{param}[original_line_item]", required=True
        )
        reference = _text(item, "reference", f"{param}[reference]", required=True)
        line = by_id.get(original_id or "")
        if line is None:
            message = f"No such line item on this transaction: '{original_id}'"
            raise invalid(message, f"{param}[original_line_item]", "resource_missing")
        amount = _int(item.get("amount"), f"{param}[amount]", maximum=0)
        amount_tax = _int(item.get("amount_tax"), f"{param}[amount_tax]", maximum=0)
        before = asked.get(line.id, (0, 0))
        asked[line.id] = (before[0] - amount, before[1] - amount_tax)
        if asked[line.id][0] > line.left_amount:
            message = f"You cannot reverse more than the {line.left_amount} left on {line.id}."
            raise invalid(message, f"{param}[amount]")
        if asked[line.id][1] > line.left_tax:
            message = f"You cannot reverse more than the {line.left_tax} of tax left on {line.id}."
            raise invalid(message, f"{param}[amount_tax]")
        fields: dict[str, Any] = {"reference": reference, "metadata": _metadata(item)}
        if item.get("quantity") not in (None, ""):
            fields["quantity"] = _int(item["quantity"], f"{param}[quantity]", minimum=1)
        taken.append((line, amount, amount_tax, fields))
    if not taken:
        raise invalid("A partial reversal takes at least one line item.", "line_items")
    return taken


def _flat(lines: list[TransactionLineItem], flat_amount: int) -> list[Taken]:
    wanted = -flat_amount
    weights = [left_total(line) for line in lines]
    whole = sum(weights)
    if wanted > whole:
        message = f"flat_amount cannot exceed the {whole} left to reverse on this transaction."
        raise invalid(message, "flat_amount")
    parts = [wanted * weight // whole for weight in weights]
    by_remainder = sorted(range(len(lines)), key=lambda i: (-(wanted * weights[i] % whole), i))
    for i in by_remainder[: wanted - sum(parts)]:
        parts[i] += 1
    taken: list[Taken] = []
    for line, part, weight in zip(lines, parts, weights, strict=True):
        if part == 0:
            continue
        tax = round_half_up(part * line.left_tax, weight)
        amount = part if line.tax_behavior == "inclusive" else part - tax
        taken.append((line, -amount, -tax, {}))
    return taken
