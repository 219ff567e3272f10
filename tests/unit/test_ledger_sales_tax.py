"""Sales tax in the books (ledger.sales_tax): a liability per jurisdiction, never revenue."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.ledger.core import SaleItem, sale_entry
from marketplace.ledger.entries import (
    CURRENCY_EXCHANGE,
    LICENCE_REVENUE,
    ROYALTIES_PAYABLE,
    STRIPE_CLEARING,
    AccountRef,
    EntryDraft,
    LedgerError,
    UnknownAccount,
    account_spec,
    sales_tax_account,
)
from marketplace.ledger.sales_tax import (
    ItemTax,
    taxed_foreign_refund_entry,
    taxed_foreign_sale_entry,
    taxed_refund_entry,
    taxed_sale_entry,
)


def _balance(draft: EntryDraft, account: AccountRef, currency: str | None = None) -> int:
    """Credits minus debits of ``account`` in ``currency`` (the entry's by default)."""
    currency = currency or draft.currency
    return sum(
        line.credit_cents - line.debit_cents
        for line in draft.lines
        if line.account == account and draft.line_currency(line) == currency
    )


def test_the_tax_account_of_a_jurisdiction_is_a_liability_named_after_it() -> None:
    spec = sales_tax_account("CA-ON").spec
    assert (spec.code, spec.type, spec.name) == (
        "2300-CA-ON",
        "liability",
        "Sales tax payable: CA-ON",
    )
    assert account_spec("2300-FR").type == "liability"
    with pytest.raises(UnknownAccount):
        account_spec("2300-france")
    with pytest.raises(UnknownAccount):
        AccountRef("2300-FR", member_id=3)


def test_a_french_consumer_sale_owes_the_vat_to_france_and_royalties_on_the_net() -> None:
    items = [SaleItem(1, 7, 3500, 7000)]  # 35.00 net, 70 % royalty
    draft = taxed_sale_entry("order:1:paid", 1, "EUR", items, [ItemTax(1, "FR", 700)], 150)
    assert _balance(draft, sales_tax_account("FR")) == 700
    assert _balance(draft, AccountRef(ROYALTIES_PAYABLE, 7)) == 2450  # 70 % of 35.00
    assert _balance(draft, AccountRef(LICENCE_REVENUE)) == 1050
    assert _balance(draft, AccountRef(STRIPE_CLEARING)) == -(4200 - 150)


def test_an_untaxed_sale_is_the_plain_sale_entry() -> None:
    items = [SaleItem(1, 7, 3500, 7000)]
    plain = sale_entry("k", 1, "USD", items, 150)
    assert taxed_sale_entry("k", 1, "USD", items, [ItemTax(1, "DE", 0)], 150) == plain


def test_quebec_has_two_taxes_on_two_accounts() -> None:
    items = [SaleItem(1, 7, 5900, 7000), SaleItem(2, 8, 1900, 7000)]
    taxes = [
        ItemTax(1, "CA", 295),
        ItemTax(1, "CA-QC", 589),
        ItemTax(2, "CA", 95),
        ItemTax(2, "CA-QC", 190),
    ]
    draft = taxed_sale_entry("k", 1, "CAD", items, taxes, 0)
    assert _balance(draft, sales_tax_account("CA")) == 390
    assert _balance(draft, sales_tax_account("CA-QC")) == 779


def test_a_refund_gives_back_exactly_the_tax_of_its_items() -> None:
    items = [SaleItem(1, 7, 5900, 7000), SaleItem(2, 8, 1900, 7000)]
    taxes = [ItemTax(1, "CA-ON", 767), ItemTax(2, "CA-ON", 247)]
    sale = taxed_sale_entry("s", 1, "CAD", items, taxes, 100)
    refund = taxed_refund_entry("r", 1, "CAD", items[1:], taxes[1:])
    assert (
        _balance(sale, sales_tax_account("CA-ON")) + _balance(refund, sales_tax_account("CA-ON"))
        == 767
    )
    assert _balance(refund, AccountRef(STRIPE_CLEARING)) == 1900 + 247


def test_tax_of_an_item_not_sold_is_refused() -> None:
    with pytest.raises(LedgerError, match="not among the items"):
        taxed_sale_entry("k", 1, "USD", [SaleItem(1, 7, 100, 7000)], [ItemTax(2, "US-WA", 7)], 0)
    with pytest.raises(LedgerError):
        ItemTax(1, "US-WA", -1)


def test_a_sale_in_euros_owes_the_vat_in_euros_and_balances_each_currency() -> None:
    items = [SaleItem(1, 7, 3500, 7000)]
    taxes = [ItemTax(1, "FR", 700)]
    draft = taxed_foreign_sale_entry("k", 1, "EUR", items, taxes, "USD", 4536, 162)
    assert _balance(draft, sales_tax_account("FR"), "EUR") == 700
    assert _balance(draft, sales_tax_account("FR"), "USD") == 0
    # The USD the tax brought in (756 of 4536: 700/4200) sits against the euros owed.
    assert _balance(draft, AccountRef(CURRENCY_EXCHANGE), "USD") == 756
    assert _balance(draft, AccountRef(CURRENCY_EXCHANGE), "EUR") == -700
    # The royalty is on the items' share only: 70 % of 3780.
    assert _balance(draft, AccountRef(ROYALTIES_PAYABLE, 7), "USD") == 2646
    assert _balance(draft, AccountRef(STRIPE_CLEARING), "EUR") == 0


def test_a_refund_in_euros_returns_the_vat_and_its_dollars() -> None:
    items = [SaleItem(1, 7, 3500, 7000), SaleItem(2, 8, 1000, 7000)]
    taxes = [ItemTax(1, "FR", 700), ItemTax(2, "FR", 200)]
    sale = taxed_foreign_sale_entry("s", 1, "EUR", items, taxes, "USD", 5832, 200)
    refund = taxed_foreign_refund_entry("r", 1, "EUR", items[1:], "USD", items, taxes, 5832, 1300)
    assert _balance(refund, sales_tax_account("FR"), "EUR") == -200
    exchange = AccountRef(CURRENCY_EXCHANGE)
    assert _balance(sale, exchange, "EUR") + _balance(refund, exchange, "EUR") == -700
    # The sale's 5832 split 4860 / 756 / 216 (4500 : 700 : 200); the refund takes 216 back.
    assert _balance(sale, exchange, "USD") == 972
    assert _balance(sale, exchange, "USD") + _balance(refund, exchange, "USD") == 756
    assert _balance(refund, AccountRef(STRIPE_CLEARING), "USD") == 1300


@given(
    prices=st.lists(st.integers(1, 500_000), min_size=1, max_size=5),
    rate=st.integers(0, 27_000),
    settled=st.integers(1, 3_000_000),
    fee=st.integers(0, 500),
)
def test_every_taxed_entry_balances_and_tax_accounts_only_hold_tax(
    prices: list[int], rate: int, settled: int, fee: int
) -> None:
    items = [SaleItem(i, 7, price, 7000) for i, price in enumerate(prices)]
    taxes = [ItemTax(i, "FR", price * rate // 100_000) for i, price in enumerate(prices)]
    owed = sum(tax.tax_cents for tax in taxes)
    domestic = taxed_sale_entry("d", 1, "EUR", items, taxes, min(fee, sum(prices)))
    assert _balance(domestic, sales_tax_account("FR")) == owed
    fee = min(fee, settled)
    foreign = taxed_foreign_sale_entry("f", 1, "EUR", items, taxes, "USD", settled, fee)
    assert _balance(foreign, sales_tax_account("FR"), "EUR") == owed
    for draft in (domestic, foreign):
        for debits, credits in draft.totals().values():
            assert debits == credits


def test_a_lost_dispute_takes_the_tax_back_as_a_refund_does() -> None:
    items = [SaleItem(1, 7, 5900, 7000)]
    taxes = [ItemTax(1, "CA-ON", 767)]
    chargeback = taxed_refund_entry("c", 1, "CAD", items, taxes, kind="chargeback")
    assert chargeback.kind == "chargeback"
    assert _balance(chargeback, sales_tax_account("CA-ON")) == -767
    assert _balance(chargeback, AccountRef(STRIPE_CLEARING)) == 5900 + 767
    with pytest.raises(LedgerError):
        taxed_refund_entry("x", 1, "CAD", items, taxes, kind="sale")


def test_a_lost_dispute_in_euros_without_an_amount_goes_back_at_the_sale_s_shares() -> None:
    items = [SaleItem(1, 7, 3500, 7000), SaleItem(2, 8, 1000, 7000)]
    taxes = [ItemTax(1, "FR", 700), ItemTax(2, "FR", 200)]
    sale = taxed_foreign_sale_entry("s", 1, "EUR", items, taxes, "USD", 5832, 200)
    back = taxed_foreign_refund_entry(
        "c", 1, "EUR", items, "USD", items, taxes, 5832, None, kind="chargeback"
    )
    # Everything the sale put in comes out: no exchange difference, nothing owed in euros.
    for account in (AccountRef(CURRENCY_EXCHANGE), sales_tax_account("FR")):
        for currency in ("EUR", "USD"):
            assert _balance(sale, account, currency) + _balance(back, account, currency) == 0
    assert _balance(back, AccountRef(STRIPE_CLEARING), "USD") == 5832


def test_settling_reads_each_item_s_tax_lines_and_posts_them() -> None:
    from dataclasses import dataclass

    from marketplace.payments import core as payments_core
    from marketplace.payments.gateway import PaymentIntentState

    @dataclass
    class Row:
        order_item_id: int | None
        jurisdiction: str
        tax_cents: int

    taxes = payments_core.item_taxes([Row(1, "CA", 295), Row(1, "CA-QC", 589), Row(None, "CA", 7)])
    assert taxes == [ItemTax(1, "CA", 295), ItemTax(1, "CA-QC", 589)]
    intent = PaymentIntentState("pi_1", "succeeded", 6784, "CAD", None, {}, fee_cents=200)
    paid = payments_core.settle(
        1,
        "CAD",
        6784,
        [SaleItem(1, 7, 5900, 7000)],
        intent,
        payments_core.FeeRule(290, 30),
        "CAD",
        taxes,
    )
    assert _balance(paid.sale, sales_tax_account("CA")) == 295
    assert _balance(paid.sale, sales_tax_account("CA-QC")) == 589
    assert _balance(paid.sale, AccountRef(STRIPE_CLEARING)) == -(6784 - 200)
