"""The licence certificate: a one-page PDF a buyer can keep, show and have checked.

Its words are in the language active when it is drawn: the caller forces the holder's.

It names the licence, its holder, the work, the terms version and the date, and carries the
verification address (as text and as a link) where anyone can check that the licence is genuine
and still valid.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext
from fpdf import FPDF
from fpdf.enums import XPos, YPos

PAGE_MARGIN_MM = 20
TEAL = (13, 110, 110)
GREY = (90, 90, 90)


@dataclass(frozen=True)
class CertificateFacts:
    """Everything printed on a certificate, already as text."""

    co_op_name: str
    licence_id: int
    verification_code: str
    holder_name: str
    asset_title: str
    asset_id: int
    licence_name: str
    terms_version: int
    size: str
    price: str
    issued_on: str
    status: str
    summary: str
    permits: list[str]
    verification_url: str


def _latin1(text: str) -> str:
    """Text the built-in PDF fonts can draw: accents kept where possible, others replaced."""
    replaced = text.translate(
        {0x2019: "'", 0x2018: "'", 0x201C: '"', 0x201D: '"', 0x2014: "-", 0x20AC: "EUR"}
    )
    out = []
    for char in replaced:
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            out.append(plain or "?")
    return "".join(out)


class _Certificate(FPDF):
    def __init__(self, font_path: str | None) -> None:
        super().__init__(format="A4")
        self.set_margins(PAGE_MARGIN_MM, PAGE_MARGIN_MM, PAGE_MARGIN_MM)
        self.set_auto_page_break(auto=True, margin=PAGE_MARGIN_MM)
        regular = Path(font_path) if font_path else None
        if regular is not None and regular.is_file():
            bold = regular.with_name(regular.stem + "-Bold" + regular.suffix)
            self.add_font("Body", "", str(regular))
            self.add_font("Body", "B", str(bold if bold.is_file() else regular))
            self.body_font = "Body"
            self.any_script = True
        else:
            self.body_font = "Helvetica"
            self.any_script = False

    def text_of(self, text: str) -> str:
        return text if self.any_script else _latin1(text)

    def line_of(
        self,
        text: str,
        size: float,
        *,
        bold: bool = False,
        colour: tuple[int, int, int] = (0, 0, 0),
    ) -> None:
        self.set_font(self.body_font, "B" if bold else "", size)
        self.set_text_color(*colour)
        self.multi_cell(0, size * 0.5, self.text_of(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def certificate_pdf(facts: CertificateFacts, font_path: str | None = None) -> bytes:
    """The certificate as PDF bytes. ``font_path``: a TrueType font for any script."""
    pdf = _Certificate(font_path)
    pdf.set_title(gettext("Licence certificate %(number)s", number=facts.licence_id))
    pdf.set_author(facts.co_op_name)
    pdf.add_page()
    pdf.line_of(facts.co_op_name, 12, bold=True, colour=TEAL)
    pdf.ln(4)
    pdf.line_of(gettext("Licence certificate"), 24, bold=True)
    pdf.ln(2)
    licence = gettext(
        "%(licence)s, terms version %(version)s",
        licence=facts.licence_name,
        version=facts.terms_version,
    )
    pdf.line_of(licence, 13, colour=GREY)
    pdf.ln(6)
    rows = [
        (gettext("Licence number"), str(facts.licence_id)),
        (gettext("Verification code"), facts.verification_code),
        (gettext("Licence holder"), facts.holder_name),
        (
            gettext("Work"),
            gettext("%(title)s (asset %(id)s)", title=facts.asset_title, id=facts.asset_id),
        ),
        (gettext("Licence"), licence),
        (gettext("Size"), facts.size),
        (gettext("Price paid"), facts.price),
        (gettext("Issued on"), facts.issued_on),
        (gettext("Status on printing"), facts.status),
    ]
    label_width = 50
    for label, value in rows:
        pdf.set_font(pdf.body_font, "B", 10)
        pdf.set_text_color(*GREY)
        pdf.cell(label_width, 7, pdf.text_of(label))
        pdf.set_font(pdf.body_font, "", 11)
        pdf.set_text_color(0, 0, 0)
        pdf.multi_cell(0, 7, pdf.text_of(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.line_of(gettext("What this licence allows"), 13, bold=True)
    pdf.ln(1)
    pdf.line_of(facts.summary, 10)
    for permit in facts.permits:
        pdf.line_of(f"- {permit}", 10)
    pdf.ln(6)
    pdf.line_of(gettext("Check this licence"), 13, bold=True)
    pdf.ln(1)
    pdf.line_of(
        gettext("Anyone can check that this licence is genuine and still valid at this address:"),
        10,
    )
    pdf.set_font(pdf.body_font, "", 10)
    pdf.set_text_color(*TEAL)
    pdf.multi_cell(
        0,
        6,
        pdf.text_of(facts.verification_url),
        link=facts.verification_url,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(4)
    pdf.line_of(
        gettext(
            "The full terms of this version are on the licences page of the co-op's site. "
            "A refunded licence is no longer valid; the address above always says which."
        ),
        9,
        colour=GREY,
    )
    return bytes(pdf.output())
