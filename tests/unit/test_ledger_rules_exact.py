"""The ledger's building blocks to the cent and to the word (mutation testing found these gaps).

Each test pins one rule an auditor relies on: amounts stay integers, a reversal keeps every
line's currency and the order it belongs to, fees round half up, a refused draft says why, and
the database's CHECK constraint allows exactly the registry's kinds.
"""

from __future__ import annotations

import pytest

from marketplace.ledger import core, kinds
from marketplace.ledger.core import (
    BANK,
    DIVIDENDS_PAYABLE,
    LICENCE_REVENUE,
    PAYMENT_FEES,
    REFUNDS_AND_CHARGEBACKS,
    ROYALTIES_PAYABLE,
    STRIPE_CLEARING,
    AccountRef,
    EntryDraft,
    LedgerError,
    Line,
    Money,
    UnknownAccount,
    credit,
    debit,
)
from marketplace.payouts import core as payouts_core

CLEARING = AccountRef(STRIPE_CLEARING)
FEES = AccountRef(PAYMENT_FEES)


def test_money_refuses_fractions_and_booleans_saying_so() -> None:
    with pytest.raises(LedgerError, match=r"money is whole cents, not 1\.5"):
        Money(1.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(LedgerError, match="money is whole cents, not True"):
        Money(True, "USD")
    with pytest.raises(LedgerError, match="cannot mix USD and EUR"):
        Money(1, "USD") - Money(1, "EUR")


@pytest.mark.parametrize(
    ("cents", "text"),
    [(0, "0.00"), (1, "0.01"), (-1, "-0.01"), (100, "1.00"), (-120_050, "-1200.50")],
)
def test_decimal_strings_have_a_sign_only_below_zero(cents: int, text: str) -> None:
    assert core.decimal_string(cents) == text


def test_format_cents_has_a_sign_only_below_zero() -> None:
    assert core.format_cents(0, "USD") == "$0.00"
    assert core.format_cents(1, "GBP") == "£0.01"
    assert core.format_cents(-1, "CAD") == "−CA$0.01"


@pytest.mark.parametrize(
    ("account_type", "debit_effect"),
    [
        ("asset", 100),
        ("expense", 100),
        ("contra_income", 100),
        ("liability", -100),
        ("equity", -100),
        ("income", -100),
    ],
)
def test_a_line_moves_its_account_in_the_accounts_normal_direction(
    account_type: str, debit_effect: int
) -> None:
    assert core.line_effect(account_type, "debit", 100) == debit_effect
    assert core.line_effect(account_type, "credit", 100) == -debit_effect
    assert core.signed_balance(account_type, 300, 100) == 2 * debit_effect


def test_a_reversed_line_keeps_its_account_and_currency() -> None:
    line = Line(AccountRef(BANK), debit_cents=250, currency="EUR")
    assert line.reversed() == Line(AccountRef(BANK), credit_cents=250, currency="EUR")


def test_a_reversal_keeps_the_order_and_takes_the_kind_given() -> None:
    draft = EntryDraft(
        "sale:evt_1",
        "Sale",
        "USD",
        (debit(CLEARING, 700), credit(AccountRef(LICENCE_REVENUE), 700, currency="USD")),
        kind=kinds.SALE,
        order_id=42,
    )
    undone = core.reversal(draft, "undo:1", "Undo")
    assert (undone.kind, undone.order_id, undone.currency) == (kinds.REVERSAL, 42, "USD")
    assert undone.lines == (
        credit(CLEARING, 700),
        debit(AccountRef(LICENCE_REVENUE), 700, currency="USD"),
    )
    assert core.reversal(draft, "undo:2", "Undo", kind=kinds.REFUND).kind == kinds.REFUND


@pytest.mark.parametrize(
    ("gross", "fee"),
    [(1_020, 60), (1_017, 59), (10_000, 320), (10, 10), (1, 1), (0, 0), (-5, 0)],
)
def test_the_fee_estimate_rounds_half_up_in_whole_cents_never_above_the_charge(
    gross: int, fee: int
) -> None:
    estimated = core.estimated_fee_cents(gross, rate_bps=290, fixed_cents=30)
    assert estimated == fee
    assert type(estimated) is int


def test_idempotency_keys_need_a_kind_and_a_cause() -> None:
    assert core.idempotency_key("refund", 17) == "refund:17"
    with pytest.raises(LedgerError, match="needs a kind and the id of its cause"):
        core.idempotency_key("", "evt_1")
    with pytest.raises(LedgerError, match="needs a kind and the id of its cause"):
        core.idempotency_key("sale", "   ")


def test_a_dispute_fee_entry_names_its_order_and_refuses_nothing_or_less() -> None:
    draft = core.dispute_fee_entry("dispute_fee:dp_1", 9, "USD", 1)
    assert (draft.kind, draft.order_id, draft.description) == (
        kinds.DISPUTE_FEE,
        9,
        "Stripe dispute fee, order 9",
    )
    assert draft.lines == (debit(FEES, 1), credit(CLEARING, 1))
    for refused in (0, -1, 1.0, True, None):
        with pytest.raises(LedgerError, match=f"a dispute fee is a positive .*not {refused!r}"):
            core.dispute_fee_entry("dispute_fee:dp_2", 9, "USD", refused)  # type: ignore[arg-type]


def test_a_dispute_fee_from_stripe_refuses_transactions_without_a_whole_fee() -> None:
    message = "^a dispute's balance transactions carry their fee in whole cents$"
    for transactions in ([{"fee": 1.5}], [{"fee": True}], [{}], ["txn_1"]):
        with pytest.raises(LedgerError, match=message):
            core.dispute_fee_from_stripe({"balance_transactions": transactions})
    fees = [{"fee": 1500}, {"fee": 25}]
    assert core.dispute_fee_from_stripe({"balance_transactions": fees}) == 1525


def test_a_transfer_entry_is_two_lines_of_one_amount() -> None:
    member = AccountRef(ROYALTIES_PAYABLE, 3)
    draft = core.transfer_entry(
        "royalty_payout:tr_1", "Payout", "USD", member, CLEARING, 999, kinds.ROYALTY_PAYOUT, 5
    )
    assert draft.lines == (debit(member, 999), credit(CLEARING, 999))
    assert (draft.kind, draft.order_id, draft.description) == (kinds.ROYALTY_PAYOUT, 5, "Payout")
    assert core.transfer_entry("k", "d", "USD", member, CLEARING, 1, kinds.MANUAL).order_id is None


def test_accounts_say_which_chart_rule_they_break() -> None:
    with pytest.raises(UnknownAccount, match=r"account 2200 \(Dividends payable\) is kept per"):
        AccountRef(DIVIDENDS_PAYABLE)
    with pytest.raises(UnknownAccount, match=r"account 4900 \(Refunds and chargebacks\) is not"):
        AccountRef(REFUNDS_AND_CHARGEBACKS, 1)
    with pytest.raises(UnknownAccount, match="'9999' is not in the chart of accounts"):
        AccountRef("9999")


def test_the_kind_constraint_allows_exactly_the_registry() -> None:
    sql = kinds.kind_check_sql("k")
    assert sql.startswith(
        "k IN ('sale', 'refund', 'chargeback', 'dispute_fee', 'royalty_payout', "
        "'royalty_payout_reversal', 'operating_costs', 'dividend_closing', 'dividend_reserve', "
        "'dividend_allocation', 'dividend_payment', 'dividend_redemption', 'manual', 'reversal', "
    )
    assert sql.endswith(")")
    # Costs recorded as they happen and payouts to the bank (migration 0029).
    for kind in ("expense", "expense_reversal", "expense_payment", "bank_payout"):
        assert f"'{kind}'" in sql
    assert sql.count("'") == 2 * len(kinds.ENTRY_KINDS)
    assert kinds.kind_check_sql().startswith("kind IN ('sale', ")


def test_a_reversal_at_stripe_of_nothing_is_refused_saying_so() -> None:
    with pytest.raises(LedgerError, match="^a reversed royalty payout is a positive number"):
        payouts_core.royalty_payout_reversal_entry(1, "USD", 7, 0, 500, "tr_1")


def test_a_lost_dispute_without_a_fee_given_reverses_the_items_only() -> None:
    items = [core.SaleItem(item_id=1, member_id=7, price_cents=1000, royalty_bps=5000)]
    lost = core.chargeback_entry("chargeback:dp_1", 12, "USD", items)
    assert (lost.kind, lost.order_id, lost.description) == (
        kinds.CHARGEBACK,
        12,
        "Order 12 lost a dispute",
    )
    assert FEES not in {line.account for line in lost.lines}
    assert sum(line.credit_cents for line in lost.lines if line.account == CLEARING) == 1000
