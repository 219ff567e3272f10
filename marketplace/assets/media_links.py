"""Signed addresses of derived files that are not public yet, for clients without a session.

An API client (the owner of a pending upload, a curator) reads an unpublished asset with its
token, but fetching an image is a plain GET that carries no token: the addresses in its answer
therefore carry their own permission. The signature is an HMAC (itsdangerous, keyed by the app's
SECRET_KEY with a salt of its own) over the asset id, the derived file's name *and* storage key,
and the expiry; so it opens that one file of that one asset, stops working when the file is
re-rendered or the time is up, and cannot be moved to another asset or stretched.

Published work keeps its plain, stable addresses: anyone may fetch them and caches keep them.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from flask import current_app
from flask_babel import gettext, ngettext
from itsdangerous import Signer

from marketplace.database import utcnow
from marketplace.errors import Forbidden

SALT = "asset-media-link"


def _signer() -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt=SALT, digest_method=hashlib.sha256)


def _message(asset_id: int, name: str, key: str, expires: int) -> bytes:
    return f"{asset_id}\n{name}\n{key}\n{expires}".encode()


def lifetime_seconds() -> int:
    return int(current_app.config["MEDIA_URL_TTL_SECONDS"])


def _lifetime_words() -> str:
    seconds = lifetime_seconds()
    if seconds >= 120:
        return ngettext("%(num)d minute", "%(num)d minutes", seconds // 60)
    return ngettext("%(num)d second", "%(num)d seconds", seconds)


def sign(asset_id: int, name: str, key: str, *, now: datetime | None = None) -> dict[str, str]:
    """The query arguments (``expires``, ``signature``) opening ``key`` for the lifetime."""
    expires = int((now or utcnow()).timestamp()) + lifetime_seconds()
    signature = _signer().get_signature(_message(asset_id, name, key, expires)).decode()
    return {"expires": str(expires), "signature": signature}


def check(
    asset_id: int,
    name: str,
    key: str | None,
    expires_arg: str,
    signature: str,
    *,
    now: datetime | None = None,
) -> int:
    """The seconds the address still works; Forbidden when it was altered, replaced or expired.

    ``key`` is the asset's current file (None when the asset or the file is gone): an address
    of a missing asset is refused exactly like a forged one, so it tells nobody what exists.
    """
    expires = int(expires_arg) if expires_arg.isascii() and expires_arg.isdigit() else -1
    expected = (
        _signer().get_signature(_message(asset_id, name, key, expires)).decode()
        if key is not None and expires >= 0
        else ""
    )
    if not expected or not hmac.compare_digest(expected, signature):
        raise Forbidden(
            gettext(
                "This preview address is not valid: it was altered, or the file has been "
                "replaced since. Read the asset from the API again for a fresh address."
            ),
            code="invalid_media_link",
        )
    remaining = expires - int((now or utcnow()).timestamp())
    if remaining <= 0:
        raise Forbidden(
            gettext(
                "This preview address has expired (they work for %(lifetime)s). "
                "Read the asset from the API again for a fresh address.",
                lifetime=_lifetime_words(),
            ),
            code="media_link_expired",
        )
    return remaining
