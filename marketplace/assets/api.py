"""Assets in the JSON API: upload, read, edit, withdraw, releases, and the curators' review."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext

from marketplace.api_support import (
    api_blueprint,
    api_user,
    json_body,
    list_response,
    page_args,
    text_field,
    token_required,
)
from marketplace.assets import drafts, services, uploads
from marketplace.assets.schemas import asset_json
from marketplace.errors import AppError, InvalidInput
from marketplace.membership.models import membership_of
from marketplace.membership.services import Upload
from marketplace.whole_numbers import parse_whole_number

bp = api_blueprint("assets_api", __name__)
_TRUE = {"1", "true", "yes", "on"}


def form_flag(name: str) -> bool:
    return request.form.get(name, "").strip().lower() in _TRUE


def json_flag(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise InvalidInput(
        gettext("The field '%(name)s' must be true or false.", name=name),
        fields={name: gettext("Invalid.")},
    )


def uploaded_file(field: str = "file") -> Upload:
    if request.mimetype != "multipart/form-data":
        raise AppError(
            gettext("Send the file as multipart/form-data in the field 'file'."),
            code="expected_multipart",
        )
    file = request.files.get(field)
    if file is None or not (file.filename or file.content_length):
        raise InvalidInput(
            gettext("Attach the file in the field '%(name)s'.", name=field),
            code="missing_field",
            fields={field: gettext("Required.")},
        )
    return Upload(filename=file.filename or "upload", stream=file.stream)


@bp.post("/assets")
@token_required("member")
def upload() -> tuple[dict[str, Any], int]:
    asset = uploads.upload_asset(
        api_user(),
        uploaded_file(),
        title=request.form.get("title", ""),
        description=request.form.get("description", ""),
        keywords=request.form.get("keywords", ""),
        has_people=form_flag("has_people"),
        has_property=form_flag("has_property"),
        language=request.form.get("language") or None,
    )
    return {"id": asset.id, "status": asset.status}, 202


@bp.get("/assets/<int:asset_id>")
@token_required()
def get_asset(asset_id: int) -> dict[str, Any]:
    user = api_user()
    asset = services.get_visible(user, asset_id)
    return asset_json(asset, owner_view=user.is_admin or asset.member.user_id == user.id)


@bp.patch("/assets/<int:asset_id>")
@token_required("member")
def update_asset(asset_id: int) -> dict[str, Any]:
    body = json_body()
    keywords = body.get("keywords")
    if keywords is not None and not isinstance(keywords, str | list):
        raise InvalidInput(
            gettext("keywords is a list of words or one comma-separated string."),
            fields={"keywords": gettext("Invalid.")},
        )
    asset = services.update_details(
        api_user(),
        asset_id,
        title=text_field(body, "title", required=False) if "title" in body else None,
        description=text_field(body, "description", required=False)
        if "description" in body
        else None,
        keywords=keywords,
        has_people=json_flag(body, "has_people"),
        has_property=json_flag(body, "has_property"),
        language=body["language"] if "language" in body else None,
    )
    return asset_json(asset, owner_view=True)


@bp.delete("/assets/<int:asset_id>")
@token_required("member")
def withdraw_asset(asset_id: int) -> dict[str, Any]:
    return asset_json(services.withdraw(api_user(), asset_id), owner_view=True)


@bp.post("/assets/<int:asset_id>/submit")
@token_required("member")
def submit_asset(asset_id: int) -> dict[str, Any]:
    return asset_json(drafts.submit(api_user(), asset_id), owner_view=True)


@bp.post("/assets/<int:asset_id>/releases")
@token_required("member")
def add_release(asset_id: int) -> tuple[dict[str, Any], int]:
    release = uploads.add_release(
        api_user(), asset_id, request.form.get("kind", ""), uploaded_file()
    )
    return asset_json(release.asset, owner_view=True), 201


@bp.get("/me/assets")
@token_required("member")
def my_assets() -> dict[str, Any]:
    page, per_page = page_args()
    member = membership_of(api_user())
    assert member is not None  # noqa: S101 - the member role guarantees it
    pagination = services.portfolio(member, page, per_page, request.args.get("status") or None)
    return list_response(pagination, [asset_json(a, owner_view=True) for a in pagination.items])


@bp.get("/admin/assets")
@token_required("admin")
def review_queue() -> dict[str, Any]:
    page, per_page = page_args()
    member_arg = request.args.get("member", "")
    member = parse_whole_number(member_arg) if member_arg else None
    if member_arg and member is None:
        raise InvalidInput(
            gettext("member is a member number."), fields={"member": gettext("Invalid.")}
        )
    pagination = services.review_queue(page, per_page, member)
    return list_response(pagination, [asset_json(a, owner_view=True) for a in pagination.items])


@bp.post("/admin/assets/<int:asset_id>/review")
@token_required("admin")
def review(asset_id: int) -> dict[str, Any]:
    body = json_body()
    asset = services.review(
        api_user(),
        asset_id,
        text_field(body, "decision"),
        text_field(body, "reason", required=False),
    )
    return asset_json(asset, owner_view=True)
