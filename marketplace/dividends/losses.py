"""A loss carried from one dividend run to the next, by the board's loss policy (as data).

A run that closes a loss (or a surplus smaller than the loss it brought forward) carries what
is left forward; the next run nets it against its surplus before the reserve and the pool
(``core.compute_surplus``). The board's policy is the ``DIVIDEND_LOSS_POLICY`` setting:
``carry_forward`` (the default) or ``charge_reserves``, which charges the loss to the reserves
when the run is approved instead. Each run stores the policy it applied.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.dividends import core
from marketplace.dividends.models import DividendRun
from marketplace.errors import InvalidInput


def loss_policy() -> str:
    """The board's loss policy from the settings (422 naming the setting when unknown)."""
    policy = str(current_app.config.get("DIVIDEND_LOSS_POLICY", "carry_forward"))
    if policy not in core.LOSS_POLICIES:
        raise InvalidInput(
            gettext(
                "DIVIDEND_LOSS_POLICY is %(policy)s: set it to one of %(choices)s.",
                policy=repr(policy),
                choices=", ".join(core.LOSS_POLICIES),
            )
        )
    return policy


def loss_brought_forward(session: Session, period_start: date, currency: str) -> int:
    """What the latest approved (or paid) run ending before ``period_start`` carried forward;
    each run's carried loss already includes the one it brought, so one row is enough."""
    carried = session.execute(
        sa.select(DividendRun.loss_carried_forward_cents)
        .where(
            DividendRun.status != "draft",
            DividendRun.currency == currency,
            DividendRun.period_end < period_start,
        )
        .order_by(DividendRun.period_end.desc(), DividendRun.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return int(carried or 0)
