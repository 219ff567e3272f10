"""Admin lists on PostgreSQL past the exact count: about N, the first and last pages exact."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace import pagination
from marketplace.accounts.models import User
from marketplace.admin.services import list_users
from marketplace.extensions import db
from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions

pytestmark = pytest.mark.services


def test_a_long_list_is_estimated_and_its_ends_are_exact(
    services_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = uuid.uuid4().hex[:10]
    people = [Factory().buyer(f"{tag}{n:02}@example.org", f"Reader {n:02}") for n in range(12)]
    db.session.execute(sa.text("ANALYZE users"))
    monkeypatch.setattr(pagination, "EXACT_COUNT_UP_TO", 5)
    first = list_users(1, 4, query_text=tag)
    assert first.total_is_estimate
    assert first.total >= 6  # at least what the bounded count saw
    assert [u.id for u in first.items] == [p.id for p in reversed(people[-4:])]
    last = list_users(first.pages, 4, query_text=tag)
    assert [u.id for u in last.items] == [p.id for p in reversed(people[:4])]
    assert list_users(first.pages + 1, 4, query_text=tag).items == []

    whole = list_users(1, 4)  # unfiltered: the planner's figure for the table
    oldest = db.session.execute(sa.select(sa.func.min(User.id))).scalar_one()
    assert whole.total_is_estimate
    assert list_users(whole.pages, 4).items[-1].id == oldest


def test_the_admin_pages_say_about_past_the_exact_count(
    services_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = Factory().admin(f"ada-{uuid.uuid4().hex[:8]}@example.org")
    for n in range(6):
        Factory().buyer(f"{uuid.uuid4().hex[:8]}@example.org", f"Person {n}")
    db.session.execute(sa.text("ANALYZE users"))
    client = services_app.test_client()
    AuthActions(client).login(admin.email)
    monkeypatch.setattr(pagination, "EXACT_COUNT_UP_TO", 5)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "About " in page
    assert " people" in page
    for path in ("/admin/users?role=member", "/admin/users?role=admin", "/admin/orders",
                 "/admin/ledger/journal", "/admin/orders?page=999999"):  # fmt: skip
        assert client.get(path).status_code == 200, path
    monkeypatch.setattr(pagination, "EXACT_COUNT_UP_TO", 10_000)
    exact = client.get("/admin/users").get_data(as_text=True)
    total = db.session.execute(sa.select(sa.func.count(User.id))).scalar_one()
    if total <= 10_000:
        assert f"{total:,} people" in exact
