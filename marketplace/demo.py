"""Demo data: real photographs and a year of history on a new instance (``demo_history``),
then the people at each stage of membership and the governance pages' first posts."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.accounts.services import find_user_by_email, sign_up
from marketplace.admin.services import create_admin
from marketplace.catalogue.vocabulary import refresh_vocabulary
from marketplace.demo_history import demo_state_dir, seed_year
from marketplace.demo_people import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    MEMBERS,
    STATEMENT,
    admit_member,
    sample_image,
)
from marketplace.demo_photos import photos_of, publish_photos
from marketplace.extensions import db
from marketplace.governance import announcements, proposals
from marketplace.governance.models import Announcement, Proposal
from marketplace.membership import services as membership

__all__ = ["DEMO_LOGINS", "DEMO_PASSWORD", "seed_demo"]


def seed_demo() -> list[str]:
    """Create what is missing of the demo data; returns what was created.

    A new instance gets the whole year of history; on an instance seeded before, only the
    people who are missing are added (with their photographs, dated today)."""
    created: list[str] = []
    admin_email = DEMO_LOGINS[0][1]
    admin = find_user_by_email(admin_email)
    if admin is None:
        created.extend(seed_year(demo_state_dir()))
        admin = find_user_by_email(admin_email)
        if admin is None:
            raise RuntimeError("The demo's history did not create its admin.")
    for member in MEMBERS:
        if find_user_by_email(member.email) is None:
            user = admit_member(admin, member.email)
            publish_photos(admin, user)
            created.append(f"member {member.email} with {len(photos_of(member.email))} photos")

    if created:
        # "Did you mean" knows the demo's words at once, not only after beat's first run.
        refresh_vocabulary()

    if find_user_by_email("lena@coop.example") is None:
        user = sign_up("lena@coop.example", DEMO_PASSWORD, "Lena Fischer")
        membership.submit_application(
            user,
            STATEMENT,
            "https://example.org/lena",
            [membership.Upload(f"alps-{i}.jpg", sample_image(i)) for i in range(3)],
        )
        created.append("pending application")

    if find_user_by_email("buyer@coop.example") is None:
        sign_up("buyer@coop.example", DEMO_PASSWORD, "Bea Buyer")
        created.append("buyer")
    if find_user_by_email("sam@coop.example") is None:
        create_admin("sam@coop.example", DEMO_PASSWORD, "Sam Okafor")
        created.append("second admin")
    created.extend(_seed_governance(admin))
    return created


def _seed_governance(admin: User) -> list[str]:
    """A proposal gathering support and a welcome announcement, once."""
    created: list[str] = []
    ana = find_user_by_email("ana@coop.example")
    title_taken = db.session.scalar(
        sa.select(sa.func.count(Proposal.id)).where(Proposal.title == _PROPOSAL_TITLE)
    )
    if ana is not None and not title_taken:
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
- The co-op's margin on extended licences stays above its processing costs."""
_WELCOME = """Members can now propose changes, discuss them and vote: one member, one vote.

See **Governance** in the menu, and the *open books* for where the money goes."""
