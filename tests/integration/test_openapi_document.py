"""The OpenAPI document is valid, and the API refuses the bodies it refuses: unknown fields
(a misspelt field is never read as "left out") and null where null is not allowed."""

from __future__ import annotations

from flask.testing import FlaskClient
from openapi_spec_validator import validate
from openapi_spec_validator.validation.validators import OpenAPIV31SpecValidator

from marketplace.extensions import db
from marketplace.openapi import openapi_document
from marketplace.payments.models import Refund
from tests.fixtures.buying import (
    Buying,
    buying_fixture,  # noqa: F401 - a fixture, found here by pytest as ``buying``
)
from tests.fixtures.factories import Factory
from tests.fixtures.web import api_token


def test_the_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    errors = [error.message for error in OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == []
    validate(document)


def test_every_path_parameter_is_declared_as_a_bounded_id() -> None:
    for path, operations in openapi_document()["paths"].items():
        for method, operation in operations.items():
            declared = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "path"}
            assert set(declared) == {
                part[1:-1] for part in path.split("/") if part.startswith("{")
            }, f"{method} {path}"
            for name, parameter in declared.items():
                assert parameter["required"] is True
                if name != "token":
                    assert parameter["schema"]["maximum"] == 2_147_483_647
            if declared:
                assert "404" in operation["responses"], f"{method} {path}"


def test_every_json_body_is_closed() -> None:
    for path, operations in openapi_document()["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                schema = content["application/json"]["schema"]
                assert schema.get("additionalProperties") is False, f"{method} {path}"


def test_a_misspelt_refund_field_is_refused_and_nothing_is_refunded(buying: Buying) -> None:
    order = buying.bought((buying.photo, "standard", "M"), (buying.other, "standard", "S"))
    first_item = order["items"][0]
    response = buying.client.post(
        f"/api/v1/admin/orders/{order['id']}/refund",
        json={"item_ids": [first_item["id"]]},
        headers=buying.admin_headers,
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "unknown_field"
    assert "item_ids" in error["message"]
    assert error["fields"] == {"item_ids": "Unknown field."}
    assert buying.get(order["id"])["status"] == "paid"
    assert db.session.query(Refund).count() == 0


def test_a_null_display_name_is_refused(client: FlaskClient, factory: Factory) -> None:
    member = factory.member("null-name@example.org")
    headers = api_token(client, "null-name@example.org")
    response = client.patch("/api/v1/me/profile", headers=headers, json={"display_name": None})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"display_name": "Cannot be null."}
    assert client.get("/api/v1/me", headers=headers).get_json()["display_name"] == (
        member.display_name
    )


def test_the_document_says_what_the_code_refuses_about_names(client: FlaskClient) -> None:
    lightbox = openapi_document()["paths"]["/api/v1/lightboxes"]["post"]
    name = lightbox["requestBody"]["content"]["application/json"]["schema"]["properties"]["name"]
    assert name["minLength"] == 1
    profile = openapi_document()["paths"]["/api/v1/me/profile"]["patch"]
    schema = profile["requestBody"]["content"]["application/json"]["schema"]
    assert "null" not in str(schema["properties"]["display_name"].get("type"))


def test_search_refuses_an_infinite_minimum_resolution(client: FlaskClient) -> None:
    # Found by schemathesis: float("1e400") is infinite and round() of it raised a 500.
    response = client.get("/api/v1/search?min_mp=1e400")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"min_mp": "Invalid."}
