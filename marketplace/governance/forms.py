"""Forms of the governance pages; the service layer checks everything again."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketplace.governance.models import MAX_TITLE_CHARS
from marketplace.governance.proposals import MAX_COMMENT_CHARS
from marketplace.governance.text import MAX_BODY_CHARS

MARKDOWN_HELP = lazy_gettext("Markdown: **bold**, *italic*, lists, links. HTML is shown as text.")


class ProposalForm(FlaskForm):
    title = StringField(
        lazy_gettext("Title"), validators=[DataRequired(), Length(max=MAX_TITLE_CHARS)]
    )
    body = TextAreaField(
        lazy_gettext("What do you propose, and why?"),
        validators=[DataRequired(), Length(max=MAX_BODY_CHARS)],
        description=MARKDOWN_HELP,
        render_kw={"rows": 12},
    )
    publish = SubmitField(lazy_gettext("Publish for support"))
    save_draft = SubmitField(lazy_gettext("Save as draft"))


class CommentForm(FlaskForm):
    body = TextAreaField(
        lazy_gettext("Add to the discussion"),
        validators=[DataRequired(), Length(max=MAX_COMMENT_CHARS)],
        description=MARKDOWN_HELP,
        render_kw={"rows": 4},
    )
    submit = SubmitField(lazy_gettext("Post comment"))


class YesNoBallotForm(FlaskForm):
    choice = RadioField(
        lazy_gettext("Your vote"),
        choices=[
            SelectChoice("yes", lazy_gettext("Yes")),
            SelectChoice("no", lazy_gettext("No")),
            SelectChoice("abstain", lazy_gettext("Abstain")),
        ],
        validators=[DataRequired(message=lazy_gettext("Choose yes, no or abstain."))],
    )
    submit = SubmitField(lazy_gettext("Cast my vote"))


class VoteTermsForm(FlaskForm):
    closes_at = DateTimeLocalField(
        lazy_gettext("Closes at (UTC)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )
    quorum_pct = IntegerField(
        lazy_gettext("Quorum (% of members who must take part)"),
        default=20,
        validators=[NumberRange(min=0, max=100)],
    )
    majority = SelectField(
        lazy_gettext("Majority needed"),
        choices=[
            SelectChoice("simple", lazy_gettext("Simple majority")),
            SelectChoice("two_thirds", lazy_gettext("Two thirds")),
        ],
        default="simple",
    )
    submit = SubmitField(lazy_gettext("Put to a vote"))


class ElectionForm(FlaskForm):
    title = StringField(
        lazy_gettext("Title"), validators=[DataRequired(), Length(max=MAX_TITLE_CHARS)]
    )
    member_class = SelectField(
        lazy_gettext("Class electing"), choices=[], validators=[DataRequired()]
    )
    seats = IntegerField(
        lazy_gettext("Seats"),
        validators=[Optional(), NumberRange(min=1, max=50)],
        description=lazy_gettext(
            "Leave empty to fill the class's board seats (see Member classes)."
        ),
    )
    candidates = SelectMultipleField(
        lazy_gettext("Candidates (members of that class)"),
        choices=[],
        coerce=int,
        validate_choice=False,
    )
    closes_at = DateTimeLocalField(
        lazy_gettext("Closes at (UTC)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )
    quorum_pct = IntegerField(
        lazy_gettext("Quorum (% of the class)"),
        default=20,
        validators=[NumberRange(min=0, max=100)],
    )
    submit = SubmitField(lazy_gettext("Call the election"))


class AnnouncementForm(FlaskForm):
    title = StringField(
        lazy_gettext("Title"), validators=[DataRequired(), Length(max=MAX_TITLE_CHARS)]
    )
    body = TextAreaField(
        lazy_gettext("Message"),
        validators=[DataRequired(), Length(max=MAX_BODY_CHARS)],
        description=lazy_gettext(
            "Markdown: **bold**, *italic*, lists, links. HTML is shown as text. "
            "Every active member gets it by email."
        ),
        render_kw={"rows": 10},
    )
    submit = SubmitField(lazy_gettext("Send to all members"))
