"""The leaving pages: a member resigns after reading what it does; admins record an expulsion,
see who left and who owes, and write a debt off after a second look at the figures."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.ledger import debts, member_debts
from marketplace.ledger import services as ledger
from marketplace.membership.models import Member
from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions, post_form


def test_a_member_resigns_and_still_reads_their_earnings(app: Flask, auth: AuthActions) -> None:
    artist = Factory().member()
    auth.login(artist.email)
    client = auth.client
    page = client.get("/account/membership/leave").get_data(as_text=True)
    assert "Your work <strong>leaves sale</strong> that day" in page
    unconfirmed = post_form(client, "/account/membership/leave", {"reason": ""})
    assert unconfirmed.status_code == 422
    done = post_form(client, "/account/membership/leave", {"confirm": "y"})
    assert done.status_code == 302
    db.session.expire_all()
    member = db.session.execute(sa.select(Member).where(Member.user_id == artist.id)).scalar_one()
    assert (member.status, member.leaving_kind) == ("resigned", "resigned")
    earnings = client.get("/account/earnings")
    assert earnings.status_code == 200
    assert "You left the co-op on" in earnings.get_data(as_text=True)
    assert client.get("/account/tax/").status_code == 200
    assert client.get("/account/dividends/").status_code == 200
    assert client.get("/account/membership/leave").status_code == 403


def test_an_admin_records_an_expulsion_and_writes_off_a_debt_in_two_steps(
    app: Flask, auth: AuthActions
) -> None:
    admin = Factory().admin()
    artist = Factory().member()
    assert artist.member is not None
    number, m = artist.member.member_number, artist.member.id
    with unit_of_work() as session:
        ledger.post(session, debts.clawback_entry("page-debt", "USD", m, 2_500, "Clawed back"))
    auth.login(admin.email)
    client = auth.client
    page = client.get("/admin/members-leaving").get_data(as_text=True)
    assert "$25.00" in page
    assert "Write off" in page

    refused = post_form(
        client,
        "/admin/members-leaving",
        {"member_number": str(number), "board_decision_ref": "", "reason": "x", "confirm": "y"},
    )
    assert refused.status_code == 422
    expelled = post_form(
        client,
        "/admin/members-leaving",
        {
            "member_number": str(number),
            "board_decision_ref": "Board minutes 2026-11-30, item 4",
            "reason": "Sold work that was not theirs",
            "confirm": "y",
        },
    )
    assert expelled.status_code == 302
    listed = client.get("/admin/members-leaving").get_data(as_text=True)
    assert "Expelled (Board minutes 2026-11-30, item 4)" in listed

    url = f"/admin/members-leaving/{number}/write-off"
    review = post_form(client, url, {"amount_cents": "1000", "reason": "Member cannot be reached"})
    text = review.get_data(as_text=True)
    assert review.status_code == 200
    assert "Confirm the write-off" in text
    assert "Still owed after" in text
    assert "$15.00" in text
    assert member_debts.owed_cents(db.session(), m, "USD") == 2_500  # nothing yet
    confirmed = post_form(
        client,
        url,
        {
            "amount_cents": "1000",
            "reason": "Member cannot be reached",
            "step": "confirm",
            "owed_cents": "2500",
        },
    )
    assert confirmed.status_code == 302
    assert member_debts.owed_cents(db.session(), m, "USD") == 1_500
    # The same confirmation sent again finds the debt changed: nothing more is written off.
    post_form(
        client,
        url,
        {
            "amount_cents": "1000",
            "reason": "Member cannot be reached",
            "step": "confirm",
            "owed_cents": "2500",
        },
    )
    assert member_debts.owed_cents(db.session(), m, "USD") == 1_500
