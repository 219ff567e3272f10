"""Demo data: a handful of people at each stage of membership, with generated sample images."""

from __future__ import annotations

import io

import sqlalchemy as sa
from PIL import Image, ImageDraw, ImageFilter

from marketplace.accounts.models import User
from marketplace.accounts.services import find_user_by_email, sign_up
from marketplace.admin.services import create_admin
from marketplace.assets import processing, uploads
from marketplace.assets import services as assets
from marketplace.catalogue.vocabulary import refresh_vocabulary
from marketplace.extensions import db
from marketplace.governance import announcements, proposals
from marketplace.governance.models import Announcement, Proposal
from marketplace.membership import services as membership

DEMO_PASSWORD = "coop-demo-2026"
DEMO_LOGINS = [
    ("admin", "admin@coop.example", DEMO_PASSWORD),
    ("member", "ana@coop.example", DEMO_PASSWORD),
    ("member", "kofi@coop.example", DEMO_PASSWORD),
    ("applicant", "lena@coop.example", DEMO_PASSWORD),
    ("buyer", "buyer@coop.example", DEMO_PASSWORD),
]
_MEMBERS = [
    (
        "ana@coop.example",
        "Ana Ribeiro",
        "founders",
        "Lisbon, Portugal",
        "Documentary photographer; street life, light and the sea.",
    ),
    (
        "kofi@coop.example",
        "Kofi Mensah",
        "artists",
        "Accra, Ghana",
        "Food and lifestyle photography with natural light.",
    ),
]
# (title, keywords, sky colour, ground colour) of the work each demo member has published.
_WORK = {
    "ana@coop.example": [
        (
            "Fishing boats at dawn, Lisbon",
            "boats, harbour, dawn, sea, portugal",
            (250, 190, 150),
            (40, 90, 130),
        ),
        (
            "Tram climbing Alfama",
            "tram, street, city, lisbon, travel",
            (150, 200, 240),
            (170, 120, 80),
        ),
        ("Atlantic swell", "sea, waves, ocean, blue, nature", (120, 170, 220), (20, 70, 120)),
    ],
    "kofi@coop.example": [
        (
            "Jollof rice, family style",
            "food, rice, dinner, africa, family",
            (240, 210, 170),
            (190, 70, 40),
        ),
        (
            "Market morning in Makola",
            "market, people, city, ghana, colour",
            (250, 230, 180),
            (120, 60, 90),
        ),
        (
            "Palm grove at sunset",
            "palm, sunset, trees, nature, orange",
            (250, 150, 70),
            (50, 80, 40),
        ),
    ],
}
_STATEMENT = (
    "I photograph mountain villages and the people who keep them alive. I would like to sell "
    "my work through a co-op that pays artists fairly and lets us decide together."
)


def _sample_image(seed: int) -> io.BytesIO:
    """A small landscape-like JPEG, different for each seed."""
    image = Image.new("RGB", (960, 640), (40 + seed * 30 % 200, 90, 140))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 420, 960, 640), fill=(60, 110 + seed * 20 % 100, 70))
    draw.polygon([(100, 420), (380, 120 + seed * 10), (660, 420)], fill=(110, 110, 120))
    draw.ellipse((720, 60, 840, 180), fill=(250, 220, 120))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    buffer.seek(0)
    return buffer


def _demo_photo(sky: tuple[int, int, int], ground: tuple[int, int, int], seed: int) -> io.BytesIO:
    """A soft landscape-like JPEG of 1800 × 1200 with a camera-ish EXIF block."""
    image = Image.new("RGB", (1800, 1200), sky)
    draw = ImageDraw.Draw(image)
    for y in range(0, 700, 4):
        shade = tuple(max(0, c - y // 14) for c in sky)
        draw.rectangle((0, y, 1800, y + 4), fill=shade)
    draw.polygon(
        [(0, 760), (500 + seed * 40, 520), (1100, 780), (1800, 600), (1800, 1200), (0, 1200)],
        fill=ground,
    )
    draw.ellipse((1300 - seed * 90, 160, 1460 - seed * 90, 320), fill=(255, 236, 170))
    image = image.filter(ImageFilter.GaussianBlur(1.5))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Demo Camera Co.", f"Model {seed}"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88, exif=exif)
    buffer.seek(0)
    return buffer


def _publish_demo_work(admin: User, user: User, email: str) -> None:
    """Upload, process (here, not in the worker) and publish the member's demo photos."""
    for seed, (title, keywords, sky, ground) in enumerate(_WORK.get(email, [])):
        upload = membership.Upload(f"{title}.jpg", _demo_photo(sky, ground, seed))
        asset = uploads.upload_asset(user, upload, title=title, keywords=keywords)
        # The queued task finds it processed already and does nothing.
        processing.process_asset(asset.id)
        assets.review(admin, asset.id, "approve")


def seed_demo() -> list[str]:
    """Create what is missing of the demo data; returns what was created."""
    created: list[str] = []
    admin_email = DEMO_LOGINS[0][1]
    admin = find_user_by_email(admin_email)
    if admin is None:
        admin, _ = create_admin(admin_email, DEMO_PASSWORD, "Co-op Admin")
        created.append("admin")

    for email, name, class_code, location, bio in _MEMBERS:
        if find_user_by_email(email) is not None:
            continue
        user = sign_up(email, DEMO_PASSWORD, name)
        application = membership.submit_application(
            user,
            _STATEMENT,
            "https://example.org/portfolio",
            [membership.Upload("sample.jpg", _sample_image(1))],
        )
        membership.decide_application(
            admin, application.id, "approve", "Welcome aboard!", class_code
        )
        membership.update_profile(user, name, bio, location, "https://example.org/portfolio")
        _publish_demo_work(admin, user, email)
        created.append(f"member {email} with {len(_WORK.get(email, []))} published photos")

    if created:
        # "Did you mean" knows the demo's words at once, not only after beat's first run.
        refresh_vocabulary()

    if find_user_by_email("lena@coop.example") is None:
        user = sign_up("lena@coop.example", DEMO_PASSWORD, "Lena Fischer")
        membership.submit_application(
            user,
            _STATEMENT,
            "https://example.org/lena",
            [membership.Upload(f"alps-{i}.jpg", _sample_image(i)) for i in range(3)],
        )
        created.append("pending application")

    if find_user_by_email("buyer@coop.example") is None:
        sign_up("buyer@coop.example", DEMO_PASSWORD, "Bea Buyer")
        created.append("buyer")
    created.extend(_seed_governance(admin))
    return created


def _seed_governance(admin: User) -> list[str]:
    """A proposal gathering support and a welcome announcement, once."""
    created: list[str] = []
    ana = find_user_by_email("ana@coop.example")
    if ana is not None and db.session.scalar(sa.select(sa.func.count(Proposal.id))) == 0:
        proposals.create(ana, proposals.ProposalDraft(_PROPOSAL_TITLE, _PROPOSAL_BODY))
        created.append("a proposal gathering support")
    if db.session.scalar(sa.select(sa.func.count(Announcement.id))) == 0:
        announcements.post(admin, "Welcome to the co-op's governance pages", _WELCOME)
        created.append("an announcement")
    return created


_PROPOSAL_TITLE = "Raise the royalty on extended licences to 80 %"
_PROPOSAL_BODY = """Extended licences cost buyers more: they allow resale and unlimited print.

I propose that **80 %** of an extended licence go to the artist (today 75 %), from next year.

- It rewards the work that sells for the most demanding uses.
- The co-op's margin on extended licences stays above its processing costs.

Support it if you would like the members to vote on it."""
_WELCOME = """Members can now propose changes, discuss them and vote: one member, one vote.

See **Governance** in the menu, and the *open books* for where the money goes."""
