"""Forms of the lightbox pages and of the "Save to lightbox" box on asset pages."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from marketplace.lightboxes.models import MAX_NAME_CHARS


class LightboxForm(FlaskForm):
    name = StringField(
        lazy_gettext("Name"),
        validators=[DataRequired(), Length(max=MAX_NAME_CHARS)],
        description=lazy_gettext(
            "For example a project or a client. Only you see it, unless you share it."
        ),
    )
    submit = SubmitField(lazy_gettext("Create lightbox"))


class RenameForm(FlaskForm):
    name = StringField(
        lazy_gettext("Name"),
        validators=[DataRequired(), Length(max=MAX_NAME_CHARS)],
        id="lightbox-name",
    )
    submit = SubmitField(lazy_gettext("Rename"))


class SaveToLightboxForm(FlaskForm):
    """Posted to /lightboxes/add; explicit ids keep them apart from other forms of the page.

    The asset page writes this form itself (``lightboxes/_save_form.html``, with the same names
    and ids): it is shown on every signed-in view, and only ever validated here."""

    asset_id = HiddenField(validators=[DataRequired(), Regexp(r"^\d{1,12}$")], id="save-asset-id")
    # Checked by the service (someone else's lightbox is NotFound), not against the choices.
    lightbox_id = SelectField(
        lazy_gettext("Lightbox"), choices=[], validate_choice=False, id="save-lightbox-id"
    )
    new_name = StringField(
        lazy_gettext("New lightbox"),
        validators=[Optional(), Length(max=MAX_NAME_CHARS)],
        id="save-new-name",
    )
