"""A member's dividend statement: what they got from a run and how, on a page and as a PDF.

A statement exists once its run is paid (or partially paid), whether the member's cash went
out by transfer or is held in dividends payable until they can receive payouts: the allocation
and the retained part are theirs either way, and the statement says where the cash is.

One statement per member and run (``RunStatement``), with one part per allocation
(``Statement``): a founder who also sold their own work has two parts, a non-patronage member
distribution and a patronage dividend, each with its own figures and its own box, and totals
that add up. A patronage dividend's part is its written notice of allocation (IRC §1388(b)):
it states the dollar amount, that the member must report it as income (when qualified), and
the consent it rests on. Cash kept against what the member owes the co-op (``kept_cents``,
member agreement) is shown apart: gross cash, kept for the debt, paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.dividends import core, statement_words
from marketplace.dividends.models import DividendAllocation, DividendRun
from marketplace.dividends.qualification import (
    deadline_of,
    is_qualified,
    late_notice,
    member_dividends,
    nonqualified_redemptions,
    tax_year_of,
)
from marketplace.errors import NotFound
from marketplace.ledger import display
from marketplace.membership.consent import consent_of
from marketplace.membership.models import membership_of

FINISHED = ("paid", "partially_paid")


@dataclass(frozen=True)
class Statement:
    run_id: int
    member_id: int
    member_number: int
    period_start: str
    period_end: str
    currency: str
    class_code: str
    basis: str
    weight: int
    class_total_weight: int
    class_share_pct: Decimal
    class_pool_cents: int
    pool_cents: int
    patronage_cents: int
    allocation_cents: int
    cash_pct: Decimal
    cash_cents: int
    retained_cents: int
    cash_status: str
    stripe_transfer_id: str | None
    tax_year: int
    form_1099_patr: core.Form1099PatrFigures
    own_class_code: str = ""
    qualified: bool = False
    consent_version: str | None = None
    consented_on: str | None = None
    payment_deadline: str = ""
    late_notice: str | None = None
    paid_by_other_means: str = ""
    kept_cents: int = 0
    # Federal income tax withheld from the cash (taxes.withholding), kept for the IRS.
    withheld_cents: int = 0

    @property
    def paid_cents(self) -> int:
        """The cash that reached the member: the gross cash less what was kept for a debt and
        the tax withheld."""
        return self.cash_cents - self.kept_cents - self.withheld_cents

    @property
    def cash_words(self) -> str:
        """Where the cash is, in words."""
        return statement_words.cash_words(self)

    @property
    def box(self) -> str:
        """Where this part goes on the member's tax forms, in words."""
        return statement_words.box(self)

    @property
    def distribution(self) -> core.Distribution:
        return statement_words.distribution(self.basis)

    @property
    def notice(self) -> list[str]:
        """The written notice of allocation's words (``statement_words.notice``)."""
        return statement_words.notice(self)

    def money(self, cents: int) -> str:
        return display.money(cents, self.currency)

    @property
    def period(self) -> str:
        return gettext(
            "%(start)s to %(end)s",
            start=display.day(self.period_start),
            end=display.day(self.period_end),
        )

    @property
    def explanation(self) -> list[str]:
        """How the share was computed, in words (``statement_words.explanation``)."""
        return statement_words.explanation(self)

    def as_json(self) -> dict[str, Any]:
        patr = self.form_1099_patr
        return {
            "run_id": self.run_id,
            "member_id": self.member_id,
            "member_number": self.member_number,
            "period_start": self.period_start,
            "period_end": self.period_end,
            "currency": self.currency,
            "class_code": self.class_code,
            "basis": self.basis,
            "weight": self.weight,
            "pool_cents": self.pool_cents,
            "class_pool_cents": self.class_pool_cents,
            "patronage_cents": self.patronage_cents,
            "allocation_cents": self.allocation_cents,
            "cash_cents": self.cash_cents,
            "retained_cents": self.retained_cents,
            "cash_status": self.cash_status,
            "kept_cents": self.kept_cents,
            "withheld_cents": self.withheld_cents,
            "paid_cents": self.paid_cents,
            "tax_year": self.tax_year,
            "box": self.box,
            "explanation": self.explanation,
            "distribution_kind": self.distribution.kind,
            "distribution_name": self.distribution.name,
            "patronage_dividend": self.distribution.patronage_dividend,
            "qualified_notice": self.qualified,
            "consent": (
                {"agreement_version": self.consent_version, "consented_on": self.consented_on}
                if self.consent_version
                else None
            ),
            "payment_deadline": self.payment_deadline,
            "notice": self.notice,
            "form_1099_patr": {
                "tax_year": patr.tax_year,
                "required": patr.required,
                "box1_patronage_dividends_cents": patr.box1_patronage_dividends_cents,
                "cash_cents": patr.cash_cents,
                "qualified_notice_cents": patr.qualified_notice_cents,
                "nonqualified_notice_cents": patr.nonqualified_notice_cents,
                "held_cash_cents": patr.held_cash_cents,
                "held_notice_cents": patr.held_notice_cents,
                "box5_nonqualified_redemptions_cents": patr.box5_nonqualified_redemptions_cents,
                "non_patronage_distributions_cents": patr.non_patronage_cents,
            },
        }


@dataclass(frozen=True)
class RunStatement:
    """A member's one statement for a run: its parts (one per allocation, the member's own
    class first) and their totals. The top-level fields keep their meaning: the member's
    allocation, cash and retained part from the run (the parts' sums), their patronage, and
    the class, basis and notice of their first part."""

    parts: tuple[Statement, ...]

    @property
    def first(self) -> Statement:
        return self.parts[0]

    def __getattr__(self, name: str) -> Any:
        # The run's and member's facts are the same in every part (period, pool, consent...).
        if name == "parts":
            raise AttributeError(name)
        return getattr(self.parts[0], name)

    def _total(self, field: str) -> int:
        return sum(int(getattr(part, field)) for part in self.parts)

    @property
    def allocation_cents(self) -> int:
        return self._total("allocation_cents")

    @property
    def cash_cents(self) -> int:
        return self._total("cash_cents")

    @property
    def retained_cents(self) -> int:
        return self._total("retained_cents")

    @property
    def kept_cents(self) -> int:
        return self._total("kept_cents")

    @property
    def withheld_cents(self) -> int:
        return self._total("withheld_cents")

    @property
    def paid_cents(self) -> int:
        return self._total("paid_cents")

    @property
    def patronage_cents(self) -> int:
        return max(part.patronage_cents for part in self.parts)

    @property
    def cash_status(self) -> str:
        """``paid`` when every part's cash is, else the first part's status that is not."""
        return next((p.cash_status for p in self.parts if p.cash_status != "paid"), "paid")

    @property
    def patronage_dividend(self) -> bool:
        return any(part.distribution.patronage_dividend for part in self.parts)

    @property
    def patr_parts(self) -> list[Statement]:
        """One part per tax year the statement's parts count in (for the 1099-PATR lines)."""
        years: dict[int, Statement] = {}
        for part in self.parts:
            years.setdefault(part.tax_year, part)
        return [years[year] for year in sorted(years)]

    def as_json(self) -> dict[str, Any]:
        body = self.first.as_json()
        body.update(
            allocation_cents=self.allocation_cents,
            cash_cents=self.cash_cents,
            retained_cents=self.retained_cents,
            kept_cents=self.kept_cents,
            withheld_cents=self.withheld_cents,
            paid_cents=self.paid_cents,
            patronage_cents=self.patronage_cents,
            cash_status=self.cash_status,
            patronage_dividend=self.patronage_dividend,
            explanation=[line for part in self.parts for line in part.explanation],
            notice=[line for part in self.parts for line in part.notice],
            parts=[part.as_json() for part in self.parts],
        )
        return body


def _finished_allocations(session: Session, member_id: int) -> list[DividendAllocation]:
    return list(
        session.execute(
            sa.select(DividendAllocation)
            .join(DividendRun, DividendRun.id == DividendAllocation.run_id)
            .where(DividendAllocation.member_id == member_id, DividendRun.status.in_(FINISHED))
            .order_by(DividendRun.period_end.desc(), DividendRun.id.desc())
        ).scalars()
    )


def _statement(
    session: Session,
    allocation: DividendAllocation,
    year_dividends: list[core.MemberDividend],
    box5_cents: int,
) -> Statement:
    run = allocation.run
    cls = next((c for c in run.classes if c["code"] == allocation.class_code), None) or {}
    tax_year = tax_year_of(allocation)
    consent = consent_of(session, allocation.member_id)
    qualified = is_qualified(run, allocation.basis, consent)
    return Statement(
        run_id=run.id,
        member_id=allocation.member_id,
        member_number=allocation.member_number,
        period_start=run.period_start.isoformat(),
        period_end=run.period_end.isoformat(),
        currency=run.currency,
        class_code=allocation.class_code,
        basis=allocation.basis,
        weight=allocation.weight,
        class_total_weight=int(cls.get("total_weight", allocation.weight)),
        class_share_pct=Decimal(str(cls.get("share_pct", "0"))),
        class_pool_cents=int(cls.get("pool_cents", allocation.allocation_cents)),
        pool_cents=run.pool_cents,
        patronage_cents=allocation.patronage_cents,
        allocation_cents=allocation.allocation_cents,
        cash_pct=core.bps_pct(run.cash_bps),
        cash_cents=allocation.cash_cents,
        retained_cents=allocation.retained_cents,
        cash_status=allocation.status,
        stripe_transfer_id=allocation.stripe_transfer_id,
        tax_year=tax_year,
        form_1099_patr=core.form_1099_patr(
            allocation.member_id, tax_year, year_dividends, box5_cents
        ),
        own_class_code=allocation.member.member_class.code,
        qualified=qualified,
        consent_version=consent.agreement_version if consent else None,
        consented_on=consent.consented_at.date().isoformat() if consent else None,
        payment_deadline=deadline_of(run).isoformat(),
        late_notice=late_notice(run),
        paid_by_other_means=allocation.paid_by_other_means,
        kept_cents=allocation.kept_cents,
        withheld_cents=allocation.withheld_cents,
    )


def statements_for_member(session: Session, member_id: int) -> list[RunStatement]:
    """One statement per paid run, newest run first, with one part per allocation; the
    1099-PATR figures add up every allocation whose cash was paid in the same calendar year
    (``tax_year_of``), and the year's nonqualified redemptions."""
    allocations = _finished_allocations(session, member_id)
    by_year: dict[int, list[core.MemberDividend]] = {}
    for allocation, figures in zip(
        allocations, member_dividends(session, allocations), strict=True
    ):
        by_year.setdefault(tax_year_of(allocation), []).append(figures)
    currency = allocations[0].run.currency if allocations else ""
    box5 = {
        year: nonqualified_redemptions(session, year, currency, [member_id]).get(member_id, 0)
        for year in by_year
    }
    by_run: dict[int, list[Statement]] = {}
    for a in allocations:
        year = tax_year_of(a)
        by_run.setdefault(a.run_id, []).append(_statement(session, a, by_year[year], box5[year]))
    return [RunStatement(tuple(_ordered(parts))) for parts in by_run.values()]


def _ordered(parts: list[Statement]) -> list[Statement]:
    """The member's own class first, then the other parts by class."""
    return sorted(parts, key=lambda p: (p.class_code != p.own_class_code, p.class_code))


def for_user(session: Session, user: User) -> list[RunStatement]:
    member = membership_of(user)
    return [] if member is None else statements_for_member(session, member.id)


def statement_for(session: Session, user: User, run_id: int) -> RunStatement:
    """The user's statement for one run; 404 when there is none (not a member, not paid)."""
    for found in for_user(session, user):
        if found.run_id == run_id:
            return found
    raise NotFound(gettext("You have no dividend statement for that run."))
