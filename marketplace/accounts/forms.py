"""Forms of the account pages. Services do the real validation; these catch the obvious."""

from __future__ import annotations

from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length

from marketplace.accounts.passwords import MIN_PASSWORD_LENGTH
from marketplace.i18n.languages import LANGUAGES

_PASSWORDS_DIFFER = lazy_gettext("The passwords differ.")
_LONG_ENOUGH = lazy_gettext("At least %(count)d characters.", count=MIN_PASSWORD_LENGTH)


class SignUpForm(FlaskForm):
    display_name = StringField(
        lazy_gettext("Your name"),
        validators=[DataRequired(), Length(max=80)],
        description=lazy_gettext("Shown on your profile and your work."),
    )
    email = EmailField(lazy_gettext("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        lazy_gettext("Password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=256)],
        description=_LONG_ENOUGH,
    )
    confirm = PasswordField(
        lazy_gettext("Repeat password"),
        validators=[DataRequired(), EqualTo("password", _PASSWORDS_DIFFER)],
    )
    submit = SubmitField(lazy_gettext("Create account"))


class SignInForm(FlaskForm):
    email = EmailField(lazy_gettext("Email"), validators=[DataRequired()])
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired()])
    remember = BooleanField(lazy_gettext("Keep me signed in on this device"))
    submit = SubmitField(lazy_gettext("Sign in"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(lazy_gettext("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        lazy_gettext("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=256)],
        description=lazy_gettext(
            "At least %(count)d characters. Other devices will be signed out.",
            count=MIN_PASSWORD_LENGTH,
        ),
    )
    confirm = PasswordField(
        lazy_gettext("Repeat new password"),
        validators=[DataRequired(), EqualTo("new_password", _PASSWORDS_DIFFER)],
    )
    submit = SubmitField(lazy_gettext("Change password"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(lazy_gettext("Email"), validators=[DataRequired()])
    submit = SubmitField(lazy_gettext("Email me a reset link"))


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        lazy_gettext("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=256)],
        description=_LONG_ENOUGH,
    )
    confirm = PasswordField(
        lazy_gettext("Repeat new password"),
        validators=[DataRequired(), EqualTo("password", _PASSWORDS_DIFFER)],
    )
    submit = SubmitField(lazy_gettext("Set new password"))


class NewTokenForm(FlaskForm):
    name = StringField(
        lazy_gettext("Token name"),
        validators=[DataRequired(), Length(max=80)],
        description=lazy_gettext("For example: the laptop script that uploads my work."),
    )
    submit = SubmitField(lazy_gettext("Create token"))


def _language_choices() -> list[SelectChoice]:
    # "" follows the browser's Accept-Language; each language is named in itself.
    return [
        SelectChoice("", gettext("Your browser's language")),
        *(SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGES.items()),
    ]


class LanguageForm(FlaskForm):
    language = SelectField(
        lazy_gettext("Language"),
        choices=_language_choices,
        description=lazy_gettext("The language of the co-op's pages, emails and messages."),
    )
    submit = SubmitField(lazy_gettext("Save language"))
