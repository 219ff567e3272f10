"""OpenAPI paths: accounts, tokens, membership, the member directory and admin users."""

from __future__ import annotations

from typing import Any

from marketplace.i18n.languages import LANGUAGES
from marketplace.openapi_paths import (
    DAY,
    NON_BLANK,
    PAGE,
    TEXT,
    TIME,
    Schema,
    _op,
    _props,
    obj,
    page_of,
    query,
    results,
)

ROLE: Schema = {"type": "string", "enum": ["buyer", "member", "admin"]}
# The language an account chose (null: its browser's Accept-Language decides).
LOCALE: Schema = {"type": ["string", "null"], "enum": [*LANGUAGES, None]}
USER: Schema = obj(
    ["id", "email", "display_name", "roles"],
    id={"type": "integer"},
    email=TEXT,
    display_name=TEXT,
    roles={"type": "array", "items": ROLE},
    locale=LOCALE,
    member=obj(
        ["member_number", "joined_on", "status", "member_class"],
        member_number={"type": "integer"},
        joined_on=DAY,
        status=TEXT,
        member_class=TEXT,
    ),
)
TOKEN: Schema = obj(
    ["id", "name", "prefix", "created_at"],
    id={"type": "integer"},
    name=TEXT,
    prefix=TEXT,
    created_at=TIME,
    last_used_at=TIME,
    revoked_at=TIME,
)
APPLICATION_STATUS: Schema = {
    "type": "string",
    "enum": ["pending", "approved", "rejected", "withdrawn"],
}
APPLICATION: Schema = obj(["id", "status"], id={"type": "integer"}, status=APPLICATION_STATUS)
MEMBER: Schema = obj(["member_number", "display_name"], member_number={"type": "integer"})
_FILE: Schema = {"type": "string", "format": "binary"}

ACCOUNT_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/users": {
        "post": _op(
            "Sign up (as a buyer)",
            auth=None,
            status=201,
            tag="accounts",
            body=_props(
                ["email", "password", "display_name"],
                email=NON_BLANK,
                password={"type": "string", "minLength": 10},
                display_name=NON_BLANK,
            ),
            returns=USER,
            errors=(409, 429),
        ),
    },
    "/api/v1/tokens": {
        "post": _op(
            "Create an API token from email and password (rate-limited)",
            auth=None,
            status=201,
            tag="accounts",
            body=_props(["email", "password"], email=TEXT, password=TEXT, name=TEXT),
            returns=obj(["token", "id", "user"], token=TEXT, id={"type": "integer"}, user=USER),
            errors=(401, 429),
        ),
        "get": _op("List the caller's tokens", tag="accounts", returns=results(TOKEN)),
    },
    "/api/v1/tokens/{token_id}": {
        "delete": _op("Revoke one of the caller's tokens", status=204, tag="accounts")
    },
    "/api/v1/me": {
        "get": _op("The caller, with roles and membership", tag="accounts", returns=USER)
    },
    "/api/v1/me/password": {
        "post": _op(
            "Change the caller's password",
            tag="accounts",
            body=_props(
                ["current_password", "new_password"],
                current_password=TEXT,
                new_password={"type": "string", "minLength": 10},
            ),
            returns=USER,
        ),
    },
    "/api/v1/me/profile": {
        "patch": _op(
            "Choose the caller's language (locale, anyone) and edit their public member profile"
            " (the other fields, members only); fields left out stay as they are. A member gets"
            " their profile back, anyone else their account",
            tag="membership",
            body=_props(
                [],
                display_name=NON_BLANK,
                bio=TEXT,
                location=TEXT,
                portfolio_url=TEXT,
                locale=LOCALE,
            ),
            returns={"anyOf": [MEMBER, USER]},
            errors=(403,),
        ),
    },
    "/api/v1/password-resets": {
        "post": _op(
            "Email a password-reset link if the address has an account",
            auth=None,
            status=202,
            tag="accounts",
            body=_props(["email"], email=TEXT),
            returns=obj(["status"], status={"const": "sent_if_account_exists"}),
            errors=(429,),
        ),
    },
    "/api/v1/password-resets/confirm": {
        "post": _op(
            "Set a new password with a reset token",
            auth=None,
            tag="accounts",
            body=_props(
                ["token", "password"], token=NON_BLANK, password={"type": "string", "minLength": 10}
            ),
            returns=USER,
            errors=(410,),
        ),
    },
    "/api/v1/member-classes": {
        "get": _op(
            "The member classes, with each one's dividend share (dividend_share_pct, of the "
            "pool) and basis (equal, service_years, patronage); their history is at "
            "/api/v1/member-classes/policy-history",
            auth=None,
            tag="membership",
            returns={
                "type": "array",
                "items": obj(
                    ["code", "name", "description"],
                    code=TEXT,
                    name=TEXT,
                    dividend_share_pct={"type": "string"},
                    dividend_basis={"enum": ["equal", "service_years", "patronage"]},
                ),
            },
        )
    },
    "/api/v1/membership/applications": {
        "post": _op(
            "Apply to become a member (JSON, or multipart with 'samples' files); one open"
            " application at a time (409)",
            status=201,
            tag="membership",
            body=_props(
                ["statement"],
                statement=NON_BLANK,
                portfolio_url=TEXT,
                # Consent to the member agreement's clause on patronage allocations.
                patronage_consent={"type": "boolean"},
            ),
            returns=APPLICATION,
            errors=(409,),
        ),
        "get": _op("The caller's applications", tag="membership", returns=results(APPLICATION)),
    },
    "/api/v1/membership/applications/{application_id}": {
        "get": _op(
            "One application (its applicant or an admin)", tag="membership", returns=APPLICATION
        ),
    },
    "/api/v1/membership/applications/{application_id}/samples": {
        "post": _op(
            "Add sample images to an open application",
            status=201,
            multipart=True,
            tag="membership",
            body={"required": ["file"], "properties": {"file": _FILE, "samples": _FILE}},
            returns=APPLICATION,
            errors=(403, 409),
        ),
    },
    "/api/v1/membership/applications/{application_id}/withdraw": {
        "post": _op(
            "Withdraw the caller's open application",
            tag="membership",
            returns=APPLICATION,
            errors=(403, 409),
        ),
    },
    "/api/v1/admin/membership/applications": {
        "get": _op(
            "The review queue, oldest first",
            auth="admin",
            tag="admin",
            params=[query("status", APPLICATION_STATUS), *PAGE],
            returns=page_of(APPLICATION),
        ),
    },
    "/api/v1/admin/membership/applications/{application_id}/decision": {
        "post": _op(
            "Approve or reject an application",
            auth="admin",
            tag="admin",
            body=_props(
                ["decision"],
                decision={"type": "string", "enum": ["approve", "reject"]},
                reason=TEXT,
                member_class=TEXT,
            ),
            returns=APPLICATION,
            errors=(409,),
        ),
    },
    "/api/v1/members": {
        "get": _op(
            "The member directory",
            auth=None,
            tag="membership",
            params=[query("q"), *PAGE],
            returns=page_of(MEMBER),
        )
    },
    "/api/v1/members/{member_number}": {
        "get": _op("A member's public profile", auth=None, tag="membership", returns=MEMBER)
    },
    "/api/v1/admin/users": {
        "get": _op(
            "People with accounts",
            auth="admin",
            tag="admin",
            params=[query("q"), query("role"), *PAGE],
            returns=page_of(USER),
        )
    },
    "/api/v1/admin/users/{user_id}/roles/admin": {
        "put": _op(
            "Grant the admin role to a member",
            auth="admin",
            tag="admin",
            returns=USER,
            errors=(409, 422),
        ),
        "delete": _op(
            "Revoke the admin role", auth="admin", tag="admin", returns=USER, errors=(409, 422)
        ),
    },
    "/api/v1/admin/audit-log": {
        "get": _op(
            "The audit log, newest first",
            auth="admin",
            tag="admin",
            params=[query("action"), *PAGE],
            returns=page_of(),
        )
    },
    "/api/v1/openapi.json": {
        "get": _op(
            "This description",
            auth=None,
            tag="meta",
            returns=obj(["openapi", "info", "paths"], openapi={"const": "3.1.0"}),
        )
    },
}
