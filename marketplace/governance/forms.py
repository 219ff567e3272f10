"""Forms of the governance pages; the service layer checks everything again."""

from __future__ import annotations

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

MARKDOWN_HELP = "Markdown: **bold**, *italic*, lists, links. HTML is shown as text."


class ProposalForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=MAX_TITLE_CHARS)])
    body = TextAreaField(
        "What do you propose, and why?",
        validators=[DataRequired(), Length(max=MAX_BODY_CHARS)],
        description=MARKDOWN_HELP,
        render_kw={"rows": 12},
    )
    publish = SubmitField("Publish for support")
    save_draft = SubmitField("Save as draft")


class CommentForm(FlaskForm):
    body = TextAreaField(
        "Add to the discussion",
        validators=[DataRequired(), Length(max=MAX_COMMENT_CHARS)],
        description=MARKDOWN_HELP,
        render_kw={"rows": 4},
    )
    submit = SubmitField("Post comment")


class YesNoBallotForm(FlaskForm):
    choice = RadioField(
        "Your vote",
        choices=[
            SelectChoice("yes", "Yes"),
            SelectChoice("no", "No"),
            SelectChoice("abstain", "Abstain"),
        ],
        validators=[DataRequired(message="Choose yes, no or abstain.")],
    )
    submit = SubmitField("Cast my vote")


class VoteTermsForm(FlaskForm):
    closes_at = DateTimeLocalField(
        "Closes at (UTC)", format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )
    quorum_pct = IntegerField(
        "Quorum (% of members who must take part)",
        default=20,
        validators=[NumberRange(min=0, max=100)],
    )
    majority = SelectField(
        "Majority needed",
        choices=[
            SelectChoice("simple", "Simple majority"),
            SelectChoice("two_thirds", "Two thirds"),
        ],
        default="simple",
    )
    submit = SubmitField("Put to a vote")


class ElectionForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=MAX_TITLE_CHARS)])
    member_class = SelectField("Class electing", choices=[], validators=[DataRequired()])
    seats = IntegerField(
        "Seats",
        validators=[Optional(), NumberRange(min=1, max=50)],
        description="Leave empty to fill the class's board seats (see Member classes).",
    )
    candidates = SelectMultipleField(
        "Candidates (members of that class)", choices=[], coerce=int, validate_choice=False
    )
    closes_at = DateTimeLocalField(
        "Closes at (UTC)", format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )
    quorum_pct = IntegerField(
        "Quorum (% of the class)", default=20, validators=[NumberRange(min=0, max=100)]
    )
    submit = SubmitField("Call the election")


class AnnouncementForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=MAX_TITLE_CHARS)])
    body = TextAreaField(
        "Message",
        validators=[DataRequired(), Length(max=MAX_BODY_CHARS)],
        description=MARKDOWN_HELP + " Every active member gets it by email.",
        render_kw={"rows": 10},
    )
    submit = SubmitField("Send to all members")
