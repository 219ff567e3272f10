"""Patronage dividends, the pure ledger drafts: operating costs, closing, reserve, allocation,
payments and redemptions, each a balanced ``EntryDraft`` of its own kind (royalty payouts are
the payouts feature's: ``payouts.core.royalty_payout_entry``).

No Flask, SQLAlchemy, Celery or stripe (the money core is pure); money is integer cents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from marketplace.dividends.allocation import (
    DividendError,
    DividendPlan,
    MemberDividend,
    SurplusInputs,
    whole_cents,
)
from marketplace.dividends.subchapter_t import Redemption
from marketplace.ledger import kinds
from marketplace.ledger.core import (
    BANK,
    DIVIDENDS_PAYABLE,
    LICENCE_REVENUE,
    MEMBER_CAPITAL,
    OPERATING_COSTS,
    PAYMENT_FEES,
    REFUNDS_AND_CHARGEBACKS,
    RESERVES,
    RETAINED_SURPLUS,
    AccountRef,
    EntryDraft,
    collapse,
    credit,
    debit,
    idempotency_key,
    transfer_entry,
)
from marketplace.taxes.withholding import withheld_payment_entry

KIND_OPERATING_COSTS = kinds.OPERATING_COSTS
KIND_CLOSING = kinds.DIVIDEND_CLOSING
KIND_RESERVE = kinds.DIVIDEND_RESERVE
KIND_ALLOCATION = kinds.DIVIDEND_ALLOCATION
KIND_PAYMENT = kinds.DIVIDEND_PAYMENT
KIND_REDEMPTION = kinds.DIVIDEND_REDEMPTION


def _positive(amount_cents: int, what: str) -> int:
    if whole_cents(amount_cents, what) == 0:
        raise DividendError(f"{what} must be more than zero")
    return amount_cents


def operating_costs_entry(
    key: str, currency: str, amount_cents: int, note: str, paid_from: AccountRef | None = None
) -> EntryDraft:
    """Dr operating costs (5200), Cr bank (1000): costs the admin records, paid from the co-op's
    bank account (or ``paid_from``), with the admin's note as the description."""
    return transfer_entry(
        key,
        f"Operating costs: {note}"[:500],
        currency,
        AccountRef(OPERATING_COSTS),
        paid_from or AccountRef(BANK),
        _positive(amount_cents, "operating costs"),
        KIND_OPERATING_COSTS,
    )


def closing_entry(
    key: str,
    currency: str,
    inputs: SurplusInputs,
    description: str,
    costs_by_code: Mapping[str, int] | None = None,
) -> EntryDraft | None:
    """Close the period's income and expenses into retained surplus (3300).

    Dr licence revenue (4000); Cr refunds and chargebacks (4900), processing fees (5100) and
    each expense account its costs (``costs_by_code``, which add up to the operating costs;
    by default all on 5200); the net result Cr 3300 (a surplus) or Dr 3300 (a loss). Afterwards
    the income statement accounts hold nothing of the period and 3300 holds its result, as an
    accountant's trial balance after closing shows. ``None`` when there is nothing to close.
    Reports of a period's income must leave out entries of kind ``dividend_closing``.
    """
    if inputs.royalties_cents:
        raise DividendError(
            "this ledger books revenue net of royalties: there is no royalty expense to close"
        )
    costs = (
        {OPERATING_COSTS: inputs.operating_costs_cents}
        if costs_by_code is None
        else dict(costs_by_code)
    )
    if sum(costs.values()) != inputs.operating_costs_cents:
        raise DividendError("the costs per account do not add up to the operating costs")
    result = inputs.surplus_cents
    lines = collapse(
        [
            debit(AccountRef(LICENCE_REVENUE), inputs.revenue_cents),
            credit(AccountRef(REFUNDS_AND_CHARGEBACKS), inputs.refunds_cents),
            credit(AccountRef(PAYMENT_FEES), inputs.fees_cents),
            # A reversal of an earlier period's cost can leave an account below zero.
            *(
                credit(AccountRef(code), cents) if cents > 0 else debit(AccountRef(code), -cents)
                for code, cents in sorted(costs.items())
            ),
            credit(AccountRef(RETAINED_SURPLUS), max(result, 0)),
            debit(AccountRef(RETAINED_SURPLUS), max(-result, 0)),
        ]
    )
    if not lines:
        return None
    return EntryDraft(key, description, currency, lines, KIND_CLOSING).validate()


def allocation_entry(
    key: str, currency: str, dividends: Iterable[MemberDividend], description: str
) -> EntryDraft | None:
    """Dr retained surplus (3300) the allocated pool; per member Cr dividends payable (2200) the
    cash part and Cr member capital (3100) the retained part. ``None`` when nothing is allocated."""
    members = [d for d in dividends if d.allocation_cents > 0]
    if not members:
        return None
    lines = [debit(AccountRef(RETAINED_SURPLUS), sum(d.allocation_cents for d in members))]
    for d in members:
        lines.append(credit(AccountRef(DIVIDENDS_PAYABLE, d.member_id), d.cash_cents))
        lines.append(credit(AccountRef(MEMBER_CAPITAL, d.member_id), d.retained_cents))
    return EntryDraft(key, description, currency, collapse(lines), KIND_ALLOCATION).validate()


def reserve_entry(key: str, currency: str, amount_cents: int, description: str) -> EntryDraft:
    """Dr retained surplus (3300), Cr reserves (3200): the part of a period's surplus the
    policy keeps in the co-op's reserves, never shared out."""
    return transfer_entry(
        key,
        description,
        currency,
        AccountRef(RETAINED_SURPLUS),
        AccountRef(RESERVES),
        _positive(amount_cents, "a transfer to reserves"),
        KIND_RESERVE,
    )


def dividend_run_entries(
    run_id: int | str,
    currency: str,
    inputs: SurplusInputs,
    plan: DividendPlan,
    period_label: str,
    operating_costs_note: str = "",
    costs_by_code: Mapping[str, int] | None = None,
) -> list[EntryDraft]:
    """What approving a run posts, in order, each balanced, keyed ``<kind>:<run_id>``:

    1. operating costs: Dr 5200, Cr 1000, only for a run whose costs were entered as one sum
       (``costs_by_code`` None, runs drafted before costs were recorded as they happen); the
       costs of ``costs_by_code`` are in the ledger already, each on its expense account;
    2. closing: the period's income and expenses into 3300 (see ``closing_entry``);
    3. reserve: Dr 3300, Cr reserves (3200);
    4. allocation: Dr 3300, Cr 2200[member] cash, Cr 3100[member] retained.

    Afterwards 3300 has gained exactly the pool nobody was eligible for (or lost the period's
    loss). The dividend payments follow, one ``dividend_payment_entry`` per member.
    """
    if plan.surplus.surplus_cents != inputs.surplus_cents:
        raise DividendError("the plan was made from other figures than these")
    label = f"{period_label} (dividend run {run_id})"
    drafts: list[EntryDraft | None] = []
    if inputs.operating_costs_cents and costs_by_code is None:
        drafts.append(
            operating_costs_entry(
                idempotency_key(KIND_OPERATING_COSTS, run_id),
                currency,
                inputs.operating_costs_cents,
                f"{period_label}: {operating_costs_note}" if operating_costs_note else period_label,
            )
        )
    drafts.append(
        closing_entry(
            idempotency_key(KIND_CLOSING, run_id),
            currency,
            inputs,
            f"Closing {label}",
            costs_by_code,
        )
    )
    if plan.surplus.reserve_cents:
        drafts.append(
            reserve_entry(
                idempotency_key(KIND_RESERVE, run_id),
                currency,
                plan.surplus.reserve_cents,
                f"Transfer to reserves, {label}",
            )
        )
    drafts.append(
        allocation_entry(
            idempotency_key(KIND_ALLOCATION, run_id),
            currency,
            plan.dividends,
            f"Patronage dividends allocated, {label}",
        )
    )
    return [draft for draft in drafts if draft is not None]


def dividend_payment_entry(
    key: str,
    currency: str,
    member_id: int,
    amount_cents: int,
    description: str,
    withheld_cents: int = 0,
) -> EntryDraft:
    """Dr dividends payable[member] (2200) ``amount_cents``, Cr Stripe clearing (1100) what the
    transfer paid: the app pays by a Stripe transfer from the platform balance, which is what
    Stripe clearing holds. Tax withheld from the payment (``withheld_cents``) is credited to
    withholding payable[member] (2500) in the same entry, and the transfer pays the rest."""
    return withheld_payment_entry(
        key,
        description,
        currency,
        AccountRef(DIVIDENDS_PAYABLE, member_id),
        _positive(amount_cents, "a dividend payment"),
        withheld_cents,
        KIND_PAYMENT,
    )


def redemption_entry(
    key: str, currency: str, redemption: Redemption, description: str
) -> EntryDraft:
    """Dr member capital[member] (3100), Cr dividends payable[member] (2200): the redeemed amount
    becomes owed in cash and is then paid like a dividend (``dividend_payment_entry``), so a
    failed transfer leaves a visible debt instead of a silent gap."""
    return transfer_entry(
        key,
        description,
        currency,
        AccountRef(MEMBER_CAPITAL, redemption.member_id),
        AccountRef(DIVIDENDS_PAYABLE, redemption.member_id),
        _positive(redemption.amount_cents, "a redemption"),
        KIND_REDEMPTION,
    )
