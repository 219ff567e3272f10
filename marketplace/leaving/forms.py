"""Forms of the leaving and member-debt pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


class ResignationForm(FlaskForm):
    left_on = DateField(
        "Leaving date",
        validators=[Optional()],
        description="Today, or a day already past (for a resignation you sent earlier).",
    )
    reason = TextAreaField(
        "Why you are leaving (optional)", validators=[Optional(), Length(max=2000)]
    )
    confirm = BooleanField(
        "I want to leave the co-op: my work leaves sale on that day",
        validators=[InputRequired(message="Tick the box to confirm.")],
    )
    submit = SubmitField("Resign")


class ExpulsionForm(FlaskForm):
    member_number = IntegerField("Member number", validators=[InputRequired(), NumberRange(1)])
    board_decision_ref = StringField(
        "Board decision",
        validators=[DataRequired(), Length(max=200)],
        description="Where the decision is recorded, e.g. 'Board minutes 2026-11-30, item 4'.",
    )
    left_on = DateField("Membership ends on", validators=[Optional()])
    reason = TextAreaField("The board's reason", validators=[DataRequired(), Length(max=2000)])
    confirm = BooleanField(
        "The board decided this expulsion: record it", validators=[InputRequired()]
    )
    submit = SubmitField("Record the expulsion")


class WriteOffForm(FlaskForm):
    amount_cents = IntegerField(
        "Amount to write off (cents)", validators=[InputRequired(), NumberRange(1)]
    )
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(min=10, max=500)])
    submit = SubmitField("Review the write-off")
