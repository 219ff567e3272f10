"""Numbers no id, page or count can be: a 404 or a 422 that says why, never a 500.

The same walks run on PostgreSQL in tests/integration/services/test_out_of_range_on_postgres.py,
where 2147483648 is the number that fails (SQLite stores it, PostgreSQL's ``integer`` does not).
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from marketplace.extensions import db
from marketplace.membership.models import Member
from tests.fixtures.factories import Factory
from tests.fixtures.route_walk import (
    json_ids_not_refused,
    server_errors_on_bad_page_args,
    server_errors_on_out_of_range_ids,
    visitors,
)
from tests.fixtures.web import AuthActions, api_token

API_LISTS = {
    "buyer": ["/api/v1/search", "/api/v1/members", "/api/v1/lightboxes", "/api/v1/orders"],
    "member": ["/api/v1/me/assets"],
    "admin": [
        "/api/v1/admin/assets",
        "/api/v1/admin/users",
        "/api/v1/admin/audit-log",
        "/api/v1/admin/membership/applications",
    ],
}
PAGES = {
    "buyer": ["/search", "/members", "/lightboxes", "/account/orders"],
    "member": ["/portfolio"],
    "admin": [
        "/admin/applications",
        "/admin/users",
        "/admin/audit",
        "/admin/assets/",
        "/admin/orders",
        "/admin/payments/events",
        "/admin/payouts",
        "/admin/ledger/journal",
    ],
}
# page=2 written with the superscript two and with the Arabic-Indic digit three: Python's
# isdigit() and int() accept them, a page number does not.
BAD_PAGES = ["99999999999999999999", "²", "٣", "0", "-1", "1.5", "abc"]
BAD_PER_PAGES = ["0", "101", "99999999999999999999", "²", "abc"]


def test_no_route_answers_500_for_an_id_out_of_range(app: Flask) -> None:
    failures = server_errors_on_out_of_range_ids(app)
    assert not failures, "\n".join(failures)


def test_an_id_out_of_range_is_not_found(client: FlaskClient, factory: Factory) -> None:
    buyer = factory.buyer()
    headers = api_token(client, buyer.email)
    for path in ["/assets/2147483648", "/members/99999999999999999999", "/assets/٣"]:
        assert client.get(path).status_code == 404, path
    for path in ["/api/v1/members/2147483648", "/api/v1/assets/99999999999999999999"]:
        response = client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"


def test_the_largest_id_is_an_ordinary_unknown_id(client: FlaskClient) -> None:
    assert client.get("/assets/2147483647").status_code == 404
    assert client.get("/api/v1/members/2147483647").status_code == 404


def test_no_page_answers_500_for_a_bad_page_argument(app: Flask) -> None:
    failures = server_errors_on_bad_page_args(app, ["/members/1"])
    assert not failures, "\n".join(failures)


def test_api_lists_refuse_a_bad_page_or_per_page_with_a_message(app: Flask) -> None:
    bad = [("page", page) for page in BAD_PAGES] + [("per_page", n) for n in BAD_PER_PAGES]
    for visitor in visitors(app):
        for path in API_LISTS[visitor.role]:
            for name, value in bad:
                response = visitor.client.get(
                    path, query_string={name: value}, headers=visitor.headers
                )
                assert response.status_code == 422, (path, name, value, response.status_code)
                error = response.get_json()["error"]
                assert f"'{name}' must be a whole number from 1 to" in error["message"], error
                assert set(error["fields"]) == {name}


def test_api_lists_answer_the_last_possible_page_empty_and_an_empty_page_as_the_first(
    app: Flask,
) -> None:
    for visitor in visitors(app):
        for path in API_LISTS[visitor.role]:
            response = visitor.client.get(
                path, query_string={"page": "2147483647"}, headers=visitor.headers
            )
            assert response.status_code == 200, (path, response.get_json())
            assert response.get_json()["results"] == []
            response = visitor.client.get(f"{path}?page=&per_page=", headers=visitor.headers)
            assert (response.status_code, response.get_json()["page"]) == (200, 1), path


def test_list_pages_refuse_a_bad_page_with_a_message(app: Flask) -> None:
    people = visitors(app)
    member_number = db.session.scalars(db.select(Member.member_number)).first()
    for visitor in people:
        paths = PAGES[visitor.role] + (
            [f"/members/{member_number}"] if visitor.role == "buyer" else []
        )
        for path in paths:
            for page in ["99999999999999999999", "²", "٣", "abc"]:
                response = visitor.client.get(path, query_string={"page": page})
                assert response.status_code == 422, (path, page, response.status_code)
                assert "must be a whole number from 1" in response.get_data(as_text=True), path


def test_list_pages_show_a_missing_or_empty_page_as_the_first(
    client: FlaskClient, factory: Factory
) -> None:
    AuthActions(client).login(factory.buyer().email)
    for query in ["", "?page=", "?page=1"]:
        assert client.get(f"/members{query}").status_code == 200, query
        assert client.get(f"/lightboxes{query}").status_code == 200, query


def test_ids_out_of_range_in_json_bodies_are_refused_with_a_message(app: Flask) -> None:
    failures = json_ids_not_refused(app)
    assert not failures, "\n".join(failures)
