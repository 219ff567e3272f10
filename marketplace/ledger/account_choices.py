"""The accounts the journal's filter offers: the co-op's own, and members' ones found by search.

A co-op of thousands of members has thousands of per-member accounts (royalties payable,
allocated patronage…); listing them all made every journal page read and render each one.
The filter lists the shared accounts (a few dozen at most), the account already chosen, and
the accounts of the members an admin searched for by number or name (at most
``MEMBERS_FOUND`` members): three small indexed queries, whatever the co-op's size.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.ledger.models import LedgerAccount
from marketplace.membership.models import Member
from marketplace.whole_numbers import parse_whole_number

MEMBERS_FOUND = 20
SEARCH_MAX_LENGTH = 80


@dataclass(frozen=True)
class AccountChoices:
    """What the account filter offers, in the order it shows them."""

    shared: list[LedgerAccount]
    members: list[LedgerAccount]  # the chosen member account and those searched for
    search: str = ""
    found_none: bool = False  # a search was made and matched no member


def _by_code_then_member(accounts: list[LedgerAccount]) -> list[LedgerAccount]:
    return sorted(accounts, key=lambda a: (a.code, a.member.member_number if a.member else 0, a.id))


def _members_matching(session: Session, search: str) -> list[int]:
    """Ids of up to ``MEMBERS_FOUND`` members: the one of that number, or names containing it."""
    number = parse_whole_number(search.lstrip("#"))
    if number is not None:
        condition = Member.member_number == number
    else:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        condition = User.display_name.ilike(f"%{escaped}%", escape="\\")
    return list(
        session.execute(
            sa.select(Member.id)
            .join(User, User.id == Member.user_id)
            .where(condition)
            .order_by(Member.member_number)
            .limit(MEMBERS_FOUND)
        ).scalars()
    )


def journal_account_choices(
    session: Session, chosen_id: int | None, search: str | None
) -> AccountChoices:
    """The shared accounts, then the chosen member account and the searched members' accounts."""
    shared = list(
        session.execute(
            sa.select(LedgerAccount)
            .where(LedgerAccount.member_id.is_(None))
            .order_by(LedgerAccount.code, LedgerAccount.id)
        ).scalars()
    )
    search = (search or "").strip()[:SEARCH_MAX_LENGTH]
    member_ids = _members_matching(session, search) if search else []
    conditions: list[sa.ColumnElement[bool]] = []
    if member_ids:
        conditions.append(LedgerAccount.member_id.in_(member_ids))
    if chosen_id is not None:
        conditions.append(
            sa.and_(LedgerAccount.id == chosen_id, LedgerAccount.member_id.is_not(None))
        )
    members: list[LedgerAccount] = []
    if conditions:
        members = _by_code_then_member(
            list(session.execute(sa.select(LedgerAccount).where(sa.or_(*conditions))).scalars())
        )
    return AccountChoices(
        shared=shared,
        members=members,
        search=search,
        found_none=bool(search) and not member_ids,
    )
