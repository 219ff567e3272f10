"""Forms of the membership pages."""

from __future__ import annotations

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


class ApplicationForm(FlaskForm):
    statement = TextAreaField(
        "Artist statement",
        validators=[DataRequired(), Length(min=MIN_STATEMENT_CHARS, max=MAX_STATEMENT_CHARS)],
        description="Who you are, what you photograph or film, and why you want to join the co-op.",
    )
    portfolio_url = URLField(
        "Portfolio link",
        validators=[Optional(), Length(max=500)],
        description="Your website, or a page that shows your work.",
    )
    samples = MultipleFileField(
        "Sample images",
        description="Up to 10 of your best photos (JPEG, PNG, TIFF, WebP or HEIC).",
        render_kw={"accept": "image/jpeg,image/png,image/tiff,image/webp,image/heic,.heic"},
    )
    patronage_consent = BooleanField(
        "I consent to take patronage allocations into income (member agreement "
        f"{AGREEMENT_VERSION})",
        description=CONSENT_CLAUSES[AGREEMENT_VERSION]
        + " Without this consent the retained part of your patronage dividends is a "
        "nonqualified notice; you can consent later on your dividends page.",
    )
    submit = SubmitField("Send application")


class DecisionForm(FlaskForm):
    decision = SelectField(
        "Decision", choices=[SelectChoice("approve", "Approve"), SelectChoice("reject", "Reject")]
    )
    member_class = SelectField("Member class", choices=[])
    reason = TextAreaField(
        "Reason",
        validators=[Length(max=2000)],
        description="Required when rejecting; the applicant will read it.",
    )
    submit = SubmitField("Record decision")


class ProfileForm(FlaskForm):
    display_name = StringField("Display name", validators=[DataRequired(), Length(max=80)])
    location = StringField("Location", validators=[Length(max=120)])
    portfolio_url = URLField("Portfolio link", validators=[Optional(), Length(max=500)])
    bio = TextAreaField("Bio", validators=[Length(max=2000)])
    submit = SubmitField("Save profile")
