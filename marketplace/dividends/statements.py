"""A member's dividend statement: what they got from a run and how, on a page and as a PDF.

A statement exists once its run is paid (or partially paid), whether the member's cash went
out by transfer or is held in dividends payable until they can receive payouts: the allocation
and the retained part are theirs either way, and the statement says where the cash is.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.dividends import core
from marketplace.dividends.models import DividendAllocation, DividendRun
from marketplace.dividends.services import dividend
from marketplace.errors import NotFound
from marketplace.ledger.core import format_cents

FINISHED = ("paid", "partially_paid")
CASH_WORDS = {
    "paid": "paid to your payout account",
    "held": "held for you as a dividend payable: it is paid once you can receive payouts",
    "failed": "not yet paid (the transfer failed; the co-op will try again)",
    "pending": "being paid",
}
BASIS_WORDS = {
    "equal": "in equal shares",
    "service_years": "by years of service (completed years since joining, plus one)",
    "patronage": "by patronage (each artist's net licence sales of their own work)",
}


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

    def money(self, cents: int) -> str:
        return format_cents(cents, self.currency)

    @property
    def period(self) -> str:
        return f"{self.period_start} to {self.period_end}"

    @property
    def explanation(self) -> list[str]:
        """How the share was computed, in words."""
        share = self.money(self.class_pool_cents)
        lines = [
            f"The pool for the period was {self.money(self.pool_cents)}. The {self.class_code} "
            f"class's share is {self.class_share_pct} %, which came to {share} "
            "(a class with no eligible member passes its share to the others in proportion).",
        ]
        if self.basis == "equal":
            lines.append(
                f"That part is shared equally among {self.class_total_weight} members: "
                f"{share} ÷ {self.class_total_weight}."
            )
        elif self.basis == "service_years":
            lines.append(
                f"That part is shared by years of service: yours count {self.weight} of the "
                f"class's {self.class_total_weight}, so {self.weight} ÷ "
                f"{self.class_total_weight} of {share}."
            )
        else:
            lines.append(
                f"That part is shared by patronage: your net licence sales of "
                f"{self.money(self.weight)} out of the class's "
                f"{self.money(self.class_total_weight)}, so that fraction of {share}."
            )
        lines.append(
            f"Your allocation: {self.money(self.allocation_cents)}, rounded to the cent by the "
            "largest-remainder method, so that all allocations add up to the pool exactly."
        )
        lines.append(
            f"{self.cash_pct} % of it is paid in cash ({self.money(self.cash_cents)}, rounded "
            f"up); the rest, {self.money(self.retained_cents)}, is credited to your capital "
            "account and redeemed in later years."
        )
        return lines

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
            "explanation": self.explanation,
            "form_1099_patr": {
                "tax_year": patr.tax_year,
                "required": patr.required,
                "box1_patronage_dividends_cents": patr.box1_patronage_dividends_cents,
                "cash_cents": patr.cash_cents,
                "qualified_notice_cents": patr.qualified_notice_cents,
            },
        }


def _finished_allocations(session: Session, member_id: int) -> list[DividendAllocation]:
    return list(
        session.execute(
            sa.select(DividendAllocation)
            .join(DividendRun, DividendRun.id == DividendAllocation.run_id)
            .where(DividendAllocation.member_id == member_id, DividendRun.status.in_(FINISHED))
            .order_by(DividendRun.period_end.desc(), DividendRun.id.desc())
        ).scalars()
    )


def _tax_year(run: DividendRun) -> int:
    return (run.paid_at or run.approved_at or run.drafted_at).year


def _statement(
    allocation: DividendAllocation, year_dividends: list[core.MemberDividend]
) -> Statement:
    run = allocation.run
    cls = next((c for c in run.classes if c["code"] == allocation.class_code), None) or {}
    tax_year = _tax_year(run)
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
        form_1099_patr=core.form_1099_patr(allocation.member_id, tax_year, year_dividends),
    )


def statements_for_member(session: Session, member_id: int) -> list[Statement]:
    """One statement per paid run the member had an allocation in, newest first; the 1099-PATR
    figures add up every run paid in the same calendar year."""
    allocations = _finished_allocations(session, member_id)
    by_year: dict[int, list[core.MemberDividend]] = {}
    for allocation in allocations:
        by_year.setdefault(_tax_year(allocation.run), []).append(dividend(allocation))
    return [_statement(a, by_year[_tax_year(a.run)]) for a in allocations]


def for_user(session: Session, user: User) -> list[Statement]:
    return [] if user.member is None else statements_for_member(session, user.member.id)


def statement_for(session: Session, user: User, run_id: int) -> Statement:
    """The user's statement for one run; 404 when there is none (not a member, not paid)."""
    for statement in for_user(session, user):
        if statement.run_id == run_id:
            return statement
    raise NotFound("You have no dividend statement for that run.")


def _latin1(text: str) -> str:
    """Text the built-in PDF fonts can draw."""
    out = []
    for char in text.replace("−", "-").replace("÷", "/"):
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            out.append(
                unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode() or "?"
            )
    return "".join(out)


def statement_pdf(statement: Statement, co_op_name: str, member_name: str) -> bytes:
    """The statement as a one-page PDF."""
    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_title(f"Dividend statement, run {statement.run_id}")
    pdf.set_author(co_op_name)
    pdf.add_page()

    def line(text: str, size: float, bold: bool = False) -> None:
        pdf.set_font("Helvetica", "B" if bold else "", size)
        pdf.multi_cell(0, size * 0.55, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line(co_op_name, 12, bold=True)
    pdf.ln(3)
    line("Patronage dividend statement", 20, bold=True)
    line(f"{member_name}, member {statement.member_number}", 12)
    pdf.ln(4)
    money = statement.money
    rows = [
        ("Period", statement.period),
        ("Your class", f"{statement.class_code}, shared {BASIS_WORDS[statement.basis]}"),
        ("Your patronage", money(statement.patronage_cents)),
        ("Dividend pool", money(statement.pool_cents)),
        ("Your allocation", money(statement.allocation_cents)),
        ("Cash", f"{money(statement.cash_cents)}, {CASH_WORDS[statement.cash_status]}"),
        ("Retained", f"{money(statement.retained_cents)}, credited to your capital account"),
    ]
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(45, 7, _latin1(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 7, _latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    line("How your share was computed", 13, bold=True)
    for text in statement.explanation:
        line(text, 10)
        pdf.ln(1)
    pdf.ln(3)
    patr = statement.form_1099_patr
    line(f"Form 1099-PATR, tax year {patr.tax_year}", 13, bold=True)
    if patr.required:
        line(
            f"Box 1, patronage dividends: {money(patr.box1_patronage_dividends_cents)} "
            f"(cash {money(patr.cash_cents)}, qualified written notices of allocation "
            f"{money(patr.qualified_notice_cents)}), for every run paid in {patr.tax_year}.",
            10,
        )
    else:
        line("Your patronage dividends for the year are under $10: no 1099-PATR is due.", 10)
    return bytes(pdf.output())
