"""Tile addresses built once per page are exactly what url_for gives for each tile."""

from __future__ import annotations

from flask import Flask, url_for

from marketplace.assets.asset_page import tile_links
from marketplace.catalogue.pages import slugify
from marketplace.catalogue.related import Tile


def test_tile_links_are_what_url_for_gives(app: Flask) -> None:
    titles = ["Harbour at dawn", "東京", "987654321 tile-slug", "Café 100%", "7"]
    tiles = [
        Tile(n + 5, title, "photo", "published", None, "Ann") for n, title in enumerate(titles)
    ]
    with app.test_request_context():
        links = tile_links(tiles)
        for tile in tiles:
            page = url_for("portfolio.detail", asset_id=tile.id, slug=slugify(tile.title))
            thumbnail = url_for("assets.media", asset_id=tile.id, name="thumbnail")
            assert (links[tile.id].page, links[tile.id].thumbnail) == (page, thumbnail)
    assert links[6].page == "/assets/6"  # no Latin letters: no slug
