"""Money a member owes the co-op, in the books: booked when a clawback leaves royalties payable
below 0, set against later payments to the member, written off by an admin with a reason.

The rules are ``ledger.debts`` (pure). Every function here runs inside the caller's
transaction, except ``write_off``, a use case of its own. A member's debt changes under a lock
of their member row, the one royalty payouts take, so a payout and a clawback of the same
member are taken one after the other.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.audit.services import record
from marketplace.database import lock_row, unit_of_work
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.ledger import debts, kinds
from marketplace.ledger import services as ledger
from marketplace.ledger.entries import (
    MEMBER_RECEIVABLES,
    ROYALTIES_PAYABLE,
    format_cents,
)
from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount
from marketplace.membership.models import Member

MIN_REASON_CHARS = 10


def lock_member(session: Session, member_id: int) -> None:
    """Serialise changes to one member's money until the transaction ends (royalty payouts
    take this lock too). Only the id is selected: PostgreSQL refuses FOR UPDATE over the outer
    joins of Member's eager relationships."""
    if session.get_bind().dialect.name == "sqlite":
        lock_row(session, Member, member_id)  # SQLite's lock_row takes the write lock
        return
    session.execute(sa.select(Member.id).where(Member.id == member_id).with_for_update(of=Member))


def owed_cents(session: Session, member_id: int, currency: str) -> int:
    """What the member owes the co-op now: their receivable (1300) balance."""
    return ledger.member_balance(session, member_id, currency, MEMBER_RECEIVABLES)


def owed_by_member(session: Session, currency: str) -> dict[int, int]:
    """Every member who owes something, with what they owe, in one query."""
    signed = sa.case(
        (JournalLine.side == "debit", JournalLine.amount_cents), else_=-JournalLine.amount_cents
    )
    rows = session.execute(
        sa.select(LedgerAccount.member_id, sa.func.coalesce(sa.func.sum(signed), 0))
        .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
        .where(
            LedgerAccount.code == MEMBER_RECEIVABLES,
            LedgerAccount.member_id.is_not(None),
            JournalLine.currency == currency,
        )
        .group_by(LedgerAccount.member_id)
    )
    return {int(member): int(owed) for member, owed in rows if int(owed) > 0}


def book_clawbacks(
    session: Session, member_ids: Iterable[int], currency: str, cause_key: str
) -> int:
    """After a refund or lost dispute (``cause_key``, its entry's key): each member whose
    royalties payable went below 0 owes the shortfall, booked as a receivable. Cents booked."""
    booked = 0
    for member_id in sorted(set(member_ids)):
        lock_member(session, member_id)
        balance = ledger.member_balance(session, member_id, currency, ROYALTIES_PAYABLE)
        shortfall = debts.shortfall_cents(balance)
        if shortfall == 0:
            continue
        entry = ledger.post(
            session,
            debts.clawback_entry(
                f"{kinds.MEMBER_RECEIVABLE}:{cause_key}:{member_id}",
                currency,
                member_id,
                shortfall,
                f"Royalties clawed back after they were paid out ({cause_key}): "
                f"member {member_id} owes {format_cents(shortfall, currency)}",
            ),
        )
        booked += shortfall if entry is not None else 0
    return booked


def offset(
    session: Session,
    member_id: int,
    currency: str,
    source: str,
    payment_cents: int,
    cause_key: str,
    what: str,
) -> int:
    """Keep part of a payment to the member (``source``: royalties, dividends, redemptions)
    against what they owe, as the agreement allows; the cents kept (0 when they owe nothing).
    The caller holds the member's lock and pays ``payment_cents`` less the cents kept."""
    owed = owed_cents(session, member_id, currency)
    kept = debts.offset_cents(owed, payment_cents, source)
    if kept == 0:
        return 0
    entry = ledger.post(
        session,
        debts.offset_entry(
            f"{kinds.RECEIVABLE_OFFSET}:{cause_key}",
            currency,
            member_id,
            source,
            kept,
            f"{format_cents(kept, currency)} of {what} kept against what member {member_id} "
            f"owes the co-op",
        ),
    )
    return kept if entry is not None else 0


def kept_from_royalties(session: Session, member_id: int, currency: str) -> tuple[int, int]:
    """(royalties moved to the debt by clawbacks, royalties kept against it) for the member:
    the earnings page counts both to say what the member really earned."""
    rows = session.execute(
        sa.select(JournalEntry.kind, JournalLine.side, sa.func.sum(JournalLine.amount_cents))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(
            LedgerAccount.code == ROYALTIES_PAYABLE,
            LedgerAccount.member_id == member_id,
            JournalLine.currency == currency,
            JournalEntry.kind.in_((kinds.MEMBER_RECEIVABLE, kinds.RECEIVABLE_OFFSET)),
        )
        .group_by(JournalEntry.kind, JournalLine.side)
    ).all()
    totals = {(kind, side): int(cents) for kind, side, cents in rows}
    return (
        totals.get((kinds.MEMBER_RECEIVABLE, "credit"), 0),
        totals.get((kinds.RECEIVABLE_OFFSET, "debit"), 0),
    )


def _write_offs_of(session: Session, member_id: int) -> int:
    return int(
        session.execute(
            sa.select(sa.func.count(sa.distinct(JournalEntry.id)))
            .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
            .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
            .where(
                JournalEntry.kind == kinds.RECEIVABLE_WRITE_OFF,
                LedgerAccount.code == MEMBER_RECEIVABLES,
                LedgerAccount.member_id == member_id,
            )
        ).scalar_one()
    )


def write_off(
    admin: User,
    member_number: int,
    amount_cents: int,
    reason: str,
    currency: str,
    *,
    expected_owed_cents: int | None = None,
) -> JournalEntry:
    """An admin gives up ``amount_cents`` of what a member owes, with a reason of at least
    ``MIN_REASON_CHARS`` characters. Refused (409) for more than the member owes, and when
    ``expected_owed_cents`` (what the confirmation showed) is no longer what they owe, so a
    confirmation sent twice writes off once. The entry names the reason and the admin."""
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON_CHARS:
        raise InvalidInput(
            gettext(
                "Give the reason for writing this off (%(count)s characters or more).",
                count=MIN_REASON_CHARS,
            ),
            fields={"reason": gettext("Required.")},
        )
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise InvalidInput(
            gettext("Write off a positive number of cents."),
            fields={"amount_cents": gettext("Positive cents.")},
        )
    with unit_of_work() as session:
        member_id = session.execute(
            sa.select(Member.id).where(Member.member_number == member_number)
        ).scalar_one_or_none()
        if member_id is None:
            raise NotFound(gettext("No such member."))
        lock_member(session, member_id)
        owed = owed_cents(session, member_id, currency)
        if amount_cents > owed:
            raise Conflict(
                gettext(
                    "Member %(number)s owes %(owed)s: %(amount)s cannot be written off.",
                    number=member_number,
                    owed=format_cents(owed, currency),
                    amount=format_cents(amount_cents, currency),
                ),
                code="more_than_owed",
            )
        if expected_owed_cents is not None and expected_owed_cents != owed:
            raise Conflict(
                gettext(
                    "Member %(number)s now owes %(owed)s, not the %(expected)s you confirmed: "
                    "nothing was written off. Look at the figures again.",
                    number=member_number,
                    owed=format_cents(owed, currency),
                    expected=format_cents(expected_owed_cents, currency),
                ),
                code="owed_changed",
            )
        number = _write_offs_of(session, member_id) + 1
        key = f"{kinds.RECEIVABLE_WRITE_OFF}:{member_id}:{number}"
        entry = ledger.post(
            session,
            debts.write_off_entry(
                key,
                currency,
                member_id,
                amount_cents,
                f"Debt of member {member_number} written off by {admin.email}: {reason}"[:500],
            ),
            created_by_id=admin.id,
        )
        if entry is None:
            raise Conflict(gettext("This write-off was just recorded."), code="already_written_off")
        record(
            session,
            admin,
            "ledger.receivable_written_off",
            "member",
            member_id,
            f"Wrote off {format_cents(amount_cents, currency)} owed by member {member_number}: "
            f"{reason}",
            {"owed_cents": owed},
            {"owed_cents": owed - amount_cents},
        )
    return entry
