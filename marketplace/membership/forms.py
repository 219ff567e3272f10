"""Forms of the membership pages."""

from __future__ import annotations

from flask_babel import LazyString, gettext, lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Length, Optional

from marketplace.membership.consent import AGREEMENT_VERSION, CONSENT_CLAUSES
from marketplace.membership.services import MAX_STATEMENT_CHARS, MIN_STATEMENT_CHARS


def _consent_description() -> str:
    return CONSENT_CLAUSES[AGREEMENT_VERSION] + gettext(
        " Without this consent the retained part of your patronage dividends is a "
        "nonqualified notice; you can consent later on your dividends page."
    )


class ApplicationForm(FlaskForm):
    statement = TextAreaField(
        lazy_gettext("Artist statement"),
        validators=[DataRequired(), Length(min=MIN_STATEMENT_CHARS, max=MAX_STATEMENT_CHARS)],
        description=lazy_gettext(
            "Who you are, what you photograph or film, and why you want to join the co-op."
        ),
    )
    portfolio_url = URLField(
        lazy_gettext("Portfolio link"),
        validators=[Optional(), Length(max=500)],
        description=lazy_gettext("Your website, or a page that shows your work."),
    )
    samples = MultipleFileField(
        lazy_gettext("Sample images"),
        description=lazy_gettext("Up to 10 of your best photos (JPEG, PNG, TIFF, WebP or HEIC)."),
        render_kw={"accept": "image/jpeg,image/png,image/tiff,image/webp,image/heic,.heic"},
    )
    patronage_consent = BooleanField(
        lazy_gettext(
            "I consent to take patronage allocations into income (member agreement %(version)s)",
            version=AGREEMENT_VERSION,
        ),
        # The clause is the agreement's own versioned text, kept as the member reads it in
        # English; the sentence after it is ours and follows the reader's language.
        description=LazyString(_consent_description),
    )
    submit = SubmitField(lazy_gettext("Send application"))


class DecisionForm(FlaskForm):
    decision = SelectField(
        lazy_gettext("Decision"),
        choices=[
            SelectChoice("approve", lazy_gettext("Approve")),
            SelectChoice("reject", lazy_gettext("Reject")),
        ],
    )
    member_class = SelectField(lazy_gettext("Member class"), choices=[])
    reason = TextAreaField(
        lazy_gettext("Reason"),
        validators=[Length(max=2000)],
        description=lazy_gettext("Required when rejecting; the applicant will read it."),
    )
    submit = SubmitField(lazy_gettext("Record decision"))


class ProfileForm(FlaskForm):
    display_name = StringField(
        lazy_gettext("Display name"), validators=[DataRequired(), Length(max=80)]
    )
    location = StringField(lazy_gettext("Location"), validators=[Length(max=120)])
    portfolio_url = URLField(
        lazy_gettext("Portfolio link"), validators=[Optional(), Length(max=500)]
    )
    bio = TextAreaField(lazy_gettext("Bio"), validators=[Length(max=2000)])
    submit = SubmitField(lazy_gettext("Save profile"))
