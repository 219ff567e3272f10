"""The ledger's services on SQLite and PostgreSQL, its admin pages, CSV files and API."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.database import unit_of_work, utcnow
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.ledger import core, reports, services
from marketplace.ledger.core import (
    LICENCE_REVENUE,
    PAYMENT_FEES,
    ROYALTIES_PAYABLE,
    STRIPE_CLEARING,
    AccountRef,
    SaleItem,
)
from marketplace.ledger.models import JournalEntry, JournalLine
from tests.fixtures.factories import Factory, unique_email
from tests.fixtures.web import AuthActions, api_token


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def ledger_app(request: pytest.FixtureRequest) -> Flask:
    app: Flask = request.getfixturevalue("app" if request.param == "sqlite" else "services_app")
    return app


def new_member() -> int:
    user = Factory().member(unique_email("artist"))
    assert user.member is not None
    return int(user.member.id)


def key(kind: str) -> str:
    return f"{kind}:test_{uuid.uuid4().hex}"


def entry_count() -> int:
    return int(db.session.execute(sa.select(sa.func.count(JournalEntry.id))).scalar_one())


def sell(order_id: int, items: list[SaleItem], fee: int = 100) -> str:
    sale_key = key("sale")
    with unit_of_work() as session:
        entry = services.post_sale(
            session,
            idempotency_key=sale_key,
            order_id=order_id,
            currency="USD",
            items=items,
            fee_cents=fee,
        )
        assert entry is not None
    return sale_key


def test_a_sale_credits_each_member_and_the_books_balance(ledger_app: Flask) -> None:
    alice, bob = new_member(), new_member()
    sell(9001, [SaleItem(1, alice, 4500, 5000), SaleItem(2, bob, 1999, 7500)], fee=218)
    session = db.session()
    assert services.member_balance(session, alice, "USD") == 2250
    assert services.member_balance(session, bob, "USD") == 1499
    assert services.member_balance(session, new_member(), "USD") == 0
    balance = services.trial_balance(session, "USD")
    assert balance.balanced
    codes = {row.code for row in balance.rows}
    assert {STRIPE_CLEARING, PAYMENT_FEES, LICENCE_REVENUE, ROYALTIES_PAYABLE} <= codes
    fees = services.find_account(session, PAYMENT_FEES)
    assert fees is not None
    assert services.account_balance(session, fees.id, "USD") >= 218


def test_replaying_an_event_posts_nothing(ledger_app: Flask) -> None:
    member = new_member()
    items = [SaleItem(1, member, 1500, 5000)]
    sale_key = sell(9002, items)
    before = entry_count()
    with unit_of_work() as session:
        again = services.post_sale(
            session,
            idempotency_key=sale_key,
            order_id=9002,
            currency="USD",
            items=items,
            fee_cents=100,
        )
    assert again is None
    assert entry_count() == before
    assert services.member_balance(db.session(), member, "USD") == 750


def test_an_unbalanced_draft_is_refused_and_nothing_is_posted(ledger_app: Flask) -> None:
    before = entry_count()
    draft = core.EntryDraft(
        key("manual"),
        "Wrong",
        "USD",
        (
            core.debit(AccountRef(STRIPE_CLEARING), 100),
            core.credit(AccountRef(LICENCE_REVENUE), 99),
        ),
    )
    with pytest.raises(core.UnbalancedEntry), unit_of_work() as session:
        services.post(session, draft)
    assert entry_count() == before


def test_posting_belongs_to_the_callers_transaction(ledger_app: Flask) -> None:
    member = new_member()
    before = entry_count()

    def sale_then_failure() -> None:
        with unit_of_work() as session:
            services.post_sale(
                session,
                idempotency_key=key("sale"),
                order_id=9003,
                currency="USD",
                items=[SaleItem(1, member, 1000, 5000)],
                fee_cents=50,
            )
            raise RuntimeError("the order could not be saved")

    with pytest.raises(RuntimeError):
        sale_then_failure()
    assert entry_count() == before
    assert services.member_balance(db.session(), member, "USD") == 0


def test_a_refund_of_paid_out_royalties_leaves_the_member_owing(ledger_app: Flask) -> None:
    member = new_member()
    items = [SaleItem(1, member, 4500, 7500), SaleItem(2, member, 1500, 5000)]
    sell(9004, items)
    with unit_of_work() as session:
        payout = core.transfer_entry(
            key("payout"),
            "Royalties paid out",
            "USD",
            AccountRef(ROYALTIES_PAYABLE, member),
            AccountRef(STRIPE_CLEARING),
            3375 + 750,
            "royalty_payout",
        )
        assert services.post(session, payout) is not None
    assert services.member_balance(db.session(), member, "USD") == 0
    refund_key = key("refund")
    with unit_of_work() as session:
        services.post_refund(
            session, idempotency_key=refund_key, order_id=9004, currency="USD", items=items[:1]
        )
    assert services.member_balance(db.session(), member, "USD") == -3375
    with unit_of_work() as session:
        assert (
            services.post_chargeback(
                session,
                idempotency_key=refund_key,
                order_id=9004,
                currency="USD",
                items=items[1:],
                dispute_fee_cents=1500,
            )
            is None
        )
    with unit_of_work() as session:
        services.post_chargeback(
            session,
            idempotency_key=key("chargeback"),
            order_id=9004,
            currency="USD",
            items=items[1:],
            dispute_fee_cents=1500,
        )
    assert services.member_balance(db.session(), member, "USD") == -3375 - 750
    assert services.trial_balance(db.session(), "USD").balanced


def test_a_reversal_corrects_an_entry(ledger_app: Flask) -> None:
    member = new_member()
    sale_key = sell(9005, [SaleItem(1, member, 2000, 5000)])
    entry = services.entry_for_key(db.session(), sale_key)
    assert entry is not None
    with unit_of_work() as session:
        undo = services.post_reversal(session, entry.id, key("reversal"), "Posted in error")
        assert undo is not None
        assert undo.reverses_entry_id == entry.id
    assert services.member_balance(db.session(), member, "USD") == 0


def test_statement_shows_running_balances(ledger_app: Flask) -> None:
    member = new_member()
    sell(9006, [SaleItem(1, member, 1000, 5000)])
    sell(9007, [SaleItem(1, member, 3000, 5000)])
    with unit_of_work() as session:
        services.post_refund(
            session,
            idempotency_key=key("refund"),
            order_id=9006,
            currency="USD",
            items=[SaleItem(1, member, 1000, 5000)],
        )
    session = db.session()
    account = services.find_account(session, ROYALTIES_PAYABLE, member)
    assert account is not None
    statement = services.account_statement(session, account, "USD")
    lines = statement.lines.items
    assert [(line.credit_cents, line.debit_cents) for line in lines] == [
        (500, 0),
        (1500, 0),
        (0, 500),
    ]
    assert [line.balance_cents for line in lines] == [500, 2000, 1500]
    assert statement.closing_balance_cents == 1500
    assert statement.opening_balance_cents == 0
    page_two = services.account_statement(session, account, "USD", page=2, per_page=2)
    assert [line.balance_cents for line in page_two.lines.items] == [1500]
    tomorrow = (utcnow() + timedelta(days=1)).date()
    later = services.account_statement(session, account, "USD", date_from=tomorrow)
    assert later.lines.items == []
    assert later.opening_balance_cents == 1500
    rows = list(csv.reader(io.StringIO("".join(services.statement_csv(session, account, "USD")))))
    assert rows[0][-1] == "balance"
    assert [row[-1] for row in rows[1:]] == ["5.00", "20.00", "15.00"]


def test_journal_filters(ledger_app: Flask) -> None:
    member = new_member()
    order_id = 900_000 + uuid.uuid4().int % 99_999
    sell(order_id, [SaleItem(1, member, 1000, 5000)])
    with unit_of_work() as session:
        services.post_refund(
            session,
            idempotency_key=key("refund"),
            order_id=order_id,
            currency="USD",
            items=[SaleItem(1, member, 1000, 5000)],
        )
    session = db.session()
    by_order = services.journal(session, reports.JournalFilters(order_id=order_id), 1, 50)
    assert [e.kind for e in by_order.items] == ["refund", "sale"]
    refunds = services.journal(
        session, reports.JournalFilters(order_id=order_id, kind="refund"), 1, 50
    )
    assert [e.kind for e in refunds.items] == ["refund"]
    account = services.find_account(session, ROYALTIES_PAYABLE, member)
    assert account is not None
    mine = services.journal(session, reports.JournalFilters(account_id=account.id), 1, 50)
    assert mine.total == 2
    today = utcnow().date()
    assert (
        services.journal(
            session,
            reports.JournalFilters(order_id=order_id, date_from=today, date_to=today),
            1,
            50,
        ).total
        == 2
    )
    past = today - timedelta(days=3)
    assert (
        services.journal(
            session, reports.JournalFilters(order_id=order_id, date_to=past), 1, 50
        ).total
        == 0
    )
    text = "".join(services.journal_csv(session, reports.JournalFilters(order_id=order_id)))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == sum(len(e.lines) for e in by_order.items)
    debits = sum(float(r["debit"] or 0) for r in rows)
    credits = sum(float(r["credit"] or 0) for r in rows)
    assert debits == pytest.approx(credits)


def test_journal_filters_from_a_query_string() -> None:
    filters = reports.journal_filters(
        {
            "date_from": "2026-01-01",
            "date_to": "2026-01-31",
            "account": "3",
            "order": "",
            "kind": "sale",
        }
    )
    assert filters == reports.JournalFilters(
        date_from=filters.date_from, date_to=filters.date_to, account_id=3, kind="sale"
    )
    for bad in (
        {"date_from": "yesterday"},
        {"account": "x"},
        {"date_from": "2026-02-01", "date_to": "2026-01-01"},
    ):
        with pytest.raises(InvalidInput):
            reports.journal_filters(bad)


def test_posted_lines_cannot_be_changed(ledger_app: Flask) -> None:
    sell(9008, [SaleItem(1, new_member(), 1000, 5000)])
    line_id = db.session.execute(sa.select(sa.func.max(JournalLine.id))).scalar_one()
    db.session.rollback()
    for statement in (
        "UPDATE journal_lines SET amount_cents = 1 WHERE id = :id",
        "DELETE FROM journal_lines WHERE id = :id",
        "UPDATE journal_entries SET description = 'changed'",
        "DELETE FROM journal_entries",
    ):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), unit_of_work() as session:
            session.execute(sa.text(statement), {"id": line_id})


def test_a_shared_account_exists_once(ledger_app: Flask) -> None:
    with pytest.raises(sa.exc.IntegrityError), unit_of_work() as session:
        session.execute(
            sa.text(
                "INSERT INTO ledger_accounts (code, name, type, created_at)"
                " VALUES ('1100', 'Again', 'asset', CURRENT_TIMESTAMP)"
            )
        )
    member = new_member()
    first = services.get_or_create_account(db.session(), AccountRef(ROYALTIES_PAYABLE, member))
    second = services.get_or_create_account(db.session(), AccountRef(ROYALTIES_PAYABLE, member))
    assert first.id == second.id
    db.session.rollback()


ADMIN_PAGES = [
    "/admin/ledger/",
    "/admin/ledger/trial-balance.csv",
    "/admin/ledger/journal",
    "/admin/ledger/journal?kind=sale&date_from=2020-01-01&date_to=2099-01-01",
    "/admin/ledger/journal.csv",
]


def test_ledger_pages_are_for_admins_only(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    factory.member("member@example.org")
    auth.login("member@example.org")
    for page in [*ADMIN_PAGES, "/admin/ledger/accounts/1"]:
        assert client.get(page).status_code == 403, page
    auth.logout()
    for page in [*ADMIN_PAGES, "/admin/ledger/accounts/1"]:
        response = client.get(page)
        assert response.status_code == 302, page
        assert "/login" in response.headers["Location"], page


def test_ledger_pages_render_for_admins(
    app: Flask, client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    member = new_member()
    sell(9009, [SaleItem(1, member, 4500, 5000)], fee=161)
    factory.admin("keeper@example.org")
    auth.login("keeper@example.org")
    for page in ADMIN_PAGES:
        assert client.get(page).status_code == 200, page
    overview = client.get("/admin/ledger/").get_data(as_text=True)
    assert "Stripe clearing" in overview
    assert "Balanced" in overview
    assert "$45.00" in overview
    account = services.find_account(db.session(), ROYALTIES_PAYABLE, member)
    assert account is not None
    statement = client.get(f"/admin/ledger/accounts/{account.id}")
    assert statement.status_code == 200
    assert "$22.50" in statement.get_data(as_text=True)
    download = client.get(f"/admin/ledger/accounts/{account.id}/statement.csv")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    assert "22.50" in download.get_data(as_text=True)
    journal = client.get("/admin/ledger/journal?order=9009").get_data(as_text=True)
    assert "Order 9009 paid" in journal
    assert client.get("/admin/ledger/accounts/99999").status_code == 404
    problem = client.get("/admin/ledger/journal?date_from=nonsense")
    assert problem.status_code == 200
    assert "must be a date" in problem.get_data(as_text=True)
    assert "/admin/ledger/" in client.get("/admin/").get_data(as_text=True)


def test_trial_balance_csv_totals_agree(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    sell(9010, [SaleItem(1, new_member(), 999, 7500)], fee=59)
    factory.admin("keeper@example.org")
    auth.login("keeper@example.org")
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/admin/ledger/trial-balance.csv").get_data(as_text=True))
        )
    )
    total = rows[-1]
    assert total["account"] == "Total"
    assert total["debit"] == total["credit"] == "9.99"


def test_trial_balance_api(ledger_app: Flask) -> None:
    sell(9011, [SaleItem(1, new_member(), 2500, 5000)], fee=103)
    client = ledger_app.test_client()
    admin = Factory().admin(unique_email("keeper"))
    response = client.get(
        "/api/v1/admin/ledger/trial-balance", headers=api_token(client, admin.email)
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["currency"] == "USD"
    assert body["total_debits_cents"] == body["total_credits_cents"] > 0
    assert all({"code", "name", "balance_cents"} <= set(a) for a in body["accounts"])
    codes = [a["code"] for a in body["accounts"]]
    assert codes == sorted(codes)
    assert len(codes) == len(set(codes))
    assert (
        client.get(
            "/api/v1/admin/ledger/trial-balance?currency=EURO",
            headers=api_token(client, admin.email),
        ).status_code
        == 422
    )
    buyer = Factory().buyer(unique_email("buyer"))
    refused = client.get(
        "/api/v1/admin/ledger/trial-balance", headers=api_token(client, buyer.email)
    )
    assert refused.status_code == 403
    assert client.get("/api/v1/admin/ledger/trial-balance").status_code == 401
