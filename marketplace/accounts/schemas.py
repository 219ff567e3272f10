"""How accounts appear in the API."""

from __future__ import annotations

from typing import Any

from marketplace.accounts.models import ApiToken, User
from marketplace.api_support import iso_date, rfc3339
from marketplace.membership.models import membership_of


def user_json(user: User) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "roles": user.roles,
    }
    if user.locale:
        data["locale"] = user.locale  # none chosen: left out, the browser decides
    member = membership_of(user)
    if member is not None:
        data["member"] = {
            "member_number": member.member_number,
            "joined_on": iso_date(member.joined_on),
            "status": member.status,
            "member_class": member.member_class.code,
        }
    return data


def token_json(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.token_prefix,
        "created_at": rfc3339(token.created_at),
        "last_used_at": rfc3339(token.last_used_at),
        "revoked_at": rfc3339(token.revoked_at),
    }
