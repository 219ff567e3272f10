"""Redeeming one member's capital when they leave, as the redemption policy says.

The policy is data (``LEAVER_REDEMPTION_AFTER_DAYS``, README settings): a member who resigned
or was expelled has every retained allocation they still hold redeemed, all years at once,
from that many days after their leaving date (0: at once). The co-op's bylaws may allow a
longer wait (e.g. to keep working capital through the year's end), never a shorter one than
the days set here.

A member's redemption is a redemption run of one member (``RedemptionRun.member_id``): drafted
here, approved by a second admin and paid as every redemption (``redemptions``), what the
member owes the co-op kept first.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from marketplace.accounts.models import User
from marketplace.audit.services import record
from marketplace.database import unit_of_work, utcnow
from marketplace.dividends.models import RedemptionLine, RedemptionRun
from marketplace.dividends.redemptions import retained_allocations
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.ledger.core import format_cents
from marketplace.membership.models import LEFT_STATUSES, Member


def redemption_due_on(left_on: date) -> date:
    """The first day a leaver's capital may be redeemed, by the policy."""
    return left_on + timedelta(days=int(current_app.config["LEAVER_REDEMPTION_AFTER_DAYS"]))


def draft_member_redemption(
    admin: User, member_number: int, today: date | None = None
) -> RedemptionRun:
    """A draft redeeming everything a member who left still holds in retained allocations,
    oldest year first. 409 for a member who has not left or before the policy's day; 422 when
    nothing is retained."""
    today = today or utcnow().date()
    with unit_of_work() as session:
        member = session.execute(
            sa.select(Member).where(Member.member_number == member_number)
        ).scalar_one_or_none()
        if member is None:
            raise NotFound(gettext("No such member."))
        if member.status not in LEFT_STATUSES or member.left_on is None:
            raise Conflict(
                gettext(
                    "Member %(number)s has not left the co-op: their capital is redeemed with "
                    "their year's allocations, by the yearly redemption.",
                    number=member_number,
                ),
                code="member_still_active",
            )
        due = redemption_due_on(member.left_on)
        if today < due:
            raise Conflict(
                gettext(
                    "By the redemption policy, member %(number)s's capital is redeemed from "
                    "%(due)s, %(days)s days after they left on %(left)s.",
                    number=member_number,
                    due=due.isoformat(),
                    days=current_app.config["LEAVER_REDEMPTION_AFTER_DAYS"],
                    left=member.left_on.isoformat(),
                ),
                code="redemption_not_due",
            )
        held = sorted(
            (r for r in retained_allocations(session) if r.member_id == member.id),
            key=lambda r: (r.year, r.allocation_id or 0),
        )
        if not held:
            raise InvalidInput(
                gettext(
                    "Member %(number)s holds no retained allocation to redeem.",
                    number=member_number,
                ),
                code="nothing_to_redeem",
            )
        run = RedemptionRun(
            year=member.left_on.year,
            pct_bps=None,
            allow_out_of_order=True,
            currency=current_app.config["CURRENCY"],
            status="draft",
            total_cents=sum(r.amount_cents for r in held),
            created_by_id=admin.id,
            member_id=member.id,
        )
        run.lines = [
            RedemptionLine(
                allocation_id=r.allocation_id,
                member_id=member.id,
                member_number=member.member_number,
                year=r.year,
                amount_cents=r.amount_cents,
                status="pending",
            )
            for r in held
        ]
        session.add(run)
        session.flush()
        record(
            session,
            admin,
            "dividends.member_redemption_draft",
            "redemption_run",
            run.id,
            f"Drafted redemption {run.id} of member {member_number}'s capital "
            f"({member.leaving_kind} on {member.left_on.isoformat()}): "
            f"{format_cents(run.total_cents, run.currency)} in {len(run.lines)} allocation(s)",
        )
    return run
