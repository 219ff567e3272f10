"""The languages the co-op speaks: adding one is adding a line here and its catalogues."""

from __future__ import annotations

DEFAULT_LANGUAGE = "en"

# Code -> the language's own name, as the switcher shows it.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
}
