"""Forms of the leaving and member-debt pages."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


class ResignationForm(FlaskForm):
    left_on = DateField(
        lazy_gettext("Leaving date"),
        validators=[Optional()],
        description=lazy_gettext(
            "Today, or a day already past (for a resignation you sent earlier)."
        ),
    )
    reason = TextAreaField(
        lazy_gettext("Why you are leaving (optional)"), validators=[Optional(), Length(max=2000)]
    )
    confirm = BooleanField(
        lazy_gettext("I want to leave the co-op: my work leaves sale on that day"),
        validators=[InputRequired(message=lazy_gettext("Tick the box to confirm."))],
    )
    submit = SubmitField(lazy_gettext("Resign"))


class ExpulsionForm(FlaskForm):
    member_number = IntegerField(
        lazy_gettext("Member number"), validators=[InputRequired(), NumberRange(1)]
    )
    board_decision_ref = StringField(
        lazy_gettext("Board decision"),
        validators=[DataRequired(), Length(max=200)],
        description=lazy_gettext(
            "Where the decision is recorded, e.g. 'Board minutes 2026-11-30, item 4'."
        ),
    )
    left_on = DateField(lazy_gettext("Membership ends on"), validators=[Optional()])
    reason = TextAreaField(
        lazy_gettext("The board's reason"), validators=[DataRequired(), Length(max=2000)]
    )
    confirm = BooleanField(
        lazy_gettext("The board decided this expulsion: record it"), validators=[InputRequired()]
    )
    submit = SubmitField(lazy_gettext("Record the expulsion"))


class WriteOffForm(FlaskForm):
    amount_cents = IntegerField(
        lazy_gettext("Amount to write off (cents)"), validators=[InputRequired(), NumberRange(1)]
    )
    reason = TextAreaField(
        lazy_gettext("Reason"), validators=[DataRequired(), Length(min=10, max=500)]
    )
    submit = SubmitField(lazy_gettext("Review the write-off"))
