"""Which written notices are qualified, and what Form 1099-PATR counts, from the stored runs.

A retained patronage allocation is a qualified written notice (IRC §1388(c)) only when:

* the member consented before the notice was issued (§1388(c)(2)(A); ``membership.consent``);
* it was paid within the payment period, 8½ months after the fiscal year (§1388(c)(1) and
  §1382(d)), or, approved or paid later, an admin recorded why (``late_reason``): a run first
  approved or paid after its deadline without one has nonqualified notices;
* at least 20 % was paid in cash (every run's cash share is at least 20 %; cash still held
  has not been paid, so its notice waits for it: ``core.form_1099_patr``).

Nonqualified notices are not the member's income when issued; their redemption is, in box 5.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.database import utcnow
from marketplace.dividends import core
from marketplace.dividends.models import DividendAllocation, DividendRun, RedemptionLine
from marketplace.dividends.services import dividend
from marketplace.membership.consent import PatronageConsent, consents_by


def deadline_of(run: DividendRun) -> date:
    """The last day to pay and notify the run's allocations (the fiscal year is its period)."""
    return core.payment_deadline(run.period_end)


def on_time(run: DividendRun) -> bool:
    """Approved and paid within the payment period, or late with the admin's reason."""
    return run.past_deadline_on is None or bool(run.late_reason.strip())


def note_deadline(run: DividendRun, today: date, late_reason: str = "") -> None:
    """Record that ``run`` is approved or paid on ``today``: past its deadline, the first such
    day and the admin's reason (the first one given is kept)."""
    if today <= deadline_of(run):
        return
    run.past_deadline_on = run.past_deadline_on or today
    if late_reason.strip() and not run.late_reason.strip():
        run.late_reason = late_reason.strip()[:2000]


def late_notice(run: DividendRun) -> str | None:
    """What the admin must read about a run approved or paid after its payment period."""
    if run.past_deadline_on is None:
        return None
    deadline = deadline_of(run).isoformat()
    if run.late_reason.strip():
        return gettext(
            "Approved or paid after its payment period ended on %(deadline)s; the reason "
            "recorded keeps its notices qualified: %(reason)s",
            deadline=deadline,
            reason=run.late_reason.strip(),
        )
    return gettext(
        "Approved or paid after its payment period ended on %(deadline)s (8½ months after its "
        "fiscal year, IRC §1382(d)): its written notices of allocation are NONQUALIFIED. The "
        "retained parts are not the members' income now and are reported when redeemed "
        "(1099-PATR box 5). If the law allows this run anyway, record the reason.",
        deadline=deadline,
    )


def notice_moment(run: DividendRun) -> datetime:
    """When the run's written notices were issued: when it finished paying (or now)."""
    return run.paid_at or utcnow()


def is_qualified(run: DividendRun, basis: str, consent: PatronageConsent | None) -> bool:
    """Whether an allocation of ``basis`` in ``run`` is a qualified written notice, given the
    member's first consent."""
    if not core.distribution(basis).patronage_dividend or not on_time(run):
        return False
    if consent is None:
        return False
    return _aware(consent.consented_at) <= _aware(notice_moment(run))


def tax_year_of(allocation: DividendAllocation) -> int:
    """The calendar year an allocation counts in for Form 1099-PATR: cash counts when it is
    actually paid (IRC §1385(a), §1388(c)(1)(A)), so paid cash counts in the year it went out
    (held cash paid by other means or by Stripe in a later year included), and its notice with
    it; cash not paid counts in the year its run finished paying (where it is shown as held)."""
    run = allocation.run
    if allocation.status == "paid" and allocation.settled_at is not None:
        return allocation.settled_at.year
    return (run.paid_at or run.approved_at or run.drafted_at).year


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def member_dividends(
    session: Session, allocations: Sequence[DividendAllocation]
) -> list[core.MemberDividend]:
    """The allocations as the core reads them for Form 1099-PATR: basis, cash paid or not,
    notice qualified or not (one query for the members' consents)."""
    consents = consents_by(session, {a.member_id for a in allocations})
    return [
        dividend(a, is_qualified(a.run, a.basis, consents.get(a.member_id))) for a in allocations
    ]


def nonqualified_redemptions(
    session: Session, year: int, currency: str, member_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """What each member's nonqualified notices were redeemed for in ``year`` (paid redemption
    lines settled that year): 1099-PATR box 5."""
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    query = (
        sa.select(RedemptionLine, DividendAllocation)
        .join(DividendAllocation, DividendAllocation.id == RedemptionLine.allocation_id)
        .join(DividendRun, DividendRun.id == DividendAllocation.run_id)
        .where(
            RedemptionLine.status == "paid",
            RedemptionLine.settled_at >= start,
            RedemptionLine.settled_at < end,
            DividendRun.currency == currency,
        )
    )
    if member_ids is not None:
        query = query.where(RedemptionLine.member_id.in_(sorted(set(member_ids))))
    rows = session.execute(query).all()
    consents = consents_by(session, {line.member_id for line, _ in rows})
    totals: dict[int, int] = {}
    for line, allocation in rows:
        # Only patronage dividends are 1099-PATR's: other distributions are reported apart.
        if not core.distribution(allocation.basis).patronage_dividend:
            continue
        if not is_qualified(allocation.run, allocation.basis, consents.get(line.member_id)):
            totals[line.member_id] = totals.get(line.member_id, 0) + line.amount_cents
    return totals
