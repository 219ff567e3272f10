"""Sales and refunds in another currency than the settlement one (``ledger.exchange``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.ledger import kinds
from marketplace.ledger.core import LedgerError, SaleItem
from marketplace.ledger.exchange import (
    dispute_withdrawn_cents,
    foreign_refund_entry,
    foreign_sale_entry,
    settled_items,
)

ITEMS = [SaleItem(1, 7, 4_200, 6_000), SaleItem(2, 8, 1_400, 5_000)]


def sides(draft, currency: str) -> dict[tuple[str, int | None], int]:  # type: ignore[no-untyped-def]
    """Per account, the signed amount (debit positive) in one currency."""
    found: dict[tuple[str, int | None], int] = {}
    for line in draft.lines:
        if draft.line_currency(line) != currency:
            continue
        key = (line.account.code, line.account.member_id)
        found[key] = found.get(key, 0) + line.debit_cents - line.credit_cents
    return {key: cents for key, cents in found.items() if cents}


def test_a_sale_in_euros_is_posted_on_the_dollars_received() -> None:
    # 56.00 € converted into $60.48, Stripe's fee $2.66.
    draft = foreign_sale_entry("order:3:paid", 3, "EUR", ITEMS, "USD", 6_048, 266)
    assert draft.kind == kinds.SALE
    assert draft.currency == "USD"
    # The items' shares of $60.48 in proportion to 42 € and 14 €: $45.36 and $15.12.
    assert sides(draft, "USD") == {
        ("1100", None): 6_048 - 266,
        ("5100", None): 266,
        ("2100", 7): -2_722,  # 60 % of 4,536, the odd cent to the member
        ("2100", 8): -756,
        ("4000", None): -(1_814 + 756),
    }
    # In euros, the charge passes through Stripe clearing and currency exchange, both at zero.
    assert sides(draft, "EUR") == {}
    euro_lines = [line for line in draft.lines if line.currency == "EUR"]
    assert {(line.account.code, line.side, line.amount_cents) for line in euro_lines} == {
        ("1100", "debit", 5_600),
        ("1100", "credit", 5_600),
        ("1150", "debit", 5_600),
        ("1150", "credit", 5_600),
    }


def test_a_refund_at_a_dearer_rate_books_an_exchange_loss() -> None:
    # The 42 € item came back when 42 € cost $46.62: it had brought in $45.36.
    draft = foreign_refund_entry("refund:9", 3, "EUR", ITEMS[:1], "USD", ITEMS, 6_048, 4_662)
    assert draft.kind == kinds.REFUND
    assert sides(draft, "USD") == {
        ("2100", 7): 2_722,
        ("4900", None): 1_814,
        ("5400", None): 126,
        ("1100", None): -4_662,
    }
    assert sides(draft, "EUR") == {}


def test_a_refund_at_a_cheaper_rate_books_an_exchange_gain() -> None:
    draft = foreign_refund_entry("refund:9", 3, "EUR", ITEMS[1:], "USD", ITEMS, 6_048, 1_500)
    assert sides(draft, "USD") == {
        ("2100", 8): 756,
        ("4900", None): 756,
        ("5400", None): -12,
        ("1100", None): -1_500,
    }


def test_a_refund_at_the_sale_rate_has_no_exchange_difference() -> None:
    draft = foreign_refund_entry(
        "dispute:dp_1:lost", 3, "EUR", ITEMS, "USD", ITEMS, 6_048, 6_048, kind=kinds.CHARGEBACK
    )
    assert draft.kind == kinds.CHARGEBACK
    assert ("5400", None) not in sides(draft, "USD")


def test_what_the_rules_refuse() -> None:
    with pytest.raises(LedgerError, match="posted by sale_entry"):
        foreign_sale_entry("k", 3, "USD", ITEMS, "USD", 6_048, 266)
    with pytest.raises(LedgerError, match="settled amount"):
        foreign_sale_entry("k", 3, "EUR", ITEMS, "USD", -1, 266)
    with pytest.raises(LedgerError, match="item 5 was not sold"):
        foreign_refund_entry("k", 3, "EUR", [SaleItem(5, 7, 100, 0)], "USD", ITEMS, 6_048, 10)
    with pytest.raises(LedgerError, match="positive number of cents"):
        foreign_refund_entry("k", 3, "EUR", ITEMS, "USD", ITEMS, 6_048, 0)
    with pytest.raises(LedgerError, match="does not take a sale's items back"):
        foreign_refund_entry("k", 3, "EUR", ITEMS, "USD", ITEMS, 6_048, 10, kind=kinds.SALE)


prices = st.lists(st.integers(0, 50_000), min_size=1, max_size=6)


@given(prices, st.integers(0, 10**7))
def test_settled_shares_add_up_and_follow_the_prices(amounts: list[int], settled: int) -> None:
    items = [SaleItem(i, 1 + i % 3, price, 6_000) for i, price in enumerate(amounts)]
    shares = settled_items(items, settled)
    if sum(amounts):
        assert sum(s.price_cents for s in shares) == settled
    for item, share in zip(items, shares, strict=True):
        assert (share.item_id, share.member_id, share.royalty_bps) == (
            item.item_id,
            item.member_id,
            item.royalty_bps,
        )
        if item.price_cents == 0:
            assert share.price_cents == 0


@given(prices, st.integers(1, 10**7), st.integers(0, 500), st.data())
def test_a_sale_and_any_refund_balance_in_each_currency_and_net_to_the_difference(
    amounts: list[int], settled: int, fee: int, data: st.DataObject
) -> None:
    items = [SaleItem(i, 1 + i % 3, price + 1, 6_000) for i, price in enumerate(amounts)]
    sale = foreign_sale_entry("s", 1, "GBP", items, "USD", settled, fee)
    for currency, (debits, credits) in sale.totals().items():
        assert debits == credits, currency
    back = data.draw(st.lists(st.sampled_from(items), min_size=1, unique_by=lambda i: i.item_id))
    cost = data.draw(st.integers(1, 10**7))
    refund = foreign_refund_entry("r", 1, "GBP", back, "USD", items, settled, cost)
    shares = {s.item_id: s.price_cents for s in settled_items(items, settled)}
    assert sides(refund, "USD").get(("5400", None), 0) == cost - sum(
        shares[i.item_id] for i in back
    )
    # The royalties the sale posted for these items come back, to the cent.
    royalties = {s.item_id: s.royalty_cents for s in settled_items(items, settled)}
    expected: dict[tuple[str, int | None], int] = {}
    for item in back:
        key = ("2100", item.member_id)
        expected[key] = expected.get(key, 0) + royalties[item.item_id]
    taken = {k: v for k, v in sides(refund, "USD").items() if k[0] == "2100"}
    assert taken == {k: v for k, v in expected.items() if v}
    assert sides(refund, "GBP") == {}


def test_what_a_dispute_in_another_currency_withdrew() -> None:
    def dispute(currency: str, *transactions: tuple[int, str]) -> dict[str, object]:
        return {
            "currency": currency,
            "balance_transactions": [
                {"amount": amount, "fee": 1_500, "currency": code} for amount, code in transactions
            ],
        }

    assert dispute_withdrawn_cents(dispute("eur", (-6_216, "usd")), "USD") == 6_216
    # A won dispute gives the money back: only the withdrawal counts, as lost ones reverse it.
    assert dispute_withdrawn_cents(dispute("eur", (-6_216, "usd"), (6_300, "usd")), "USD") == 6_216
    assert dispute_withdrawn_cents(dispute("usd", (-4_500, "usd")), "USD") is None
    assert dispute_withdrawn_cents(dispute("eur", (-5_600, "eur")), "USD") is None
    assert dispute_withdrawn_cents({"currency": "eur"}, "USD") is None
    with pytest.raises(LedgerError, match="whole cents"):
        dispute_withdrawn_cents(dispute("eur", (-1.5, "usd")), "USD")  # type: ignore[arg-type]
