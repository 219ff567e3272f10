"""Sign-out ends the session on PostgreSQL too: a cookie copied before it no longer signs in."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.fixtures.factories import Factory, unique_email
from tests.fixtures.web import AuthActions

pytestmark = pytest.mark.services


def test_a_cookie_captured_before_sign_out_is_refused(services_app: Flask) -> None:
    client = services_app.test_client()
    email = unique_email("signout")
    Factory().buyer(email)
    assert AuthActions(client).login(email).status_code == 302
    cookie = client.get_cookie("session")
    assert cookie is not None
    captured = cookie.value

    assert AuthActions(client).logout().status_code == 302

    thief = services_app.test_client()
    thief.set_cookie("session", captured)
    replayed = thief.get("/account")
    assert replayed.status_code == 302
    assert "/login" in replayed.headers["Location"]
