"""Forms of the lightbox pages and of the "Save to lightbox" box on asset pages."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from marketplace.lightboxes.models import MAX_NAME_CHARS, Lightbox

NEW_LIGHTBOX = ""


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
    """Posted to /lightboxes/add; explicit ids keep them apart from other forms of the page."""

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

    def offer(self, lightboxes: list[Lightbox]) -> SaveToLightboxForm:
        """Offer the user's lightboxes, and a new one (chosen when they have none)."""
        if lightboxes:
            self.new_name.label.text = lazy_gettext("Or a new lightbox named")
        else:
            self.new_name.label.text = lazy_gettext("Name your first lightbox")
        self.lightbox_id.choices = [
            *(SelectChoice(str(lightbox.id), lightbox.name) for lightbox in lightboxes),
            SelectChoice(NEW_LIGHTBOX, str(lazy_gettext("A new lightbox…"))),
        ]
        return self
