"""Reading payout runs and lines for the pages and the API (nothing here changes them)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.payouts.models import PayoutLine, PayoutRun


def get_run(run_id: int) -> PayoutRun:
    run = db.session.get(PayoutRun, run_id)
    if run is None:
        raise NotFound(gettext("No such payout run."))
    return run


def runs(page: int, per_page: int) -> Any:
    return db.paginate(
        sa.select(PayoutRun).order_by(PayoutRun.id.desc()),
        page=page,
        per_page=per_page,
        error_out=False,
    )


def lines_of_member(session: Session, member_id: int, limit: int = 50) -> list[PayoutLine]:
    return list(
        session.execute(
            sa.select(PayoutLine)
            .where(PayoutLine.member_id == member_id)
            .order_by(PayoutLine.id.desc())
            .limit(limit)
        ).scalars()
    )
