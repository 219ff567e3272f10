"""Accounts in the JSON API: sign-up, tokens, the caller, passwords."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from marketplace.accounts import services
from marketplace.accounts.limits import (
    address_and_account,
    address_limit,
    failed_login,
    login_limit,
)
from marketplace.accounts.schemas import token_json, user_json
from marketplace.api_support import api_blueprint, api_user, json_body, text_field, token_required
from marketplace.errors import InvalidInput
from marketplace.extensions import limiter
from marketplace.i18n import current_language

bp = api_blueprint("accounts_api", __name__)


@bp.post("/users")
def create_user() -> tuple[dict[str, Any], int]:
    body = json_body()
    user = services.sign_up(
        text_field(body, "email"),
        text_field(body, "password"),
        text_field(body, "display_name"),
        locale=current_language(),
    )
    return user_json(user), 201


@bp.post("/tokens")
@limiter.limit(login_limit, key_func=address_and_account, deduct_when=failed_login)
@limiter.limit(address_limit, deduct_when=failed_login)
def create_token() -> tuple[dict[str, Any], int]:
    body = json_body()
    user = services.authenticate(text_field(body, "email"), text_field(body, "password"))
    name = text_field(body, "name", required=False, default="API token")
    token, raw = services.issue_api_token(user, name)
    return {"token": raw, "id": token.id, "user": user_json(user)}, 201


@bp.get("/tokens")
@token_required()
def list_tokens() -> dict[str, Any]:
    tokens = services.list_api_tokens(api_user())
    return {"results": [token_json(t) for t in tokens]}


@bp.delete("/tokens/<int:token_id>")
@token_required()
def revoke_token(token_id: int) -> tuple[str, int]:
    services.revoke_api_token(api_user(), token_id)
    return "", 204


@bp.get("/me")
@token_required()
def me() -> dict[str, Any]:
    return user_json(api_user())


@bp.post("/me/password")
@token_required()
def change_password() -> dict[str, Any]:
    body = json_body()
    user = services.change_password(
        api_user(), text_field(body, "current_password"), text_field(body, "new_password")
    )
    return user_json(user)


@bp.post("/password-resets")
@limiter.limit("10 per hour")
def request_password_reset() -> tuple[dict[str, Any], int]:
    body = json_body()
    services.request_password_reset(text_field(body, "email"))
    # The same answer whether or not the address has an account.
    return {"status": "sent_if_account_exists"}, 202


@bp.post("/password-resets/confirm")
def confirm_password_reset() -> dict[str, Any]:
    body = json_body()
    token, password = text_field(body, "token"), text_field(body, "password")
    if not token.strip():
        raise InvalidInput(
            gettext("The field '%(field)s' is required.", field="token"),
            fields={"token": gettext("Required.")},
        )
    return user_json(services.reset_password(token.strip(), password))
