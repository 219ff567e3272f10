"""The journal's filter lists the co-op's accounts and the members an admin searched for, not
every member's accounts, and the entry kinds from their registry, not from every entry."""

from __future__ import annotations

import re
import uuid

from flask.testing import FlaskClient

from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.ledger import services
from marketplace.ledger.account_choices import MEMBERS_FOUND, journal_account_choices
from marketplace.ledger.core import ROYALTIES_PAYABLE, SaleItem
from marketplace.ledger.kinds import ENTRY_KINDS
from marketplace.membership.models import Member
from tests.fixtures.factories import Factory, unique_email
from tests.fixtures.web import AuthActions

OPTION = re.compile(r'<option value="(\d+)"( selected)?>([^<]+)</option>')


def new_member(name: str) -> Member:
    user = Factory().member(unique_email("artist"))
    user.display_name = name
    db.session.commit()
    assert user.member is not None
    return user.member


def sell(order_id: int, members: list[Member]) -> None:
    items = [SaleItem(n + 1, m.id, 2000, 5000) for n, m in enumerate(members)]
    with unit_of_work() as session:
        services.post_sale(
            session,
            idempotency_key=f"sale:test_{uuid.uuid4().hex}",
            order_id=order_id,
            currency="USD",
            items=items,
            fee_cents=100,
        )


def royalties_account(member: Member) -> int:
    account = services.find_account(db.session(), ROYALTIES_PAYABLE, member.id)
    assert account is not None
    return int(account.id)


def account_options(page: str) -> dict[int, tuple[bool, str]]:
    start = page.index('id="ledger-account"')
    select = page[start : page.index("</select>", start)]
    return {int(i): (bool(chosen), label) for i, chosen, label in OPTION.findall(select)}


def test_members_accounts_are_listed_only_when_searched_or_chosen(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    ada, bo = new_member("Ada Lovelace"), new_member("Bo Diddley")
    sell(7001, [ada, bo])
    ada_account, bo_account = royalties_account(ada), royalties_account(bo)
    factory.admin("keeper@example.org")
    auth.login("keeper@example.org")

    plain = client.get("/admin/ledger/journal").get_data(as_text=True)
    options = account_options(plain)
    assert ada_account not in options
    assert bo_account not in options
    assert any(label.startswith("1100 ") for _, label in options.values()), "shared accounts"
    kinds = re.findall(r'<option value="([a-z_]+)"', plain)
    assert kinds == sorted(ENTRY_KINDS)

    by_name = client.get("/admin/ledger/journal?member=lovel").get_data(as_text=True)
    assert ada_account in account_options(by_name)
    assert bo_account not in account_options(by_name)
    assert "The accounts of the members matching “lovel”" in by_name

    by_number = client.get(f"/admin/ledger/journal?member=%23{bo.member_number}")
    options = account_options(by_number.get_data(as_text=True))
    assert bo_account in options
    assert ada_account not in options

    chosen = client.get(f"/admin/ledger/journal?account={ada_account}").get_data(as_text=True)
    assert account_options(chosen)[ada_account][0], "the chosen account stays chosen"
    assert "Order 7001 paid" in chosen

    nobody = client.get("/admin/ledger/journal?member=zzz%25").get_data(as_text=True)
    assert "No member matches “zzz%”." in nobody


def test_a_search_finds_at_most_a_page_of_members(app: object) -> None:
    members = [new_member(f"Lens maker {n}") for n in range(MEMBERS_FOUND + 3)]
    sell(7002, members)
    choices = journal_account_choices(db.session(), None, "lens maker")
    found = {a.member_id for a in choices.members}
    assert len(found) == MEMBERS_FOUND
    assert found == {m.id for m in members[:MEMBERS_FOUND]}  # lowest member numbers first
    assert all(a.member_id is None for a in choices.shared)
    assert journal_account_choices(db.session(), None, "   ").members == []
