"""Federal income tax withheld from what the co-op pays members: the rules as data, and the
arithmetic in integer cents.

Pure: no Flask, SQLAlchemy, Celery or stripe. The services read a member's tax form
(``taxes.withholding_status``) into a ``FormOnFile`` and call ``rate_for``; the payouts and
dividends services withhold ``withheld_cents`` of what they pay and post it with
``withheld_payment_entry``.

The rules (rates in basis points, 10,000 = 100 %):

- A US person (citizen or resident, Form W-9) whose TIN is valid: nothing is withheld.
- A US person whose W-9 the IRS answered with a "B notice" (name and TIN do not match its
  records), recorded by an admin: backup withholding, however valid the TIN's format, until the
  member gives a new TIN or an admin clears the notice on a certification (IRC §3406(a)(1)(B)).
- A US person without a valid TIN, and a member with no form at all (the IRS presumption
  rules treat an undocumented individual as a US person, Treas. Reg. §1.1441-1(b)(3)): backup
  withholding, 24 % (IRC §3406(a)(1), the fourth-lowest rate of §1(c), 24 % since 2018).
- A foreign person (Form W-8BEN) with a valid treaty claim: the treaty's rate for royalties,
  which the member claims on the form and may not set below the treaty's own (``TREATY_RATES``).
- A foreign person without one (no W-8BEN, an unsigned or expired one, no claim, or a claim
  the table does not support): the statutory 30 % on US-source income not effectively
  connected with a US business (IRC §1441(a), §871(a)(1)(A)).

A W-8BEN stays valid until the last day of the third calendar year after the year it was
signed (Treas. Reg. §1.1441-1(e)(4)(ii)(A)).

Rounding: the tax withheld is ``gross × rate / 10,000`` rounded half up to the cent, never more
than the gross; the member receives the rest, so withheld plus net is always the gross.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from marketplace.i18n.markers import N_
from marketplace.ledger import kinds
from marketplace.ledger.entries import (
    STRIPE_CLEARING,
    WITHHOLDING_PAYABLE,
    AccountRef,
    EntryDraft,
    LedgerError,
    credit,
    debit,
)

WHOLE_BPS = 10_000
BACKUP_WITHHOLDING_BPS = 2_400
NONRESIDENT_WITHHOLDING_BPS = 3_000
# The most a configured rate may be: under half. Rounded half up, the tax on any payment of a
# cent or more is then always less than the payment (at 50 % a 1-cent payment would be all
# tax), which ``withheld_payment_entry`` requires: a member is always paid something. The
# statutory rates (24 %, 30 %) are well below it.
MAX_CONFIGURED_BPS = 4_999

FormType = Literal["w9", "w8ben"]
Reason = Literal[
    "valid_tin",
    "no_form",
    "no_valid_tin",
    "b_notice",
    "treaty",
    "no_treaty_claim",
    "w8ben_invalid",
]


@dataclass(frozen=True)
class TreatyRate:
    rate_bps: int
    article: str


# US income tax treaties' rate on royalties for copyrights of literary, artistic or scientific
# works (what a photograph's or a video's licence pays), as IRS "Tax Treaty Table 1" lists
# them under income code 12, "other royalties (copyrights, recordings, publishing)":
# https://www.irs.gov/individuals/international-taxpayers/tax-treaty-tables (Publication 515).
TREATY_RATES: dict[str, TreatyRate] = {
    "CA": TreatyRate(0, "XII"),  # US-Canada 1980, Art. XII(3)(a): cultural copyrights exempt
    "FR": TreatyRate(0, "12"),  # US-France 1994 as amended 2009, Art. 12(1)
    "DE": TreatyRate(0, "12"),  # US-Germany 1989 as amended 2006, Art. 12(1)
    "GB": TreatyRate(0, "12"),  # US-UK 2001, Art. 12(1)
    "JP": TreatyRate(0, "12"),  # US-Japan 2003 as amended 2013, Art. 12(1)
    "AU": TreatyRate(500, "12"),  # US-Australia 1982 as amended 2001, Art. 12(2): 5 %
    "MX": TreatyRate(1_000, "12"),  # US-Mexico 1992, Art. 12(2): 10 %
    "CN": TreatyRate(1_000, "11"),  # US-China 1984, Art. 11(2): 10 %
    "IN": TreatyRate(1_500, "12"),  # US-India 1989, Art. 12(2)(a): 15 %
}

REASON_WORDS: dict[str, str] = {
    "valid_tin": N_("W-9 with a valid TIN: nothing is withheld"),
    "no_form": N_("No tax form on file: backup withholding"),
    "no_valid_tin": N_("W-9 without a valid TIN: backup withholding"),
    "b_notice": N_("IRS B notice on the W-9: backup withholding until a new TIN or certification"),
    "treaty": N_("W-8BEN with a treaty claim: the treaty rate"),
    "no_treaty_claim": N_("W-8BEN without a treaty claim: the statutory rate"),
    "w8ben_invalid": N_("W-8BEN unsigned, expired or not supported: the statutory rate"),
}


@dataclass(frozen=True)
class Rates:
    """The configured rates (settings may override the statutory ones)."""

    backup_bps: int = BACKUP_WITHHOLDING_BPS
    nonresident_bps: int = NONRESIDENT_WITHHOLDING_BPS

    def __post_init__(self) -> None:
        for rate in (self.backup_bps, self.nonresident_bps):
            problem = configured_rate_problem(rate)
            if problem:
                raise ValueError(problem)


@dataclass(frozen=True)
class FormOnFile:
    """What the rules need of a member's tax form; ``None`` for a member without one."""

    form_type: FormType
    country: str
    tin_valid: bool = False
    b_notice: bool = False
    signed_on: date | None = None
    certified: bool = False
    treaty_country: str | None = None
    treaty_rate_bps: int | None = None


@dataclass(frozen=True)
class Withholding:
    rate_bps: int
    reason: Reason

    @property
    def words(self) -> str:
        return REASON_WORDS[self.reason]


def configured_rate_problem(rate_bps: object) -> str | None:
    """Why ``rate_bps`` cannot be a configured withholding rate, or None: whole basis points
    from 0 to ``MAX_CONFIGURED_BPS``."""
    if isinstance(rate_bps, bool) or not isinstance(rate_bps, int):
        return f"a withholding rate is whole basis points, not {rate_bps!r}"
    if not 0 <= rate_bps <= MAX_CONFIGURED_BPS:
        return (
            f"a configured withholding rate is 0 to {MAX_CONFIGURED_BPS} basis points (under "
            f"half, so that a member is always paid part of a payment), not {rate_bps}"
        )
    return None


def _check_rate(rate_bps: int) -> int:
    if isinstance(rate_bps, bool) or not isinstance(rate_bps, int):
        raise ValueError(f"a withholding rate is whole basis points, not {rate_bps!r}")
    if not 0 <= rate_bps <= WHOLE_BPS:
        raise ValueError(f"a withholding rate is 0 to 10000 basis points, not {rate_bps}")
    return rate_bps


def w8ben_expires_on(signed_on: date) -> date:
    """The last day a W-8BEN signed on ``signed_on`` is valid: the end of the third calendar
    year after the year it was signed."""
    return date(signed_on.year + 3, 12, 31)


def treaty_claim_problem(country: str, treaty_country: str, rate_bps: int) -> str | None:
    """Why a W-8BEN's treaty claim cannot stand (a marked text), or None: the treaty must be
    the country of residence's, one the table knows, at no less than the treaty's rate."""
    treaty = TREATY_RATES.get(treaty_country)
    if treaty_country != country:
        return N_("A treaty claim is for the country where you are resident.")
    if treaty is None:
        return N_("The co-op applies no treaty rate for this country: 30 percent is withheld.")
    if rate_bps < treaty.rate_bps:
        return N_("The claimed rate is below the treaty's rate for royalties.")
    return None


def rate_for(form: FormOnFile | None, today: date, rates: Rates | None = None) -> Withholding:
    """The rate withheld from a payment made ``today`` to a member with ``form`` on file."""
    rates = rates or Rates()
    if form is None:
        return Withholding(rates.backup_bps, "no_form")
    if form.form_type == "w9":
        if form.b_notice:
            return Withholding(rates.backup_bps, "b_notice")
        if form.tin_valid:
            return Withholding(0, "valid_tin")
        return Withholding(rates.backup_bps, "no_valid_tin")
    signed = form.signed_on is not None and form.certified
    if not signed or form.signed_on is None or today > w8ben_expires_on(form.signed_on):
        return Withholding(rates.nonresident_bps, "w8ben_invalid")
    if form.treaty_country is None or form.treaty_rate_bps is None:
        return Withholding(rates.nonresident_bps, "no_treaty_claim")
    if treaty_claim_problem(form.country, form.treaty_country, form.treaty_rate_bps):
        return Withholding(rates.nonresident_bps, "w8ben_invalid")
    return Withholding(min(_check_rate(form.treaty_rate_bps), rates.nonresident_bps), "treaty")


def withheld_cents(gross_cents: int, rate_bps: int) -> int:
    """The tax withheld from ``gross_cents`` at ``rate_bps``, rounded half up to the cent."""
    if isinstance(gross_cents, bool) or not isinstance(gross_cents, int) or gross_cents < 0:
        raise ValueError(f"a payment is a non-negative number of cents, not {gross_cents!r}")
    return (gross_cents * _check_rate(rate_bps) * 2 + WHOLE_BPS) // (2 * WHOLE_BPS)


def withheld_payment_entry(
    key: str,
    description: str,
    currency: str,
    payable: AccountRef,
    gross_cents: int,
    withheld: int,
    kind: str,
) -> EntryDraft:
    """Dr ``payable`` (the member's royalties or dividends payable) the gross; Cr Stripe
    clearing (1100) what the transfer paid, the net; Cr withholding payable[member] (2500) the
    tax withheld, when there is any. One balanced entry: the member is owed nothing more, and
    the IRS is owed the withheld part until the co-op deposits it."""
    if kind not in (kinds.ROYALTY_PAYOUT, kinds.DIVIDEND_PAYMENT):
        raise LedgerError(f"withholding applies to royalty payouts and dividends, not {kind!r}")
    if isinstance(gross_cents, bool) or not isinstance(gross_cents, int) or gross_cents <= 0:
        raise LedgerError(f"a payment is a positive number of cents, not {gross_cents!r}")
    if isinstance(withheld, bool) or not isinstance(withheld, int):
        raise LedgerError(f"tax withheld is whole cents, not {withheld!r}")
    if not 0 <= withheld < gross_cents:
        raise LedgerError(f"tax withheld ({withheld}) is 0 or more and less than the payment")
    lines = [
        debit(payable, gross_cents),
        credit(AccountRef(STRIPE_CLEARING), gross_cents - withheld),
    ]
    if withheld:
        lines.append(credit(AccountRef(WITHHOLDING_PAYABLE, payable.member_id), withheld))
    return EntryDraft(
        idempotency_key=key,
        description=description,
        currency=currency,
        lines=tuple(lines),
        kind=kind,
    ).validate()


def withholding_returned(withheld: int, net_cents: int, reversed_in_all_cents: int) -> int:
    """How much of a payout's withheld tax goes back to the member once Stripe has reversed
    ``reversed_in_all_cents`` of its ``net_cents`` transfer: the same share of the tax, rounded
    down, so that a full reversal returns all of it and no more."""
    if net_cents <= 0 or not 0 <= reversed_in_all_cents <= net_cents:
        raise LedgerError("a reversal is between nothing and the whole transfer")
    return withheld * reversed_in_all_cents // net_cents
