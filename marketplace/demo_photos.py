"""The demo's photographs: real pictures from Debian's Lomiri wallpaper packages, with the
author, licence and source of each (shown on the asset page and listed in the README).

``make demo-photos`` installs the packages (``lomiri-wallpapers-16.04`` and
``lomiri-wallpapers-20.04``), which put the files in ``/usr/share/backgrounds``; Debian's
copyright file for each package names the author and licence of every picture.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.assets import drafts, processing, uploads
from marketplace.assets import services as assets
from marketplace.assets.models import Asset
from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.membership.services import Upload

PHOTO_DIR_SETTING = "MARKETPLACE_DEMO_PHOTO_DIR"
DEFAULT_PHOTO_DIR = Path("/usr/share/backgrounds")
PACKAGES = ("lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04")
# Where the pictures come from: the upstream repository that Debian's copyright file names.
SOURCE_URL = "https://gitlab.com/ubports/development/core/lomiri-wallpapers"


@dataclass(frozen=True)
class DemoPhoto:
    file: str
    folder: str  # the upstream folder the file sits in (its package's release)
    member_email: str
    title: str
    description: str
    keywords: str
    author: str
    licence: str

    @property
    def source_url(self) -> str:
        """The upstream repository; the file is ``{folder}/{file}`` in it."""
        return SOURCE_URL


class DemoPhotosMissing(RuntimeError):
    """The Debian packages with the demo's photographs are not installed."""


def _photo(
    file: str, member: str, title: str, description: str, keywords: str, author: str, lic: str
) -> DemoPhoto:
    folder = "20.04" if file.startswith("Kleiber") else "16.04"
    return DemoPhoto(file, folder, member, title, description, keywords, author, lic)


ANA, KOFI, MEI = "ana@coop.example", "kofi@coop.example", "mei@coop.example"
DIEGO, SARA = "diego@coop.example", "sara@coop.example"
PHOTOS = [
    _photo(
        "aitzgorri_by_Aitzol_Berasategi.jpg",
        ANA,
        "Autumn beech forest below the Aizkorri range",
        "Copper beech woods and a green pasture under the limestone ridge of Aizkorri, "
        "Basque Country, on a clear autumn afternoon.",
        "mountains, autumn, beech forest, meadow, basque country, aizkorri, landscape, hiking",
        "Aitzol Berasategi",
        "CC-BY-4.0",
    ),
    _photo(
        "picosdeeuropa_by_Aitzol_Berasategi.jpg",
        ANA,
        "Trail into the Picos de Europa",
        "A worn footpath climbs through alpine grass towards jagged limestone peaks and "
        "last snow, clouds breaking over the ridge.",
        "mountains, trail, path, limestone, peaks, snow, spain, picos de europa, hiking",
        "Aitzol Berasategi",
        "CC-BY-4.0",
    ),
    _photo(
        "sunset_by_Aitzol_Berasategi.jpg",
        ANA,
        "Sunset from a mountain summit",
        "The sun drops behind layered ridges; a stone survey marker and frosted grass in "
        "the foreground catch the last warm light.",
        "sunset, summit, mountains, golden hour, sun, ridge, landscape, outdoors",
        "Aitzol Berasategi",
        "CC-BY-4.0",
    ),
    _photo(
        "life_by_Aitzol_Berasategi.jpg",
        KOFI,
        "Forest stream over mossy rocks",
        "A small stream steps down through worn limestone in a green deciduous forest.",
        "stream, forest, water, rocks, moss, trees, nature, river, green",
        "Aitzol Berasategi",
        "CC-BY-4.0",
    ),
    _photo(
        "friends_by_Aitzol_Berasategi.jpg",
        KOFI,
        "Two dogs at a farmhouse window",
        "Two curious brown dogs lean out of an open wooden window, watching the yard.",
        "dogs, pets, animals, window, farmhouse, curious, rural, friends",
        "Aitzol Berasategi",
        "CC-BY-4.0",
    ),
    _photo(
        "seeding_by_Clements_Engelhardt.jpg",
        MEI,
        "Dandelion clocks in evening light",
        "Seed heads of dandelions glow against a meadow softly out of focus at sunset.",
        "dandelion, seeds, meadow, evening, backlight, spring, flowers, nature, bokeh",
        "Clemens Engelhardt",
        "CC0-1.0",
    ),
    _photo(
        "Picture_0B_by_freespace.jpg",
        MEI,
        "Halved fig in a red bowl",
        "A ripe fig cut in half in a glossy red leaf-shaped bowl on grey concrete, shot "
        "from above.",
        "fig, fruit, food, bowl, red, still life, flat lay, concrete, minimal",
        'Trevor "Freespace"',
        "CC-BY-4.0",
    ),
    _photo(
        "Picture_1A_by_freespace.jpg",
        MEI,
        "Paint brushes in a studio jar",
        "Brushes with bristles dyed blue, pink and green stand in a jar in a painter's studio.",
        "brushes, paint, art, studio, colour, craft, tools, creativity",
        'Trevor "Freespace"',
        "CC-BY-4.0",
    ),
    _photo(
        "Wine_by_Jakkub_Mede.jpg",
        DIEGO,
        "Djembe, wine and a pallet table",
        "A djembe drum rests on a bean bag in a warm loft; a bottle of red wine, a glass and "
        "a coffee grinder stand on a table made of pallets.",
        "interior, loft, drum, djembe, wine, home, music, relaxation, lifestyle",
        "Jakub Mede",
        "CC-BY-4.0",
    ),
    _photo(
        "Bridge_by_Sander_Klootwijk.jpg",
        DIEGO,
        "Bridge cables over the tidal flats",
        "Steel cables of a bridge cross a blue sky above wide tidal flats at low water.",
        "bridge, cables, sky, tidal flats, coast, blue, architecture, perspective",
        "Sander Klootwijk",
        "CC-BY-SA-4.0",
    ),
    _photo(
        "Dragonfly_by_Bolly.jpg",
        SARA,
        "Dragonfly on a hazel twig",
        "A dragonfly rests on a hazel twig with catkins, green leaves against a deep blue sky.",
        "dragonfly, insect, hazel, leaves, sky, summer, macro, wildlife, nature",
        '"Bolly"',
        "CC-BY-SA-4.0",
    ),
    _photo(
        "Kleiber_by_Lukas_Baubkus.jpg",
        SARA,
        "Nuthatch on a tree trunk",
        "A Eurasian nuthatch clings head-down to the bark of a tree, snow bright behind it.",
        "nuthatch, bird, wildlife, tree, bark, winter, animal, nature",
        "Lukas Baubkus",
        "CC-BY-SA-3.0",
    ),
    _photo(
        "free_by_Peter_Nerlich.jpg",
        SARA,
        "Wooden bird under globe lamps",
        "A carved wooden bird with spread wings hangs under three glowing globe lamps.",
        "bird, lamp, light, interior, design, wood, decoration, minimal",
        "Peter Nerlich",
        "CC-BY-SA-4.0",
    ),
    _photo(
        "greentock_by_Peter_Nerlich.jpg",
        KOFI,
        "Wall clock, seen from below",
        "A white wall clock with cut-out numerals, lit green from behind, at a steep angle.",
        "clock, time, design, interior, wall, minimal, green, abstract",
        "Peter Nerlich",
        "CC-BY-SA-4.0",
    ),
]


def photo_dir() -> Path:
    return Path(os.environ.get(PHOTO_DIR_SETTING) or DEFAULT_PHOTO_DIR)


def photo_path(photo: DemoPhoto) -> Path:
    """The photograph's file; DemoPhotosMissing says how to install it when it is not there."""
    path = photo_dir() / photo.file
    if not path.is_file():
        raise DemoPhotosMissing(
            f"{path} is missing: the demo's photographs come from Debian's packages "
            f"{' and '.join(PACKAGES)}. Run `make demo-photos` (or apt-get install them), or set "
            f"{PHOTO_DIR_SETTING} to a folder holding their files."
        )
    return path


def photos_of(email: str) -> list[DemoPhoto]:
    return [photo for photo in PHOTOS if photo.member_email == email]


def _status(asset_id: int) -> str:
    return str(db.session.scalar(sa.select(Asset.status).where(Asset.id == asset_id)))


def _set_credit(asset_id: int, photo: DemoPhoto) -> None:
    with unit_of_work() as session:
        asset = session.get(Asset, asset_id)
        if asset is None:
            return
        asset.credit_author = photo.author
        asset.credit_licence = photo.licence
        asset.credit_url = photo.source_url


def publish_photos(admin: User, user: User) -> list[int]:
    """Upload, credit, process (here, not in the worker) and publish the member's photographs;
    the ids of the works published."""
    published: list[int] = []
    for photo in photos_of(user.email):
        with photo_path(photo).open("rb") as stream:
            asset = uploads.upload_asset(
                user,
                Upload(photo.file, stream),
                title=photo.title,
                description=photo.description,
                keywords=photo.keywords,
            )
        _set_credit(asset.id, photo)
        # The queued task finds it processed already and does nothing.
        processing.process_asset(asset.id)
        if _status(asset.id) == "draft":
            # Described at upload, the member sends it to the curators, as on the studio page.
            drafts.submit(user, asset.id)
        assets.review(admin, asset.id, "approve")
        published.append(asset.id)
    return published
