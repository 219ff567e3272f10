"""Admin endpoints of the JSON API: people, the admin role, the audit log."""

from __future__ import annotations

from typing import Any

from flask import request

from marketplace.accounts.schemas import user_json
from marketplace.admin import services
from marketplace.api_support import (
    api_blueprint,
    api_user,
    list_response,
    page_args,
    token_required,
)
from marketplace.audit import services as audit

bp = api_blueprint("admin_api", __name__)


@bp.get("/admin/users")
@token_required("admin")
def users() -> dict[str, Any]:
    page, per_page = page_args()
    pagination = services.list_users(
        page, per_page, request.args.get("q", ""), request.args.get("role", "")
    )
    return list_response(pagination, [user_json(u) for u in pagination.items])


@bp.put("/admin/users/<int:user_id>/roles/admin")
@token_required("admin")
def grant_admin(user_id: int) -> dict[str, Any]:
    return user_json(services.set_admin_role(api_user(), user_id, grant=True))


@bp.delete("/admin/users/<int:user_id>/roles/admin")
@token_required("admin")
def revoke_admin(user_id: int) -> dict[str, Any]:
    return user_json(services.set_admin_role(api_user(), user_id, grant=False))


@bp.get("/admin/audit-log")
@token_required("admin")
def audit_log() -> dict[str, Any]:
    page, per_page = page_args()
    pagination = audit.browse(page, per_page, action=request.args.get("action") or None)
    return list_response(pagination, [audit.entry_as_dict(e) for e in pagination.items])
