"""The words of a member's dividend statement, in the reader's language (page, PDF, API).

A statement's figures are computed in ``statements``; this module only says them: where the
cash is, which box of Form 1099-PATR a part goes in, the written notice of allocation, how the
share was computed and the year's 1099-PATR lines. Each function takes a statement part
(anything with ``StatementFacts``' fields) and is called inside a request or a
``force_locale`` block, so its text follows the reader's language.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Protocol

from flask_babel import gettext

from marketplace.dividends import core
from marketplace.dividends.models import DividendRun
from marketplace.i18n import formats
from marketplace.i18n.markers import N_
from marketplace.ledger import display

CASH_WORDS = {
    "paid": N_("paid to your payout account"),
    "held": N_(
        "held for you as a dividend payable, NOT yet paid: it is paid once you can receive "
        "payouts, or by other means"
    ),
    "failed": N_("not yet paid (the transfer failed; the co-op will try again)"),
    "pending": N_("being paid"),
}
BASIS_WORDS = {
    "equal": N_("in equal shares"),
    "service_years": N_("by years of service (completed years since joining, plus one)"),
    "patronage": N_("by patronage (each artist's net licence sales of their own work)"),
}
# A class's basis as a name (the annual report's policy table).
BASIS_NAMES = {
    "equal": N_("equal"),
    "service_years": N_("service years"),
    "patronage": N_("patronage"),
}
# A dividend run's status, capitalised as the annual report shows it.
RUN_STATUS_WORDS = {
    "draft": N_("Draft"),
    "approved": N_("Approved"),
    "paying": N_("Paying"),
    "paid": N_("Paid"),
    "partially_paid": N_("Partially paid"),
}
LOSS_POLICY_WORDS = {
    "carry_forward": N_("carry forward"),
    "charge_reserves": N_("charge reserves"),
}


class StatementFacts(Protocol):
    """What the words of a statement part are made of (``statements.Statement``)."""

    @property
    def currency(self) -> str: ...
    @property
    def basis(self) -> str: ...
    @property
    def class_code(self) -> str: ...
    @property
    def own_class_code(self) -> str: ...
    @property
    def weight(self) -> int: ...
    @property
    def class_total_weight(self) -> int: ...
    @property
    def class_share_pct(self) -> Decimal: ...
    @property
    def class_pool_cents(self) -> int: ...
    @property
    def pool_cents(self) -> int: ...
    @property
    def allocation_cents(self) -> int: ...
    @property
    def cash_pct(self) -> Decimal: ...
    @property
    def cash_cents(self) -> int: ...
    @property
    def retained_cents(self) -> int: ...
    @property
    def cash_status(self) -> str: ...
    @property
    def tax_year(self) -> int: ...
    @property
    def form_1099_patr(self) -> core.Form1099PatrFigures: ...
    @property
    def qualified(self) -> bool: ...
    @property
    def consent_version(self) -> str | None: ...
    @property
    def consented_on(self) -> str | None: ...
    @property
    def payment_deadline(self) -> str: ...
    @property
    def late_notice(self) -> str | None: ...
    @property
    def paid_by_other_means(self) -> str: ...


def words(table: dict[str, str]) -> dict[str, str]:
    """One of this module's tables in the reader's language."""
    return {code: gettext(text) for code, text in table.items()}


def basis_words() -> dict[str, str]:
    return words(BASIS_WORDS)


def basis_names() -> dict[str, str]:
    return words(BASIS_NAMES)


def run_status_words() -> dict[str, str]:
    return words(RUN_STATUS_WORDS)


def loss_policy_words(policy: str) -> str:
    text = LOSS_POLICY_WORDS.get(policy)
    return gettext(text) if text else policy.replace("_", " ")


def distribution(basis: str) -> core.Distribution:
    """The kind of payment an allocation of ``basis`` is, its name and source translated."""
    found = core.distribution(basis)
    return replace(found, name=gettext(found.name), source=gettext(found.source))


def _money(part: StatementFacts, cents: int) -> str:
    return display.money(cents, part.currency)


def cash_words(part: StatementFacts) -> str:
    """Where the cash is, in words."""
    if part.paid_by_other_means:
        return gettext("paid by other means (%(reference)s)", reference=part.paid_by_other_means)
    return gettext(CASH_WORDS[part.cash_status])


def box(part: StatementFacts) -> str:
    """Where this part goes on the member's tax forms, in words."""
    kind = distribution(part.basis)
    if not kind.patronage_dividend:
        return gettext(
            "Not on Form 1099-PATR: a %(kind)s, reported apart (never in box 1).",
            kind=kind.name.lower(),
        )
    if part.cash_status != "paid":
        return gettext(
            "Form 1099-PATR box 1 once its cash is paid: %(cash)s is not paid yet.",
            cash=_money(part, part.cash_cents),
        )
    retained = _money(part, part.retained_cents)
    if part.qualified:
        return gettext(
            "Form 1099-PATR %(year)s, box 1: cash %(cash)s (the gross, kept part included), its "
            "qualified notice of %(retained)s in box 1 too.",
            year=part.tax_year,
            cash=_money(part, part.cash_cents),
            retained=retained,
        )
    return gettext(
        "Form 1099-PATR %(year)s, box 1: cash %(cash)s (the gross, kept part included), its "
        "nonqualified notice of %(retained)s in box 5 the year it is redeemed.",
        year=part.tax_year,
        cash=_money(part, part.cash_cents),
        retained=retained,
    )


def notice(part: StatementFacts) -> list[str]:
    """The written notice of allocation's words: the stated amount, how it is taxed, the
    consent it rests on; for another distribution, what it is and that it is not one."""
    kind = distribution(part.basis)
    allocation = _money(part, part.allocation_cents)
    cash = _money(part, part.cash_cents)
    if not kind.patronage_dividend:
        return [
            gettext(
                "This is a %(kind)s of %(amount)s, not a patronage dividend: it is not reported "
                "on Form 1099-PATR. Ask the co-op how it is reported to you.",
                kind=kind.name.lower(),
                amount=allocation,
            ),
            gettext("Why: %(source)s.", source=kind.source),
        ]
    lines = [
        gettext(
            "Written notice of allocation: the stated dollar amount of your patronage dividend "
            "is %(amount)s, of which %(cash)s in cash and %(retained)s retained in your capital "
            "account.",
            amount=allocation,
            cash=cash,
            retained=_money(part, part.retained_cents),
        )
    ]
    if part.qualified:
        lines.append(
            gettext(
                "This is a qualified written notice: you consented on %(date)s (member agreement "
                "%(version)s), so you must report the whole %(amount)s as income for the year you "
                "receive this notice, the retained part included (IRC §1385(a), §1388(c)).",
                date=display.day(part.consented_on) if part.consented_on else "",
                version=part.consent_version,
                amount=allocation,
            )
        )
    elif part.late_notice and part.consent_version:
        lines.append(
            gettext(
                "This is a NONQUALIFIED written notice because the run was paid after its "
                "payment period without a recorded reason: you report the cash (%(cash)s) as "
                "income when paid, and the retained part only when it is redeemed (Form "
                "1099-PATR box 5).",
                cash=cash,
            )
        )
    else:
        lines.append(
            gettext(
                "This is a NONQUALIFIED written notice because you had not consented to take "
                "allocations into income when it was issued: you report the cash (%(cash)s) as "
                "income when paid, and the retained part only when it is redeemed (Form "
                "1099-PATR box 5).",
                cash=cash,
            )
        )
    if part.cash_status == "held":
        lines.append(
            gettext(
                "Your cash has not been paid yet: the co-op must pay it by %(deadline)s. Until "
                "then it is not income paid to you.",
                deadline=display.day(part.payment_deadline),
            )
        )
    return lines


def explanation(part: StatementFacts) -> list[str]:
    """How the share was computed, in words."""
    share = _money(part, part.class_pool_cents)
    lines = [
        gettext(
            "The pool for the period was %(pool)s. The %(code)s class's share is %(pct)s %%, "
            "which came to %(share)s (a class with no eligible member passes its share to the "
            "others in proportion).",
            pool=_money(part, part.pool_cents),
            code=part.class_code,
            pct=display.decimal(part.class_share_pct),
            share=share,
        )
    ]
    if part.basis == "equal":
        lines.append(
            gettext(
                "That part is shared equally among %(count)s members: %(share)s ÷ %(count)s.",
                count=part.class_total_weight,
                share=share,
            )
        )
    elif part.basis == "service_years":
        lines.append(
            gettext(
                "That part is shared by years of service: yours count %(weight)s of the class's "
                "%(total)s, so %(weight)s ÷ %(total)s of %(share)s.",
                weight=part.weight,
                total=part.class_total_weight,
                share=share,
            )
        )
    else:
        if part.own_class_code and part.own_class_code != part.class_code:
            lines.append(
                gettext(
                    "You are a member of the %(own)s class; your own sales as an artist count "
                    "as patronage, so you also share in the %(code)s class's part.",
                    own=part.own_class_code,
                    code=part.class_code,
                )
            )
        lines.append(
            gettext(
                "That part is shared by patronage: your net licence sales of %(weight)s out of "
                "the class's %(total)s, so that fraction of %(share)s.",
                weight=_money(part, part.weight),
                total=_money(part, part.class_total_weight),
                share=share,
            )
        )
    lines.append(
        gettext(
            "Your allocation: %(amount)s, rounded to the cent by the largest-remainder method, "
            "so that all allocations add up to the pool exactly.",
            amount=_money(part, part.allocation_cents),
        )
    )
    lines.append(
        gettext(
            "%(pct)s %% of it is paid in cash (%(cash)s, rounded up); the rest, %(retained)s, "
            "is credited to your capital account and redeemed in later years.",
            pct=display.decimal(part.cash_pct),
            cash=_money(part, part.cash_cents),
            retained=_money(part, part.retained_cents),
        )
    )
    return lines


def patr_lines(part: StatementFacts) -> list[str]:
    """What the year's Form 1099-PATR says, in words (page and PDF)."""
    patr = part.form_1099_patr
    year = patr.tax_year
    if not patr.required:
        lines = [
            gettext(
                "Your patronage dividends and redemptions for %(year)s are under $10: no "
                "1099-PATR is due.",
                year=year,
            )
        ]
    else:
        lines = [
            gettext(
                "Box 1, patronage dividends: %(box1)s (cash paid %(cash)s, qualified written "
                "notices of allocation %(qualified)s), for every dividend whose cash was paid "
                "in %(year)s.",
                box1=_money(part, patr.box1_patronage_dividends_cents),
                cash=_money(part, patr.cash_cents),
                qualified=_money(part, patr.qualified_notice_cents),
                year=year,
            ),
            gettext(
                "Box 5, redemption of nonqualified notices: %(box5)s.",
                box5=_money(part, patr.box5_nonqualified_redemptions_cents),
            ),
        ]
    if patr.nonqualified_notice_cents:
        lines.append(
            gettext(
                "Nonqualified notices issued: %(amount)s, not in box 1; reported in box 5 in the "
                "year they are redeemed.",
                amount=_money(part, patr.nonqualified_notice_cents),
            )
        )
    if patr.held_cash_cents:
        lines.append(
            gettext(
                "Cash not yet paid: %(cash)s (and its retained part %(retained)s), not in box 1 "
                "until it is paid.",
                cash=_money(part, patr.held_cash_cents),
                retained=_money(part, patr.held_notice_cents),
            )
        )
    if patr.non_patronage_cents:
        lines.append(
            gettext(
                "Other distributions, not patronage dividends and never in box 1: %(amount)s.",
                amount=_money(part, patr.non_patronage_cents),
            )
        )
    return lines


def error_words(error: core.DividendError) -> str:
    """A refusal of the dividend core in the reader's language (its template and values; the
    name of the share it refused translated when the catalogue knows it)."""
    values = {
        key: gettext(value) if key == "name" and isinstance(value, str) else value
        for key, value in error.values.items()
    }
    return gettext(error.message, **values) if values else gettext(error.message)


def run_reason(run: DividendRun) -> str | None:
    """Why a run has no pool or allocated nothing, in the reader's language.

    The run keeps the reason its drafting wrote, in English (data, also in the API); other
    languages say it again from the run's own figures, as ``allocation`` worded it."""
    if not run.reason or formats.reader_locale().language == "en":
        return run.reason or None
    surplus, brought = run.surplus_cents, run.loss_brought_forward_cents
    net = surplus - brought

    def money(cents: int) -> str:
        return display.money(cents, run.currency)

    if net > 0:
        if not run.pool_cents:
            return gettext(
                "The whole surplus of %(net)s goes to reserves: no dividend pool.", net=money(net)
            )
        return gettext(
            "No member is eligible in this period (no member of a class in the policy, and no "
            "artist with sales): the pool of %(pool)s stays in retained surplus.",
            pool=money(run.pool_cents),
        )
    if surplus == 0 and not brought:
        return gettext("The period broke even: no surplus, so no dividend pool.")
    if surplus < 0:
        words = gettext("The period made a loss of %(loss)s", loss=money(-surplus))
    elif surplus == 0:
        words = gettext("The period broke even")
    else:
        words = gettext("The surplus of %(surplus)s only reduces", surplus=money(surplus))
    if brought and surplus > 0:
        words += gettext(" the loss of %(brought)s brought forward", brought=money(brought))
    elif brought:
        words += gettext(", with %(brought)s brought forward", brought=money(brought))
    loss = -net
    if loss == 0:
        return words + gettext(": no dividend pool.")
    if run.loss_charged_to_reserves_cents:
        return words + gettext(
            ": %(loss)s is charged to reserves; no dividend pool.", loss=money(loss)
        )
    return words + gettext(
        ": %(loss)s is carried forward against later surpluses; no dividend pool.",
        loss=money(loss),
    )
