"""The demo's people: the sign-ins it prints, and the members who join over its year."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw

from marketplace.accounts.models import User
from marketplace.accounts.services import sign_up
from marketplace.membership import services as membership

DEMO_PASSWORD = "coop-demo-2026"  # noqa: S105 - published on purpose, for the newcomer
DEMO_LOGINS = [
    ("admin", "admin@coop.example", DEMO_PASSWORD),
    ("admin", "sam@coop.example", DEMO_PASSWORD),
    ("member", "ana@coop.example", DEMO_PASSWORD),
    ("member", "kofi@coop.example", DEMO_PASSWORD),
    ("applicant", "lena@coop.example", DEMO_PASSWORD),
    ("buyer", "buyer@coop.example", DEMO_PASSWORD),
]
STATEMENT = (
    "I photograph mountain villages and the people who keep them alive. I would like to sell "
    "my work through a co-op that pays artists fairly and lets us decide together."
)


@dataclass(frozen=True)
class DemoMember:
    email: str
    name: str
    class_code: str
    location: str
    bio: str
    joined_month: int  # in the last complete fiscal year
    joined_day: int


MEMBERS = [
    DemoMember(
        "ana@coop.example",
        "Ana Ribeiro",
        "founders",
        "Lisbon, Portugal",
        "Documentary and landscape photographer; mountains, light and weather.",
        1,
        8,
    ),
    DemoMember(
        "kofi@coop.example",
        "Kofi Mensah",
        "artists",
        "Accra, Ghana",
        "Nature and everyday life, in natural light.",
        2,
        12,
    ),
    DemoMember(
        "mei@coop.example",
        "Mei Tanaka",
        "artists",
        "Osaka, Japan",
        "Still life and food photography; simple shapes, strong colour.",
        4,
        3,
    ),
    DemoMember(
        "diego@coop.example",
        "Diego Álvarez",
        "artists",
        "Valparaíso, Chile",
        "Interiors, architecture and the coast.",
        7,
        15,
    ),
    DemoMember(
        "sara@coop.example",
        "Sara Lindqvist",
        "artists",
        "Uppsala, Sweden",
        "Wildlife and small things: birds, insects, design details.",
        9,
        22,
    ),
]


def sample_image(seed: int) -> io.BytesIO:
    """A small landscape-like JPEG for a membership application's portfolio samples."""
    image = Image.new("RGB", (960, 640), (40 + seed * 30 % 200, 90, 140))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 420, 960, 640), fill=(60, 110 + seed * 20 % 100, 70))
    draw.polygon([(100, 420), (380, 120 + seed * 10), (660, 420)], fill=(110, 110, 120))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    buffer.seek(0)
    return buffer


def admit_member(admin: User, email: str) -> User:
    """Sign the person up, have them apply, and have ``admin`` admit them to their class."""
    member = next(member for member in MEMBERS if member.email == email)
    user = sign_up(email, DEMO_PASSWORD, member.name)
    application = membership.submit_application(
        user,
        STATEMENT,
        "https://example.org/portfolio",
        [membership.Upload("sample.jpg", sample_image(1))],
    )
    membership.decide_application(
        admin, application.id, "approve", "Welcome aboard!", member.class_code
    )
    membership.update_profile(
        user, member.name, member.bio, member.location, "https://example.org/portfolio"
    )
    return user
