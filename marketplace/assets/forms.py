"""Forms of the portfolio and curation pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from marketplace.catalogue.languages import LANGUAGE_HELP, LANGUAGE_LABEL, WORK_LANGUAGES


class AssetDetailsForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=5000)])
    keywords = TextAreaField(
        "Keywords",
        description="Separated by commas, most important first. Buyers find your work by these.",
    )
    language = SelectField(
        LANGUAGE_LABEL,
        choices=[SelectChoice(code, name) for code, name in WORK_LANGUAGES.items()],
        description=LANGUAGE_HELP,
    )
    has_people = BooleanField("Recognisable people appear in it")
    has_property = BooleanField("Recognisable private property, artwork or brands appear in it")
    submit = SubmitField("Save details")


class ReleaseForm(FlaskForm):
    kind = SelectField(
        "Release",
        choices=[
            SelectChoice("model", "Model release"),
            SelectChoice("property", "Property release"),
        ],
    )
    file = FileField("Signed release (PDF, JPEG or PNG)", validators=[DataRequired()])
    submit = SubmitField("Attach release")


class ReviewForm(FlaskForm):
    decision = SelectField(
        "Decision", choices=[SelectChoice("approve", "Publish"), SelectChoice("reject", "Reject")]
    )
    reason = TextAreaField(
        "Reason",
        validators=[Length(max=2000)],
        description="Required when rejecting; the member reads it.",
    )
    submit = SubmitField("Record decision")
