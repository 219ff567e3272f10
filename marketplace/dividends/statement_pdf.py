"""A member's dividend statement for one run as a PDF: each part with its own figures and its
box, the totals, and the year's Form 1099-PATR figures (``statements`` holds the words)."""

from __future__ import annotations

import unicodedata

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from marketplace.dividends.statements import BASIS_WORDS, RunStatement, patr_lines


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


def statement_pdf(statement: RunStatement, co_op_name: str, member_name: str) -> bytes:
    """The run's statement as a PDF: a summary, then one section per part."""
    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_title(f"Dividend statement, run {statement.run_id}")
    pdf.set_author(co_op_name)
    money = statement.first.money

    def line(text: str, size: float, bold: bool = False) -> None:
        pdf.set_font("Helvetica", "B" if bold else "", size)
        pdf.multi_cell(0, size * 0.55, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def rows(pairs: list[tuple[str, str]]) -> None:
        for label, value in pairs:
            pdf.set_font("Helvetica", "B", 10)
            pdf.cell(55, 7, _latin1(label))
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(0, 7, _latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.add_page()
    line(co_op_name, 12, bold=True)
    pdf.ln(3)
    line("Dividend statement", 20, bold=True)
    line(f"{member_name}, member {statement.member_number}", 12)
    line(f"Period {statement.period}", 12)
    pdf.ln(4)
    parts = statement.parts
    totals = [(part.distribution.name, money(part.allocation_cents)) for part in parts]
    totals += [
        ("Total allocation", money(statement.allocation_cents)),
        ("Cash (gross)", money(statement.cash_cents)),
        ("Kept for your debt", money(statement.kept_cents)),
        ("Cash paid to you", money(statement.paid_cents)),
        ("Retained", f"{money(statement.retained_cents)}, credited to your capital account"),
    ]
    rows(totals)
    for number, part in enumerate(parts, start=1):
        pdf.ln(5)
        line(f"Part {number} of {len(parts)}: {part.distribution.name}", 15, bold=True)
        rows(
            [
                ("Your class", f"{part.class_code}, shared {BASIS_WORDS[part.basis]}"),
                ("Your patronage", money(part.patronage_cents)),
                ("Dividend pool", money(part.pool_cents)),
                ("Your allocation", money(part.allocation_cents)),
                ("Cash (gross)", f"{money(part.cash_cents)}, {part.cash_words}"),
                ("Kept for your debt", money(part.kept_cents)),
                ("Cash paid to you", money(part.paid_cents)),
                ("Retained", money(part.retained_cents)),
            ]
        )
        pdf.ln(2)
        sections = [
            ("Box", [part.box]),
            ("Notice", part.notice),
            ("How your share was computed", part.explanation),
        ]
        for title, texts in sections:
            line(title, 12, bold=True)
            for text in texts:
                line(text, 10)
                pdf.ln(1)
            pdf.ln(2)
    for part in statement.patr_parts:
        pdf.ln(3)
        line(f"Form 1099-PATR, tax year {part.tax_year}", 13, bold=True)
        for text in patr_lines(part):
            line(text, 10)
            pdf.ln(1)
    return bytes(pdf.output())
