"""A member's dividend statement for one run as a PDF: each part with its own figures and its
box, the totals, and the year's Form 1099-PATR figures (``statement_words`` holds the words).

The text is in the reader's language (call it inside a request or ``force_locale``) and drawn
in DejaVu Sans (``pdf_fonts``), so "€", "−" and French number spacing print as they are.
"""

from __future__ import annotations

from flask_babel import gettext
from fpdf.enums import XPos, YPos

from marketplace.dividends import statement_words
from marketplace.dividends.statements import RunStatement
from marketplace.pdf_fonts import FAMILY, unicode_pdf


def statement_pdf(statement: RunStatement, co_op_name: str, member_name: str) -> bytes:
    """The run's statement as a PDF: a summary, then one section per part."""
    pdf = unicode_pdf(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_title(gettext("Dividend statement, run %(id)s", id=statement.run_id))
    pdf.set_author(co_op_name)
    money = statement.first.money
    basis_words = statement_words.basis_words()

    def line(text: str, size: float, bold: bool = False) -> None:
        pdf.set_font(FAMILY, "B" if bold else "", size)
        pdf.multi_cell(0, size * 0.55, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def rows(pairs: list[tuple[str, str]]) -> None:
        for label, value in pairs:
            pdf.set_font(FAMILY, "B", 10)
            pdf.cell(55, 7, label)
            pdf.set_font(FAMILY, "", 10)
            pdf.multi_cell(0, 7, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.add_page()
    line(co_op_name, 12, bold=True)
    pdf.ln(3)
    line(gettext("Dividend statement"), 20, bold=True)
    line(
        gettext("%(name)s, member %(number)s", name=member_name, number=statement.member_number),
        12,
    )
    line(gettext("Period %(period)s", period=statement.period), 12)
    pdf.ln(4)
    parts = statement.parts
    totals = [(part.distribution.name, money(part.allocation_cents)) for part in parts]
    totals += [
        (gettext("Total allocation"), money(statement.allocation_cents)),
        (gettext("Cash (gross)"), money(statement.cash_cents)),
        (gettext("Kept for your debt"), money(statement.kept_cents)),
        (gettext("Federal income tax withheld"), money(statement.withheld_cents)),
        (gettext("Cash paid to you"), money(statement.paid_cents)),
        (
            gettext("Retained"),
            gettext(
                "%(amount)s, credited to your capital account",
                amount=money(statement.retained_cents),
            ),
        ),
    ]
    rows(totals)
    for number, part in enumerate(parts, start=1):
        pdf.ln(5)
        line(
            gettext(
                "Part %(number)s of %(count)s: %(name)s",
                number=number,
                count=len(parts),
                name=part.distribution.name,
            ),
            15,
            bold=True,
        )
        rows(
            [
                (
                    gettext("Your class"),
                    gettext(
                        "%(code)s, shared %(basis)s",
                        code=part.class_code,
                        basis=basis_words[part.basis],
                    ),
                ),
                (gettext("Your patronage"), money(part.patronage_cents)),
                (gettext("Dividend pool"), money(part.pool_cents)),
                (gettext("Your allocation"), money(part.allocation_cents)),
                (gettext("Cash (gross)"), f"{money(part.cash_cents)}, {part.cash_words}"),
                (gettext("Kept for your debt"), money(part.kept_cents)),
                (gettext("Federal income tax withheld"), money(part.withheld_cents)),
                (gettext("Cash paid to you"), money(part.paid_cents)),
                (gettext("Retained"), money(part.retained_cents)),
            ]
        )
        pdf.ln(2)
        sections = [
            (gettext("Box"), [part.box]),
            (gettext("Notice"), part.notice),
            (gettext("How your share was computed"), part.explanation),
        ]
        for title, texts in sections:
            line(title, 12, bold=True)
            for text in texts:
                line(text, 10)
                pdf.ln(1)
            pdf.ln(2)
    for part in statement.patr_parts:
        pdf.ln(3)
        line(gettext("Form 1099-PATR, tax year %(year)s", year=part.tax_year), 13, bold=True)
        for text in statement_words.patr_lines(part):
            line(text, 10)
            pdf.ln(1)
    return bytes(pdf.output())
