"""Encrypting tax ids at rest with Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``).

``TAX_ID_KEY`` holds one or more Fernet keys separated by commas: the first encrypts, all of
them decrypt (``MultiFernet``), so a key can be rotated by putting the new one first and
re-encrypting with ``rotate``. Losing the key loses every stored tax id: back it up.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from flask_babel import gettext

from marketplace.errors import ServiceUnavailable
from marketplace.i18n.markers import N_

MISSING_KEY = N_("Tax ids cannot be stored until MARKETPLACE_TAX_ID_KEY is set.")


class TaxIdUnreadable(Exception):
    """The stored token was not made with any of the configured keys."""


def keyring(keys: str | None = None) -> MultiFernet:
    """The configured keys (or ``keys``); 503 when none is set."""
    raw = keys if keys is not None else current_app.config.get("TAX_ID_KEY")
    parts = [part.strip() for part in (raw or "").split(",") if part.strip()]
    if not parts:
        raise ServiceUnavailable(gettext(MISSING_KEY), code="tax_id_key_missing")
    try:
        return MultiFernet([Fernet(part.encode()) for part in parts])
    except ValueError:
        raise ServiceUnavailable(
            gettext(
                "MARKETPLACE_TAX_ID_KEY is not a Fernet key (32 url-safe base64-encoded bytes)."
            ),
            code="tax_id_key_invalid",
        ) from None


def encrypt_tax_id(tax_id: str, keys: str | None = None) -> str:
    return keyring(keys).encrypt(tax_id.encode()).decode("ascii")


def decrypt_tax_id(token: str, keys: str | None = None) -> str:
    try:
        return keyring(keys).decrypt(token.encode("ascii")).decode()
    except InvalidToken:
        raise TaxIdUnreadable("the tax id was encrypted with another key") from None


def rotate(token: str, keys: str | None = None) -> str:
    """The token re-encrypted under the first key (after a key rotation)."""
    return keyring(keys).rotate(token.encode("ascii")).decode("ascii")


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")
