"""What the storefront's pages show about a search: tiles laid out before images arrive, the
filters in words, the ways out of an empty search, and the page numbers. Pure: no database.

Tiles carry their shape as a class (``ar-150`` is 1.5 : 1, in steps of 0.05): the pages'
Content-Security-Policy refuses inline ``style=""``, and a class per shape lets
static/css/storefront.css size each tile before its image has loaded (no jump).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import LazyString, gettext, lazy_gettext

from marketplace.assets.models import Asset

RATIO_STEP = 5  # hundredths: 0.05
RATIO_MIN, RATIO_MAX = 25, 400  # 1 : 4 (a tall strip) to 4 : 1 (a panorama)
THUMBNAIL_EDGE = 400  # marketplace.media: thumbnails fit in 400 x 400
PAGE_WINDOW = 2  # page numbers either side of the current one

# The filters' values in words, in the reader's language when shown (lazy);
# keep in step with templates/catalogue/_filters.html.
KIND_LABELS: dict[str, LazyString] = {
    "photo": lazy_gettext("Photos"),
    "video": lazy_gettext("Videos"),
    "": lazy_gettext("Photos or videos"),
}
ORIENTATION_LABELS: dict[str, LazyString] = {
    "landscape": lazy_gettext("Landscape"),
    "portrait": lazy_gettext("Portrait"),
    "square": lazy_gettext("Square"),
    "panoramic": lazy_gettext("Panoramic"),
}
COLOURS: dict[str, LazyString] = {
    "d02020": lazy_gettext("Red"),
    "e07020": lazy_gettext("Orange"),
    "e0c030": lazy_gettext("Yellow"),
    "3a8a3a": lazy_gettext("Green"),
    "208080": lazy_gettext("Teal"),
    "3050c0": lazy_gettext("Blue"),
    "7040a0": lazy_gettext("Purple"),
    "e070a0": lazy_gettext("Pink"),
    "805030": lazy_gettext("Brown"),
    "808080": lazy_gettext("Grey"),
    "202020": lazy_gettext("Black"),
    "f0f0f0": lazy_gettext("White"),
}
MIN_MEGAPIXELS = ("4", "12", "24")
FILTER_NAMES = ("kind", "orientation", "colour", "people", "min_mp", "added_since")


@dataclass(frozen=True)
class Tile:
    asset: Asset
    ratio_class: str
    width: int  # of the thumbnail, for the <img> width and height attributes
    height: int
    from_cents: int | None


def ratio_class(width: int | None, height: int | None) -> str:
    """The shape class of an image of this size, ``ar-100`` (square) when the size is unknown."""
    if not width or not height:
        return "ar-100"
    hundredths = round(width * 100 / height / RATIO_STEP) * RATIO_STEP
    return f"ar-{min(max(hundredths, RATIO_MIN), RATIO_MAX)}"


def thumbnail_size(width: int | None, height: int | None) -> tuple[int, int]:
    """The thumbnail's size for an original of this size (the long edge at most 400 px)."""
    if not width or not height:
        return THUMBNAIL_EDGE, THUMBNAIL_EDGE
    scale = min(1.0, THUMBNAIL_EDGE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def tiles(assets: list[Asset], cheapest: Mapping[int, int]) -> list[Tile]:
    """One tile per asset, in order, with its shape and its lowest price."""
    shown = []
    for asset in assets:
        width, height = thumbnail_size(asset.width, asset.height)
        shape = ratio_class(asset.width, asset.height)
        shown.append(Tile(asset, shape, width, height, cheapest.get(asset.id)))
    return shown


def _colour_key(value: str) -> str:
    return value.strip().lower().lstrip("#")


def _colour_name(value: str) -> str:
    name = COLOURS.get(_colour_key(value))
    return str(name) if name is not None else "#" + _colour_key(value)


def _filter_label(name: str, value: str) -> str:
    if name == "kind":
        kind = KIND_LABELS.get(value)
        return str(kind) if kind is not None else value.capitalize()
    if name == "orientation":
        return str(ORIENTATION_LABELS.get(value, value))
    if name == "colour":
        return _colour_name(value)
    if name == "people":
        return gettext("With people") if value in {"1", "true", "yes"} else gettext("No people")
    if name == "min_mp":
        return gettext("%(megapixels)s MP or more", megapixels=value)
    return gettext("Added since %(day)s", day=value)


@dataclass(frozen=True)
class ActiveFilter:
    name: str
    label: str
    without: dict[str, str]  # the search's arguments without this filter (and on page 1)


def active_filters(args: Mapping[str, str]) -> list[ActiveFilter]:
    """The filters the search narrows by, each with the address arguments that remove it."""
    current = {k: v for k, v in args.items() if v and k != "page"}
    found = []
    for name in FILTER_NAMES:
        value = (current.get(name) or "").strip().lower()
        if value:
            without = {k: v for k, v in current.items() if k != name}
            found.append(ActiveFilter(name, _filter_label(name, value), without))
    return found


def _none_of(kind: str, orientation: str) -> str:
    """The start of an empty search's sentence: "No photos", "No portrait photos"."""
    if orientation == "landscape":
        if kind == "photo":
            return gettext("No landscape photos")
        if kind == "video":
            return gettext("No landscape videos")
        return gettext("No landscape photos or videos")
    if orientation == "portrait":
        if kind == "photo":
            return gettext("No portrait photos")
        if kind == "video":
            return gettext("No portrait videos")
        return gettext("No portrait photos or videos")
    if orientation == "square":
        if kind == "photo":
            return gettext("No square photos")
        if kind == "video":
            return gettext("No square videos")
        return gettext("No square photos or videos")
    if orientation == "panoramic":
        if kind == "photo":
            return gettext("No panoramic photos")
        if kind == "video":
            return gettext("No panoramic videos")
        return gettext("No panoramic photos or videos")
    if kind == "photo":
        return gettext("No photos")
    if kind == "video":
        return gettext("No videos")
    return gettext("No photos or videos")


def nothing_found(args: Mapping[str, str]) -> str:
    """What an empty search found, in words: "No portrait photos with people match “harbour”".

    Each part is a whole phrase for translators (word order differs between languages).
    """
    kind = (args.get("kind") or "").strip().lower()
    orientation = (args.get("orientation") or "").strip().lower()
    words = [_none_of(kind, orientation)]
    colour = _colour_key(args.get("colour") or "")
    if colour:
        words.append(gettext("in %(colour)s", colour=_colour_name(colour).lower()))
    people = (args.get("people") or "").strip().lower()
    if people:
        with_people = people in {"1", "true", "yes"}
        words.append(gettext("with people") if with_people else gettext("without people"))
    min_mp = (args.get("min_mp") or "").strip()
    if min_mp:
        words.append(gettext("of %(megapixels)s MP or more", megapixels=min_mp))
    since = (args.get("added_since") or "").strip()
    if since:
        words.append(gettext("added since %(day)s", day=since))
    q = (args.get("q") or "").strip()
    if q:
        return gettext("%(found)s match “%(query)s”", found=" ".join(words), query=q)
    return gettext("%(found)s are on sale yet", found=" ".join(words))


def page_numbers(page: int, pages: int) -> list[int | None]:
    """The page numbers to link, None for a gap: 1 … 4 5 [6] 7 8 … 20."""
    if pages <= 1:
        return [1] if page == 1 else [1, page]
    shown: list[int | None] = []
    previous = 0
    wanted = {1, pages, *range(page - PAGE_WINDOW, page + PAGE_WINDOW + 1)}
    for number in sorted(n for n in wanted if 1 <= n <= max(pages, page)):
        if previous and number - previous > 1:
            shown.append(None)
        shown.append(number)
        previous = number
    return shown
