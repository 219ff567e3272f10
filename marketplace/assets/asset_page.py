"""The public asset page: which asset a visitor sees at an address, and what the page shows."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.assets import services
from marketplace.assets.models import Asset


def page_context(asset: Asset) -> dict[str, Any]:
    """Everything the asset page template needs, the asset itself included."""
    from marketplace.catalogue import pages

    return {"asset": asset, **pages.asset_page_context(asset)}


def show(asset_id: int, slug: str | None) -> str | Response:
    """The asset page at its canonical address, or a 301 to it from any other address.

    The redirect happens only once the viewer may see the asset: it must not tell strangers
    an unpublished title.
    """
    from marketplace.catalogue import pages

    asset = services.get_visible(current_user, asset_id)
    if slug != pages.asset_slug(asset):
        return pages.redirect_to_canonical(asset)
    return render_template("assets/detail.html", **page_context(asset))
