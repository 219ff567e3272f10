"""Numbers no id or page can be, on PostgreSQL: where 2147483648 fails (an ``integer`` column
holds at most 2147483647; SQLite takes it), so only this tier proves those requests are a 4xx."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.fixtures.route_walk import (
    json_ids_not_refused,
    server_errors_on_bad_page_args,
    server_errors_on_out_of_range_ids,
    visitors,
)

pytestmark = pytest.mark.services


def test_no_route_answers_500_for_an_id_out_of_range(services_app: Flask) -> None:
    failures = server_errors_on_out_of_range_ids(services_app)
    assert not failures, "\n".join(failures)


def test_no_page_answers_500_for_a_bad_page_argument(services_app: Flask) -> None:
    failures = server_errors_on_bad_page_args(services_app, ["/members/1"])
    assert not failures, "\n".join(failures)


def test_ids_out_of_range_in_json_bodies_are_refused_with_a_message(services_app: Flask) -> None:
    failures = json_ids_not_refused(services_app)
    assert not failures, "\n".join(failures)


def test_the_last_possible_page_is_empty(services_app: Flask) -> None:
    buyer = next(v for v in visitors(services_app) if v.role == "buyer")
    for path in ["/api/v1/search", "/api/v1/members", "/api/v1/orders"]:
        response = buyer.client.get(f"{path}?page=2147483647&per_page=100", headers=buyer.headers)
        assert response.status_code == 200, (path, response.get_json())
        assert response.get_json()["results"] == []
    assert buyer.client.get("/members?page=2147483647").status_code == 200
