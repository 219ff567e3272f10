"""A year of the demo co-op's history, seeded through the services the pages call.

Each event runs at its own moment on ``database.clock_at``: members join over the last
complete fiscal year, buyers license work every month through the Stripe emulator, an admin
refunds an order, royalties are paid out, two admins draft and approve the year's patronage
dividend and start paying it, and the members vote (one vote closed with its result, one open).
Nothing here writes the ledger: the services post every entry, balanced, as they do for a
real sale.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from marketplace import pricing
from marketplace.accounts.models import User
from marketplace.accounts.services import sign_up
from marketplace.admin.services import create_admin
from marketplace.assets.models import Asset
from marketplace.costs import core as costs_core
from marketplace.costs import services as costs
from marketplace.database import clock_at, utcnow
from marketplace.demo_people import DEMO_PASSWORD, MEMBERS, admit_member
from marketplace.demo_photos import publish_photos
from marketplace.demo_stripe import complete_onboarding, payment_method, running_emulator
from marketplace.dividends import paying as dividend_paying
from marketplace.dividends import services as dividends
from marketplace.extensions import db
from marketplace.governance import ballots, proposals, votes
from marketplace.governance.models import Vote
from marketplace.orders import services as orders
from marketplace.payments import refunds
from marketplace.payments.settlement import apply_payment_intent
from marketplace.payments.stripe_gateway import gateway
from marketplace.payouts import services as payouts

log = logging.getLogger(__name__)

SECOND_ADMIN = ("sam@coop.example", "Sam Okafor")
BUYERS = [
    ("buyer@coop.example", "Bea Buyer"),
    ("studio@northwind.example", "Northwind Design Studio"),
    ("photo-desk@harbourpress.example", "Harbour Press photo desk"),
    ("hello@trailmag.example", "Trail Magazine"),
    ("web@greenleaf.example", "Greenleaf Organic Foods"),
    ("design@atlas-travel.example", "Atlas Travel"),
    ("office@riverside-school.example", "Riverside School"),
    ("art@kettle-and-crumb.example", "Kettle & Crumb Bakery"),
    ("comms@fjordwind.example", "Fjordwind Energy"),
    ("studio@paper-crane.example", "Paper Crane Books"),
    ("team@altitude-outdoor.example", "Altitude Outdoor Gear"),
    ("editor@wildside-journal.example", "Wildside Journal"),
]
# Members who connect a payout account (the others' royalties and dividends wait for one).
PAID_OUT = ("ana@coop.example", "kofi@coop.example", "mei@coop.example")


@dataclass
class Year:
    """What the events share: the people by email, their works, the emulator, what happened."""

    stripe_url: str
    users: dict[str, User] = field(default_factory=dict)
    works: list[int] = field(default_factory=list)
    orders: list[int] = field(default_factory=list)
    licensed: set[tuple[int, int]] = field(default_factory=set)  # (buyer id, asset id)
    proposals: list[int] = field(default_factory=list)
    votes: list[int] = field(default_factory=list)
    dividend_run_id: int | None = None
    refunds: int = 0
    payout_runs: int = 0
    dice: random.Random = field(default_factory=lambda: random.Random(2026))  # noqa: S311


Event = tuple[datetime, Callable[[Year], None]]


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _months(first: date, last: date) -> list[date]:
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def _join(email: str) -> Callable[[Year], None]:
    def run(year: Year) -> None:
        user = admit_member(year.users["admin@coop.example"], email)
        year.users[email] = user
        year.works.extend(publish_photos(year.users["admin@coop.example"], user))

    return run


def _sign_up(email: str, name: str) -> Callable[[Year], None]:
    def run(year: Year) -> None:
        year.users[email] = sign_up(email, DEMO_PASSWORD, name)

    return run


def _admins(year: Year) -> None:
    year.users["admin@coop.example"], _ = create_admin(
        "admin@coop.example", DEMO_PASSWORD, "Co-op Admin"
    )
    email, name = SECOND_ADMIN
    year.users[email], _ = create_admin(email, DEMO_PASSWORD, name)


def _pick(year: Year) -> tuple[User, list[orders.ItemRequest]] | None:
    """A buyer and one or two works they hold no licence for, each in a size it is sold in."""
    buyers = [year.users[email] for email, _ in BUYERS if email in year.users]
    for _ in range(20):
        if not buyers or not year.works:
            return None
        buyer = year.dice.choice(buyers)
        fresh = [work for work in year.works if (buyer.id, work) not in year.licensed]
        if not fresh:
            continue
        picked = year.dice.sample(fresh, k=min(len(fresh), year.dice.choice((1, 1, 1, 2))))
        requests = []
        for asset_id in picked:
            asset = db.session.get(Asset, asset_id)
            width, height = (asset.width, asset.height) if asset else (None, None)
            sizes = [size.code for size in pricing.offered_sizes("photo", width, height)]
            licence = "extended" if year.dice.random() < 0.12 else "standard"
            # Most buyers take a web size; print buyers the largest.
            size = year.dice.choice([*sizes[:2], *sizes[:2], sizes[-1]])
            requests.append(orders.ItemRequest(asset_id, licence, size))
        return buyer, requests
    return None


def _sales(count: int) -> Callable[[Year], None]:
    """``count`` orders by the buyers, each paid by card through the emulator and settled as
    its webhook would settle it (the PaymentIntent read back from Stripe)."""

    def run(year: Year) -> None:
        for _ in range(count):
            picked = _pick(year)
            if picked is None:
                return
            buyer, requests = picked
            order = orders.create_order(buyer, requests).order
            result = orders.pay(buyer, order.id, payment_method(year.stripe_url))
            if result.payment_intent_id is None:
                raise RuntimeError(f"Demo order {order.id} was not paid: {result.error}")
            apply_payment_intent(gateway().retrieve_payment_intent(result.payment_intent_id))
            year.orders.append(order.id)
            year.licensed.update((buyer.id, request.asset_id) for request in requests)

    return run


def _refund(year: Year) -> None:
    """An admin refunds the whole of an early order (the buyer licensed the wrong picture)."""
    if len(year.orders) >= 2:
        refunds.request_refund(year.users["admin@coop.example"], year.orders[1], None)
        year.refunds += 1


def _connect_payout_account(email: str) -> Callable[[Year], None]:
    def run(year: Year) -> None:
        user = year.users[email]
        complete_onboarding(payouts.start_onboarding(user))
        payouts.refresh_member_account(user)

    return run


def _payout_run(year: Year) -> None:
    payouts.start_run(year.users["admin@coop.example"])
    year.payout_runs += 1


def _dividend(fiscal_year: int) -> Callable[[Year], None]:
    def run(year: Year) -> None:
        admin = year.users["admin@coop.example"]
        # The year's costs, recorded as they happened (the run reads them from the ledger).
        for incurred_on, description, cents, account in (
            (date(fiscal_year, 3, 31), "Hosting, first half", 6_000, "5210"),
            (date(fiscal_year, 9, 30), "Hosting, second half", 6_000, "5210"),
            (date(fiscal_year, 12, 15), "The accountant's review", 10_000, "5220"),
            (date(fiscal_year, 12, 31), "Bank charges of the year", 3_000, "5240"),
        ):
            costs.record_cost(
                admin, costs_core.Cost(incurred_on, description, cents, account, "bank")
            )
        request = dividends.RunRequest(
            period_start=date(fiscal_year, 1, 1),
            period_end=date(fiscal_year, 12, 31),
            operating_costs_cents=25_000,
            reserve_pct=30,
            cash_pct=40,
            operating_costs_note="Hosting, card fees and the accountant's review",
        )
        drafted = dividends.draft_run(admin, request)
        year.dividend_run_id = drafted.id

    return run


def _approve_dividend(year: Year) -> None:
    if year.dividend_run_id is not None:
        dividend_paying.approve_run(year.users[SECOND_ADMIN[0]], year.dividend_run_id)


def _pay_dividend(year: Year) -> None:
    if year.dividend_run_id is not None:
        dividend_paying.pay_run(year.users["admin@coop.example"], year.dividend_run_id)


def _propose(email: str, title: str, body: str) -> Callable[[Year], None]:
    def run(year: Year) -> None:
        proposal = proposals.create(year.users[email], proposals.ProposalDraft(title, body))
        year.proposals.append(proposal.id)

    return run


def _support(email: str) -> Callable[[Year], None]:
    """One member's support: enough in a co-op this size, so it opens the vote (14 days)."""

    def run(year: Year) -> None:
        proposal = proposals.support(year.users[email], year.proposals[-1])
        vote_id = db.session.scalar(sa.select(Vote.id).where(Vote.proposal_id == proposal.id))
        if vote_id is not None:
            year.votes.append(vote_id)

    return run


def _ballots(choices: dict[str, str]) -> Callable[[Year], None]:
    def run(year: Year) -> None:
        for email, choice in choices.items():
            ballots.cast(year.users[email], year.votes[-1], {"choice": choice})

    return run


def _close_vote(year: Year) -> None:
    votes.close(year.votes[-1])


def _events(today: date) -> list[Event]:
    """Every event from January of the last complete fiscal year to yesterday, in order."""
    fiscal = today.year - 1
    start = date(fiscal, 1, 1)
    events: list[Event] = [(_at(start + timedelta(days=5), 9), _admins)]
    for member in MEMBERS:
        events.append(
            (_at(date(fiscal, member.joined_month, member.joined_day)), _join(member.email))
        )
        if member.email in PAID_OUT:
            connect_day = date(fiscal, member.joined_month, member.joined_day) + timedelta(days=20)
            events.append((_at(connect_day, 16), _connect_payout_account(member.email)))
    for offset, (email, name) in enumerate(BUYERS):
        signed_up = date(fiscal, 2, 14) + timedelta(days=40 * offset)
        events.append((_at(signed_up, 11), _sign_up(email, name)))
    # Sales grow as the catalogue and the buyers do: two to four days a month, more later.
    for index, month in enumerate(_months(date(fiscal, 2, 1), today - timedelta(days=1))):
        for number, day in enumerate((6, 13, 21, 27)[: 2 + index % 3]):
            moment = _at(month.replace(day=day), 9 + 3 * number)
            if moment.date() < today:
                events.append((moment, _sales(1)))
    events.append((_at(date(fiscal, 6, 18), 15), _refund))
    for payout_day in (date(fiscal, 7, 1), date(today.year, 1, 5), date(today.year, 7, 1)):
        if payout_day < today:
            events.append((_at(payout_day, 8), _payout_run))
    # The year's books close in the new year: drafted, approved by a second admin, paid.
    draft_day = min(date(today.year, 2, 16), today - timedelta(days=3))
    events.append((_at(draft_day, 10), _dividend(fiscal)))
    events.append((_at(draft_day + timedelta(days=1), 11), _approve_dividend))
    events.append((_at(draft_day + timedelta(days=2), 12), _pay_dividend))
    events.extend(_governance(today))
    return sorted(events, key=lambda event: event[0])


def _governance(today: date) -> list[Event]:
    """A proposal decided by a closed vote in the fiscal year, and one in a vote open now."""
    fiscal = today.year - 1
    closed = [
        (date(fiscal, 10, 2), _propose("mei@coop.example", *_DECIDED)),
        (date(fiscal, 10, 3), _support("ana@coop.example")),
        (
            date(fiscal, 10, 6),
            _ballots(
                {"ana@coop.example": "yes", "kofi@coop.example": "yes", "mei@coop.example": "yes"}
            ),
        ),
        (
            date(fiscal, 10, 13),
            _ballots({"diego@coop.example": "no", "sara@coop.example": "abstain"}),
        ),
        (date(fiscal, 10, 18), _close_vote),
    ]
    open_now = [
        (today - timedelta(days=6), _propose("sara@coop.example", *_OPEN)),
        (today - timedelta(days=4), _support("kofi@coop.example")),
        (
            today - timedelta(days=3),
            _ballots({"ana@coop.example": "yes", "diego@coop.example": "no"}),
        ),
        (today - timedelta(days=2), _ballots({"mei@coop.example": "yes"})),
    ]
    return [(_at(day, 12), event) for day, event in closed + open_now]


_DECIDED = (
    "Pay royalties monthly instead of twice a year",
    """Today the co-op pays royalties twice a year. Most of us would rather see them **every
month**, once they reach the $100 threshold.

- Stripe transfers cost the co-op nothing extra per run.
- Members with small balances keep waiting until they reach the threshold, as today.""",
)
_OPEN = (
    "A 20 % discount for registered non-profits",
    """Charities and community groups ask for our work and often cannot pay full price.

I propose a **20 % discount on standard licences** for registered non-profits, verified by an
admin, with the artist's royalty computed on the full price (the co-op carries the discount).""",
)


def seed_year(state_dir: Path) -> list[str]:
    """Seed the history (once, on a new instance) with the Stripe emulator on ``state_dir``;
    returns what it made, for the command's output."""
    today = utcnow().date()
    with _quiet(), _quick_hashes(), running_emulator(state_dir) as stripe_url:
        year = Year(stripe_url)
        for moment, event in _events(today):
            with clock_at(moment):
                event(year)
    fiscal = today.year - 1
    members = sum(1 for member in MEMBERS if member.email in year.users)
    return [
        f"{members} members joining over {fiscal} with {len(year.works)} photographs",
        f"{len(year.orders)} paid orders since February {fiscal} ({year.refunds} refunded)",
        f"{year.payout_runs} royalty payout runs",
        f"the {fiscal} dividend run (drafted, approved by a second admin, paid)",
        f"{len(year.votes)} votes (one closed with its result, one open)",
    ]


@contextmanager
def _quick_hashes() -> Iterator[None]:
    """Argon2 at its lightest for the year's twenty accounts: their password is the one the
    README publishes, so a costly hash protects nothing, and at the production cost hashing
    them alone takes 10 to 30 seconds of the demo's start. Signing in rehashes at full cost
    (``needs_rehash``)."""
    config = current_app.config
    before = config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST_KIB"]
    config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST_KIB"] = 1, 8 * 1024
    try:
        yield
    finally:
        config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST_KIB"] = before


@contextmanager
def _quiet() -> Iterator[None]:
    """The year sends hundreds of emails (receipts, notices) and asks a page cache that does
    not run yet (the demo's Redis starts after the seed, and a new instance has nothing
    cached) to forget each page it changes: the console shows neither."""
    levels = {"marketplace.mail": logging.WARNING, "marketplace.page_cache": logging.CRITICAL}
    loggers = {name: logging.getLogger(name) for name in levels}
    before = {name: logger.level for name, logger in loggers.items()}
    for name, logger in loggers.items():
        logger.setLevel(levels[name])
    try:
        yield
    finally:
        for name, logger in loggers.items():
            logger.setLevel(before[name])


def demo_state_dir() -> Path:
    return Path(current_app.instance_path) / "stripe"
