"""OpenAPI paths: money (the ledger, dividend runs, redemptions, taxes, earnings, payouts)."""

from __future__ import annotations

from typing import Any

from marketplace.openapi_paths import (
    CSV,
    TEXT,
    Schema,
    _op,
    _props,
    obj,
    query,
    results,
)

_CENTS: Schema = {"type": "integer", "minimum": 0}
_PCT: Schema = {
    "type": ["number", "string"],
    "minimum": 0,
    "maximum": 100,
    "pattern": r"^\d{1,3}(\.\d{1,2})?$",
    "description": "a percentage, at most two decimals (a number or a string of one)",
}
RUN: Schema = obj(
    ["id", "status", "period_start", "period_end", "currency", "pool_cents"],
    id={"type": "integer"},
    status=TEXT,
    period_start={"type": "string", "format": "date"},
    period_end={"type": "string", "format": "date"},
    starts_at={"type": ["string", "null"], "format": "date-time"},
    books_closed_at={"type": ["string", "null"], "format": "date-time"},
    currency=TEXT,
    surplus_cents={"type": "integer"},
    operating_costs_cents={"type": "integer"},
    pool_cents={"type": "integer"},
)
REDEMPTION: Schema = obj(
    ["id", "year", "status", "total_cents", "currency"],
    id={"type": "integer"},
    year={"type": "integer"},
    status=TEXT,
    total_cents=_CENTS,
)
_YEAR = query("year", {"type": "integer", "minimum": 1900, "maximum": 9999})

DIVIDEND_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/admin/ledger/trial-balance": {
        "get": _op(
            "The trial balance: each account's balance, debit and credit totals equal",
            auth="admin",
            tag="admin",
            params=[query("currency", {"type": "string", "pattern": "^[A-Za-z]{3}$"})],
            returns=obj(
                ["currency", "accounts", "total_debits_cents", "total_credits_cents"],
                currency=TEXT,
                accounts={"type": "array"},
                total_debits_cents=_CENTS,
                total_credits_cents=_CENTS,
            ),
        ),
    },
    "/api/v1/admin/dividend-runs": {
        "post": _op(
            "Draft a dividend run for a period from the ledger (posts nothing until approved; "
            "cash_pct under 20 is 422; a period ending in the future, or today without "
            "close_books_now true, is 422 period_not_ended; a period overlapping another run "
            "is 409). close_books_now closes the books at this moment: later sales, refunds "
            "and costs belong to the next run, which starts at that moment (books_closed_at). "
            "Operating costs are those recorded in the ledger for the period "
            "(POST /api/v1/admin/costs); operating_costs_cents may be left out, and when given "
            "must equal the ledger's figure, else 422 operating_costs_disagree. Approval dates "
            "the run's entries at the last moment of its period",
            auth="admin",
            status=201,
            tag="dividends",
            body=_props(
                ["period_start", "period_end", "reserve_pct"],
                period_start={"type": "string", "format": "date"},
                period_end={"type": "string", "format": "date"},
                operating_costs_cents=_CENTS,
                operating_costs_note=TEXT,
                reserve_pct=_PCT,
                cash_pct=_PCT,
                close_books_now={"type": "boolean"},
            ),
            returns=RUN,
            errors=(409,),
        ),
        "get": _op(
            "Every dividend run, latest period first",
            auth="admin",
            tag="dividends",
            returns=results(RUN),
        ),
    },
    "/api/v1/admin/dividend-runs/{run_id}": {
        "get": _op(
            "A dividend run: figures, classes, allocations and payment progress",
            auth="admin",
            tag="dividends",
            returns=RUN,
        ),
        "delete": _op(
            "Discard a draft run (an approved or paid run: 409)",
            auth="admin",
            status=204,
            tag="dividends",
            errors=(409,),
        ),
    },
    "/api/v1/admin/dividend-runs/{run_id}/approve": {
        "post": _op(
            "Approve a draft (an admin other than the drafter: 403 for the drafter); posts the "
            "run's ledger entries. After the payment period (payment_deadline) the run's "
            "written notices are nonqualified unless late_reason says why the law allows it",
            auth="admin",
            tag="dividends",
            body=_props([], late_reason=TEXT),
            returns=RUN,
            errors=(409,),
        ),
    },
    "/api/v1/admin/dividend-runs/{run_id}/pay": {
        "post": _op(
            "Pay an approved run: one transfer per member, queued; paying twice pays nobody "
            "twice. A run that allocated nothing is 409 nothing_to_pay. It ends paid only when "
            "every member's cash was paid, else partially_paid (cash_held, failures). "
            "late_reason as for approving",
            auth="admin",
            status=202,
            tag="dividends",
            body=_props([], late_reason=TEXT),
            returns=RUN,
            errors=(409,),
        ),
    },
    "/api/v1/admin/dividend-runs/{run_id}/pay-held": {
        "post": _op(
            "Pay the run's held allocations whose members now have a payout account (once each)",
            auth="admin",
            status=202,
            tag="dividends",
            returns=RUN,
            errors=(409,),
        ),
    },
    "/api/v1/admin/redemptions": {
        "post": _op(
            "Draft a revolving redemption of a year's retained allocations (all, or pct), "
            "oldest year first; posts nothing",
            auth="admin",
            body=_props(
                ["year"],
                year={
                    "type": ["integer", "string"],
                    "minimum": 1900,
                    "maximum": 9999,
                    "pattern": "^[0-9]{4}$",
                },
                pct=_PCT,
                allow_out_of_order={"type": "boolean"},
            ),
            status=201,
            tag="dividends",
            returns=REDEMPTION,
            errors=(409,),
        ),
        "get": _op(
            "Every redemption, latest first",
            auth="admin",
            tag="dividends",
            returns=results(REDEMPTION),
        ),
    },
    "/api/v1/admin/redemptions/{run_id}": {
        "get": _op(
            "A redemption with its lines and payment progress",
            auth="admin",
            tag="dividends",
            returns=REDEMPTION,
        ),
        "delete": _op(
            "Discard a draft redemption (409 once paid)",
            auth="admin",
            status=204,
            tag="dividends",
            errors=(409,),
        ),
    },
    "/api/v1/admin/redemptions/{run_id}/pay": {
        "post": _op(
            "Post a redemption against member capital and pay each line like a dividend "
            "(paying twice pays nobody twice)",
            auth="admin",
            status=202,
            tag="dividends",
            returns=REDEMPTION,
            errors=(409,),
        ),
    },
    "/api/v1/me/tax-summary": {
        "get": _op(
            "The caller's royalties and patronage dividends paid in a year (last year by"
            " default; 1099-PATR flag)",
            tag="taxes",
            params=[_YEAR],
            errors=(403,),
        ),
    },
    "/api/v1/admin/dividend-runs/{run_id}/allocations.csv": {
        "get": _op("A run's allocations as CSV", auth="admin", tag="dividends", media=CSV),
    },
    "/api/v1/me/dividend-statements": {
        "get": _op(
            "The caller's dividend statements, one per paid run (with 1099-PATR figures): the"
            " member's totals of the run (allocation_cents, cash_cents, retained_cents, kept_cents"
            " kept against a debt, paid_cents) and parts: one per allocation kind (patronage"
            " dividend, non-patronage member distribution, staff compensation) with its figures,"
            " tax_year (when its cash was paid) and box",
            tag="dividends",
            returns=results(),
        ),
    },
}


_CURRENCY: Schema = {"type": "string", "pattern": "^[A-Z]{3}$"}
SALE: Schema = obj(
    ["item_id", "price_cents", "royalty_cents", "currency", "paid_cents", "paid_currency"],
    order_id={"type": "integer"},
    item_id={"type": "integer"},
    sold_at={"type": "string", "format": "date-time"},
    asset_id={"type": "integer"},
    asset_title=TEXT,
    licence=TEXT,
    size=TEXT,
    price_cents={
        **_CENTS,
        "description": "what the ledger posted for the item, in currency: its price, or for"
        " a sale paid in another currency its share of what the co-op received",
    },
    royalty_cents={**_CENTS, "description": "the member's royalty on price_cents, in currency"},
    currency={**_CURRENCY, "description": "the settlement currency the sale was posted in"},
    paid_cents={**_CENTS, "description": "the item's price as the buyer paid it"},
    paid_currency={**_CURRENCY, "description": "the currency the buyer paid in"},
    status=TEXT,
)


PAYOUT_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/me/earnings": {
        "get": _op(
            "The member's earnings: {currency, royalties_earned_cents, royalties_paid_cents,"
            " royalties_due_cents, dividends_cash_paid_cents (dividend cash only),"
            " capital_account_cents, redemptions_paid_cents (capital redeemed and paid),"
            " owed_to_coop_cents (royalties clawed back after payout, not yet recovered), sales}."
            " Each of the latest sales reads as the ledger posted it, in the settlement currency;"
            " one paid in another currency also gives the price the buyer paid, in theirs."
            " A former member (resigned or expelled) still reads theirs.",
            auth="member",
            tag="payouts",
            returns=obj(
                ["currency", "royalties_earned_cents", "royalties_due_cents"],
                currency=TEXT,
                royalties_earned_cents={"type": "integer"},
                royalties_due_cents={"type": "integer"},
                redemptions_paid_cents={"type": "integer", "minimum": 0},
                owed_to_coop_cents={"type": "integer", "minimum": 0},
                sales={"type": "array", "items": SALE},
            ),
        ),
    },
    "/api/v1/me/payout-account": {
        "post": _op(
            "Start (or resume) Stripe Connect onboarding of the member's payout account:"
            " {onboarding_url}",
            auth="member",
            tag="payouts",
            returns=obj(["onboarding_url"], onboarding_url={"type": "string", "minLength": 1}),
            errors=(409,),
        ),
    },
    "/api/v1/admin/royalty-payouts": {
        "post": _op(
            "Pay every member whose royalties due reach the threshold, by Stripe transfer:"
            " 202 {id, status}; while a run is open, the open run",
            auth="admin",
            status=202,
            tag="admin",
            returns=obj(["id", "status"], id={"type": "integer"}, status=TEXT),
        ),
    },
    "/api/v1/admin/royalty-payouts/{run_id}": {
        "get": _op(
            "A payout run: {id, status, lines: [{member_id, amount_cents (gross),"
            " withholding_bps, withheld_cents (federal tax withheld), net_cents (transferred),"
            " status, stripe_transfer_id, failure_reason}]}",
            auth="admin",
            tag="admin",
            returns=obj(["id", "status"], id={"type": "integer"}, status=TEXT),
        ),
    },
}
