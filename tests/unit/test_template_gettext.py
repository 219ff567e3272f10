"""Templates translate through ``i18n.catalogues``' own callables: the same text as Jinja's
"newstyle" gettext over Flask-Babel's, in one call instead of three lookups and two wrappers."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import force_locale, get_translations

TEMPLATES = [
    '{{ _("Licence") }}',
    '{{ _("Price: %(amount)s", amount="<b>5 €</b>") }}',
    '{{ _("100%% recycled") }}',
    '{{ gettext("Hello %(name)s", name="O\'Brien & co") }}',
    '{{ ngettext("%(num)d work", "%(num)d works", 1) }}|{{ ngettext("%(num)d work", '
    '"%(num)d works", 3) }}',
    '{{ pgettext("licence size", "Small") }}',
    '{{ npgettext("cart", "%(num)d item", "%(num)d items", 2) }}',
    '{% trans name="<i>Ana</i>" %}Sold by {{ name }}{% endtrans %}',
    "{% trans count=2 %}{{ count }} licence{% pluralize %}{{ count }} licences{% endtrans %}",
    '{{ _("Search") }} {{ _("Cart") }} {{ _("Sign in") }}',
    # Variables named as the callables' own parameters (the admin dashboard passes num=).
    '{{ ngettext("%(num)s order", "%(num)s orders", 3, num="3") }}',
    '{{ _("%(string)s and %(context)s", string="a", context="b") }}',
    "{% trans num=4, count=2 %}{{ num }} of {{ count }}{% pluralize %}{{ num }} of {{ count }}"
    "{% endtrans %}",
]


def reference_env(app: Flask):  # type: ignore[no-untyped-def]
    """Jinja's newstyle callables over Flask-Babel's translations, as Flask-Babel installs them."""
    env = app.jinja_env.overlay()
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: get_translations().ugettext(s),
        ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
        pgettext=lambda c, s: get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: get_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    return env


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("autoescape", [True, False])
def test_same_text_as_jinja_newstyle_gettext(app: Flask, language: str, autoescape: bool) -> None:
    reference = reference_env(app)
    with app.test_request_context("/", headers={"Accept-Language": language}):
        for source in TEMPLATES:
            ours = app.jinja_env.overlay(autoescape=autoescape).from_string(source).render()
            theirs = reference.overlay(autoescape=autoescape).from_string(source).render()
            assert ours == theirs, source


def test_html_escapes_variables_and_text_does_not(app: Flask) -> None:
    source = '{{ _("Price: %(amount)s", amount="<b>") }}'
    with app.test_request_context("/"):
        html = app.jinja_env.overlay(autoescape=True).from_string(source).render()
        text = app.jinja_env.overlay(autoescape=False).from_string(source).render()
    assert html == "Price: &lt;b&gt;"
    assert text == "Price: <b>"


def test_forced_language_is_followed_and_restored(app: Flask) -> None:
    """An email written in its recipient's language during another reader's request."""
    template = app.jinja_env.from_string('{{ _("Cart") }}')
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert template.render() == "Cart"
        with force_locale("fr"):
            french = template.render()
        assert template.render() == "Cart"
    assert french == "Panier"


def test_outside_a_request_uses_the_default_language(app: Flask) -> None:
    with app.app_context():
        assert app.jinja_env.from_string('{{ _("Cart") }}').render() == "Cart"
