"""Numbered pages read from the nearer end give exactly the rows plain offsets give."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.pagination import SelectPagination

from marketplace import pagination
from marketplace.accounts.models import User
from marketplace.admin.services import list_users
from marketplace.extensions import db
from marketplace.pagination import two_way_paginate
from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions


def test_every_page_from_either_end_matches_plain_offsets(app: Flask) -> None:
    for number in range(11):
        Factory().buyer(f"reader{number}@example.org", f"Reader {number}")
    forwards = sa.select(User).order_by(User.id.desc())
    backwards = sa.select(User).order_by(User.id.asc())
    total = db.session.execute(sa.select(sa.func.count(User.id))).scalar_one()
    for per_page in (1, 2, 3, 4, 5, total, total + 3):
        last = -(-total // per_page)
        for page in range(1, last + 2):
            plain = SelectPagination(
                select=forwards, session=db.session(), page=page, per_page=per_page,
                error_out=False,
            )  # fmt: skip
            both = two_way_paginate(forwards, backwards, db.session(), page, per_page)
            assert [u.id for u in both.items] == [u.id for u in plain.items], (per_page, page)
            assert (both.total, both.pages) == (plain.total, plain.pages)


def test_the_admin_lists_show_their_last_page(app: Flask, client: FlaskClient) -> None:
    admin = Factory().admin("ada@example.org")
    people = [Factory().buyer(f"p{n}@example.org", f"Person {n:02}") for n in range(30)]
    newest_first = list_users(1, 25).items + list_users(2, 25).items
    assert [u.id for u in newest_first[:2]] == [people[-1].id, people[-2].id]
    assert len(list_users(2, 25).items) == len(newest_first) - 25
    AuthActions(client).login(admin.email)
    page = client.get("/admin/users?page=2").get_data(as_text=True)
    assert "Person 00" in page
    assert "Person 29" not in page
    for path in ("/admin/orders?page=1", "/admin/orders?page=9", "/admin/ledger/journal?page=3"):
        assert client.get(path).status_code == 200, path


def test_past_the_exact_count_sqlite_still_counts_every_row(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = Factory().admin("ada@example.org")
    people = [Factory().buyer(f"p{n}@example.org", f"Person {n:02}") for n in range(12)]
    monkeypatch.setattr(pagination, "EXACT_COUNT_UP_TO", 5)
    first, last = list_users(1, 5), list_users(3, 5)
    assert (first.total, first.pages, first.total_is_estimate) == (13, 3, False)
    assert [u.id for u in first.items][:2] == [people[-1].id, people[-2].id]
    assert [u.id for u in last.items] == [people[1].id, people[0].id, admin.id]
    AuthActions(client).login(admin.email)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "13 people" in page
    assert "About 13" not in page
