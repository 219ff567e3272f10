"""The members' annual report as a PDF, in the reader's language: the trial balance at the
year end, the dividend policy in force, the year's dividend runs and its votes (the same
figures as the page, ``annual_report.AnnualReport``).

Call it inside a request or ``force_locale``; text is drawn in DejaVu Sans (``pdf_fonts``),
so amounts in any currency and French number spacing print as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext
from fpdf.enums import XPos, YPos

from marketplace.dividends import statement_words
from marketplace.i18n import formats
from marketplace.ledger import display
from marketplace.pdf_fonts import FAMILY, unicode_pdf
from marketplace.transparency import votes as votes_section
from marketplace.transparency.annual_report import AnnualReport

_LINE = 6


def annual_report_pdf(report: AnnualReport, co_op_name: str) -> bytes:
    """The report as an A4 PDF: one section per part of the page, each a table."""
    pdf = unicode_pdf(format="A4")
    pdf.set_margins(18, 18, 18)
    pdf.set_title(gettext("Annual report %(year)s", year=report.year))
    pdf.set_author(co_op_name)
    pdf.add_page()

    def line(text: str, size: float = 10, bold: bool = False) -> None:
        pdf.set_font(FAMILY, "B" if bold else "", size)
        pdf.multi_cell(0, size * 0.55, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def table(widths: Sequence[int], header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """Rows of cells; the first column left-aligned, the others right-aligned."""
        for bold, cells in [(True, header), *((False, row) for row in rows)]:
            pdf.set_font(FAMILY, "B" if bold else "", 8.5)
            for index, (width, cell) in enumerate(zip(widths, cells, strict=True)):
                pdf.cell(width, _LINE, cell, align="L" if index == 0 else "R")
            pdf.ln(_LINE)
        pdf.ln(3)

    tb = report.trial_balance
    line(co_op_name, 12, bold=True)
    line(gettext("Annual report %(year)s", year=report.year), 20, bold=True)
    line(gettext("Computed %(moment)s", moment=formats.date_time(report.computed_at)), 9)
    pdf.ln(4)

    line(gettext("Trial balance at the end of %(year)s", year=report.year), 14, bold=True)
    line(
        gettext(
            "Every account of the chart, members’ own accounts rolled up into their code, "
            "in %(currency)s.",
            currency=tb.currency,
        ),
        9,
    )

    def money(cents: int) -> str:
        return display.money(cents, tb.currency) if cents else ""

    table(
        (104, 35, 35),
        (gettext("Account"), gettext("Debit"), gettext("Credit")),
        [
            (
                f"{row.code} {display.account_name(row.name)}",
                money(row.debit_cents),
                money(row.credit_cents),
            )
            for row in tb.rows
        ]
        + [
            (
                gettext("Total")
                + " — "
                + (gettext("Balanced") if tb.balanced else gettext("Out of balance")),
                display.money(tb.total_debits_cents, tb.currency),
                display.money(tb.total_credits_cents, tb.currency),
            )
        ],
    )

    line(gettext("Dividend policy in force"), 14, bold=True)
    basis_names = statement_words.basis_names()
    table(
        (104, 35, 35),
        (gettext("Member class"), gettext("Share of the pool"), gettext("Shared")),
        [
            (
                f"{c.name} ({c.code})",
                f"{display.decimal(c.share_pct)} %",
                basis_names.get(c.basis, c.basis) if c.share_bps else gettext("no share"),
            )
            for c in report.policy
        ],
    )
    line(
        gettext(
            "Each member’s allocation is paid at least %(pct)s %% in cash (the US Subchapter T "
            "minimum); the rest is retained as member capital in their name and redeemed later. "
            "Each run below states the cash share it used.",
            pct=display.decimal(report.min_cash_pct),
        ),
        9,
    )
    pdf.ln(3)

    line(gettext("Dividend runs for periods ending in %(year)s", year=report.year), 14, bold=True)
    if report.runs:
        statuses = statement_words.run_status_words()
        table(
            (50, 31, 31, 31, 31),
            (
                gettext("Period"),
                gettext("Surplus"),
                gettext("Pool"),
                gettext("Cash"),
                gettext("Retained"),
            ),
            [
                (
                    f"{formats.long_date(run.period_start)} – {formats.long_date(run.period_end)}"
                    f" ({statuses.get(run.status, run.status)})",
                    display.money(run.surplus_cents, run.currency),
                    display.money(run.pool_cents, run.currency),
                    display.money(run.cash_cents, run.currency),
                    display.money(run.retained_cents, run.currency),
                )
                for run in report.runs
            ],
        )
    else:
        line(gettext("No dividend run covered a period ending in %(year)s.", year=report.year), 9)
        pdf.ln(3)

    line(gettext("Votes held in %(year)s", year=report.year), 14, bold=True)
    if not report.votes:
        line(gettext("No vote closed in %(year)s.", year=report.year), 9)
    results, kinds = votes_section.result_words(), votes_section.kind_words()
    choices = votes_section.choice_words()
    for vote in report.votes:
        line(vote.title, 10, bold=True)
        quorum = gettext("Reached") if vote.quorum_reached else gettext("Not reached")
        counts = ", ".join(
            f"{choices.get(choice, choice)}: {count}" for choice, count in vote.counts.items()
        )
        result = results.get(vote.result, vote.result)
        if vote.elected:
            result += ": " + ", ".join(vote.elected)
        line(
            gettext(
                "%(kind)s, closed %(closed)s. Turnout %(turnout)s of %(eligible)s, quorum "
                "%(quorum)s. %(counts)s. Result: %(result)s.",
                kind=kinds.get(vote.kind, vote.kind),
                closed=formats.date_time(vote.closes_at),
                turnout=vote.turnout,
                eligible=vote.eligible,
                quorum=quorum.lower(),
                counts=counts,
                result=result,
            ),
            9,
        )
        pdf.ln(1)
    return bytes(pdf.output())
