"""OpenAPI paths: accounts, tokens, membership, the member directory and admin users."""

from __future__ import annotations

from typing import Any

from marketplace.openapi_paths import _op, _props

ACCOUNT_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/users": {
        "post": _op(
            "Sign up (as a buyer)",
            auth=None,
            status=201,
            tag="accounts",
            body=_props(
                ["email", "password", "display_name"],
                email="string",
                password="string",
                display_name="string",
            ),
        ),
    },
    "/api/v1/tokens": {
        "post": _op(
            "Create an API token from email and password (rate-limited)",
            auth=None,
            status=201,
            tag="accounts",
            body=_props(["email", "password"], email="string", password="string", name="string"),
        ),
        "get": _op("List the caller's tokens", tag="accounts"),
    },
    "/api/v1/tokens/{token_id}": {
        "delete": _op("Revoke one of the caller's tokens", status=204, tag="accounts")
    },
    "/api/v1/me": {"get": _op("The caller, with roles and membership", tag="accounts")},
    "/api/v1/me/password": {
        "post": _op(
            "Change the caller's password",
            tag="accounts",
            body=_props(
                ["current_password", "new_password"],
                current_password="string",
                new_password="string",
            ),
        ),
    },
    "/api/v1/me/profile": {
        "patch": _op(
            "Edit the caller's public member profile",
            auth="member",
            tag="membership",
            body=_props(
                [], display_name="string", bio="string", location="string", portfolio_url="string"
            ),
        ),
    },
    "/api/v1/password-resets": {
        "post": _op(
            "Email a password-reset link if the address has an account",
            auth=None,
            status=202,
            tag="accounts",
            body=_props(["email"], email="string"),
        ),
    },
    "/api/v1/password-resets/confirm": {
        "post": _op(
            "Set a new password with a reset token",
            auth=None,
            tag="accounts",
            body=_props(["token", "password"], token="string", password="string"),
        ),
    },
    "/api/v1/member-classes": {"get": _op("The member classes", auth=None, tag="membership")},
    "/api/v1/membership/applications": {
        "post": _op(
            "Apply to become a member (JSON, or multipart with 'samples' files)",
            status=201,
            tag="membership",
            body=_props(["statement"], statement="string", portfolio_url="string"),
        ),
        "get": _op("The caller's applications", tag="membership"),
    },
    "/api/v1/membership/applications/{application_id}": {
        "get": _op("One application (its applicant or an admin)", tag="membership"),
    },
    "/api/v1/membership/applications/{application_id}/samples": {
        "post": _op(
            "Add sample images to an open application",
            status=201,
            multipart=True,
            tag="membership",
            body={
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            },
        ),
    },
    "/api/v1/membership/applications/{application_id}/withdraw": {
        "post": _op("Withdraw the caller's open application", tag="membership"),
    },
    "/api/v1/admin/membership/applications": {
        "get": _op("The review queue, oldest first (?status=pending)", auth="admin", tag="admin"),
    },
    "/api/v1/admin/membership/applications/{application_id}/decision": {
        "post": _op(
            "Approve or reject an application",
            auth="admin",
            tag="admin",
            body={
                **_props(["decision"], decision="string", reason="string", member_class="string")
            },
        ),
    },
    "/api/v1/members": {"get": _op("The member directory", auth=None, tag="membership")},
    "/api/v1/members/{member_number}": {
        "get": _op("A member's public profile", auth=None, tag="membership")
    },
    "/api/v1/admin/users": {
        "get": _op("People with accounts (?q=&role=)", auth="admin", tag="admin")
    },
    "/api/v1/admin/users/{user_id}/roles/admin": {
        "put": _op("Grant the admin role to a member", auth="admin", tag="admin"),
        "delete": _op("Revoke the admin role", auth="admin", tag="admin"),
    },
    "/api/v1/admin/audit-log": {
        "get": _op("The audit log, newest first", auth="admin", tag="admin")
    },
    "/api/v1/openapi.json": {"get": _op("This description", auth=None, tag="meta")},
}
