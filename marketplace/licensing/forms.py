"""The admin form that saves a new version of a licence's terms."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.licensing.models import LicenceTerms
from marketplace.licensing.terms import MAX_FULL_TEXT_CHARS, MAX_SUMMARY_CHARS


class TermsForm(FlaskForm):
    summary = TextAreaField(
        lazy_gettext("Summary"),
        validators=[DataRequired(), Length(max=MAX_SUMMARY_CHARS)],
        description=lazy_gettext("One or two sentences a buyer reads first."),
    )
    permits = TextAreaField(
        lazy_gettext("What it permits"),
        validators=[DataRequired()],
        description=lazy_gettext(
            "One permission a line. Shown as a list on the licences page and the API."
        ),
    )
    full_text = TextAreaField(
        lazy_gettext("Full terms"), validators=[DataRequired(), Length(max=MAX_FULL_TEXT_CHARS)]
    )
    royalty_percent = DecimalField(
        lazy_gettext("Contributor royalty (%)"),
        places=2,
        validators=[InputRequired(), NumberRange(min=0, max=100)],
        description=lazy_gettext("The contributor's share of each sale under these terms."),
    )
    surcharge = DecimalField(
        lazy_gettext("Surcharge on the size price"),
        places=2,
        validators=[InputRequired(), NumberRange(min=0, max=1_000_000)],
        description=lazy_gettext(
            "Added to every size's price, in the co-op's currency (0 for none)."
        ),
    )
    royalty_vote_id = IntegerField(
        lazy_gettext("Member vote that approved a new royalty rate"),
        validators=[Optional(), NumberRange(min=1)],
        description=lazy_gettext(
            "The vote's number, or the board's decision below (needed only when the "
            "royalty rate changes)."
        ),
    )
    royalty_board_decision = StringField(
        lazy_gettext("Board decision that approved it"),
        validators=[Optional(), Length(max=200)],
        description=lazy_gettext("e.g. 'Board minutes 2026-11-30, item 4'."),
    )
    submit = SubmitField(lazy_gettext("Save as a new version"))

    def fill_from(self, terms: LicenceTerms) -> None:
        self.summary.data = terms.summary
        self.permits.data = "\n".join(terms.permits)
        self.full_text.data = terms.full_text
        self.royalty_percent.data = Decimal(terms.royalty_bps) / 100
        self.surcharge.data = Decimal(terms.surcharge_cents) / 100

    def permit_lines(self) -> list[str]:
        return [line.strip() for line in (self.permits.data or "").splitlines() if line.strip()]

    def royalty_bps(self) -> int:
        return int((self.royalty_percent.data or Decimal(0)) * 100)

    def surcharge_cents(self) -> int:
        return int((self.surcharge.data or Decimal(0)) * 100)
