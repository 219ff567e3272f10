"""Forms of the portfolio and curation pages."""

from __future__ import annotations

from flask_babel import lazy_gettext
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
    title = StringField(lazy_gettext("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(lazy_gettext("Description"), validators=[Length(max=5000)])
    keywords = TextAreaField(
        lazy_gettext("Keywords"),
        description=lazy_gettext(
            "Separated by commas, most important first. Buyers find your work by these."
        ),
    )
    language = SelectField(
        LANGUAGE_LABEL,
        choices=[SelectChoice(code, name) for code, name in WORK_LANGUAGES.items()],
        description=LANGUAGE_HELP,
    )
    has_people = BooleanField(lazy_gettext("Recognisable people appear in it"))
    has_property = BooleanField(
        lazy_gettext("Recognisable private property, artwork or brands appear in it")
    )
    submit = SubmitField(lazy_gettext("Save details"))


class ReleaseForm(FlaskForm):
    kind = SelectField(
        lazy_gettext("Release"),
        choices=[
            SelectChoice("model", lazy_gettext("Model release")),
            SelectChoice("property", lazy_gettext("Property release")),
        ],
    )
    file = FileField(lazy_gettext("Signed release (PDF, JPEG or PNG)"), validators=[DataRequired()])
    submit = SubmitField(lazy_gettext("Attach release"))


class ReviewForm(FlaskForm):
    decision = SelectField(
        lazy_gettext("Decision"),
        choices=[
            SelectChoice("approve", lazy_gettext("Publish")),
            SelectChoice("reject", lazy_gettext("Reject")),
        ],
    )
    reason = TextAreaField(
        lazy_gettext("Reason"),
        validators=[Length(max=2000)],
        description=lazy_gettext("Required when rejecting; the member reads it."),
    )
    submit = SubmitField(lazy_gettext("Record decision"))
