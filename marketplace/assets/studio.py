"""The artist's studio in figures: each work's status, views, licences sold and royalties, by
work and by month, and what to do next. Read-only; sales come from the orders the ledger posted.

A work's royalties are those of its sales that stand (a refunded licence's royalty was taken back
by a reversing ledger entry), each split as the ledger split it (``ledger.core.royalty_split``),
so the works' royalties add up to the member's royalties earned in the ledger; a sale paid in
another currency counts the royalty on the item's share of what the co-op received
(``payouts.earnings.posted_royalties``), as the ledger posted it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext, ngettext
from sqlalchemy.orm import Session

from marketplace.assets.drafts import SUBMITTABLE, missing_for_review
from marketplace.assets.models import Asset, AssetViewDay
from marketplace.orders.models import Order, OrderItem
from marketplace.payouts import core as payouts_core
from marketplace.payouts import earnings as payouts_earnings
from marketplace.payouts import services as payouts

RECENT_DAYS = 30


@dataclass(frozen=True)
class WorkFigures:
    """One work as its artist sees it in the studio."""

    asset: Asset
    views: int
    views_recent: int
    licences_sold: int
    royalties_cents: int
    missing: dict[str, str]


@dataclass(frozen=True)
class NextStep:
    """Something the artist should do, said plainly, with where to do it (an endpoint name)."""

    text: str
    endpoint: str
    kind: str = "info"
    anchor: str = ""


@dataclass
class Studio:
    works: list[WorkFigures]
    months: list[payouts_core.MonthBar]
    next_steps: list[NextStep] = field(default_factory=list)

    @property
    def views(self) -> int:
        return sum(w.views for w in self.works)

    @property
    def views_recent(self) -> int:
        return sum(w.views_recent for w in self.works)

    @property
    def licences_sold(self) -> int:
        return sum(w.licences_sold for w in self.works)

    @property
    def royalties_cents(self) -> int:
        return sum(w.royalties_cents for w in self.works)

    def count(self, status: str) -> int:
        return sum(1 for w in self.works if w.asset.status == status)

    @property
    def rejected(self) -> list[WorkFigures]:
        return [w for w in self.works if w.asset.status == "rejected"]


def _views(session: Session, member_id: int, since: date | None) -> dict[int, int]:
    query = (
        sa.select(AssetViewDay.asset_id, sa.func.sum(AssetViewDay.views))
        .join(Asset, Asset.id == AssetViewDay.asset_id)
        .where(Asset.member_id == member_id)
        .group_by(AssetViewDay.asset_id)
    )
    if since is not None:
        query = query.where(AssetViewDay.day >= since)
    return {asset_id: int(total or 0) for asset_id, total in session.execute(query)}


def royalties_by_work(session: Session, member_id: int) -> dict[int, tuple[int, int]]:
    """asset id -> (licences sold that stand, royalties in cents) over the member's paid orders."""
    rows = session.execute(
        sa.select(
            OrderItem.id,
            OrderItem.order_id,
            OrderItem.price_cents,
            OrderItem.royalty_bps,
            Order.settled_cents,
            OrderItem.asset_id,
        )
        .join(Order, OrderItem.order_id == Order.id)
        .where(
            OrderItem.member_id == member_id,
            OrderItem.status == "active",
            Order.paid_at.is_not(None),
        )
    ).all()
    royalties = payouts_earnings.posted_royalties(session, (row[:5] for row in rows))
    figures: dict[int, tuple[int, int]] = {}
    for item_id, *_, asset_id in rows:
        sold, cents = figures.get(asset_id, (0, 0))
        figures[asset_id] = (sold + 1, cents + royalties[item_id])
    return figures


def studio(session: Session, member_id: int, today: date) -> Studio:
    """Every work of the member (newest first) with its figures, the last twelve months'
    royalties, and the next steps."""
    assets = session.execute(
        sa.select(Asset)
        .where(Asset.member_id == member_id)
        .order_by(Asset.created_at.desc(), Asset.id.desc())
    ).scalars()
    views = _views(session, member_id, None)
    recent = _views(session, member_id, today - timedelta(days=RECENT_DAYS - 1))
    sales = royalties_by_work(session, member_id)
    works = [
        WorkFigures(
            asset=asset,
            views=views.get(asset.id, 0),
            views_recent=recent.get(asset.id, 0),
            licences_sold=sales.get(asset.id, (0, 0))[0],
            royalties_cents=sales.get(asset.id, (0, 0))[1],
            missing=missing_for_review(asset) if asset.status in SUBMITTABLE else {},
        )
        for asset in assets
    ]
    result = Studio(
        works=works, months=payouts_earnings.monthly_royalties(session, member_id, today)
    )
    result.next_steps = _next_steps(session, member_id, result)
    return result


def _next_steps(session: Session, member_id: int, figures: Studio) -> list[NextStep]:
    steps: list[NextStep] = []
    drafts = figures.count("draft")
    if drafts:
        steps.append(
            NextStep(
                ngettext(
                    "%(num)d draft to describe and send for review",
                    "%(num)d drafts to describe and send for review",
                    drafts,
                ),
                "assets.studio_drafts",
                "warning",
            )
        )
    rejected = figures.count("rejected")
    if rejected:
        steps.append(
            NextStep(
                ngettext("%(num)d rejected: see why", "%(num)d rejected: see why", rejected),
                "assets.studio",
                "danger",
                anchor="curators-said",
            )
        )
    if not figures.works:
        steps.append(
            NextStep(gettext("Upload your first photos or videos"), "portfolio.upload_page")
        )
    if figures.count("published") and payouts.ready_payout_account(session, member_id) is None:
        steps.append(NextStep(gettext("Set up payouts to receive your royalties"), "payouts.index"))
    return steps
