"""Demo data: a handful of people at each stage of membership, with generated sample images."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from marketplace.accounts.services import find_user_by_email, sign_up
from marketplace.admin.services import create_admin
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
        created.append(f"member {email}")

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
    return created
