"""Membership in the JSON API: applying, deciding, classes and member profiles."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext

from marketplace.accounts import services as accounts
from marketplace.accounts.schemas import user_json
from marketplace.api_support import (
    api_blueprint,
    api_user,
    json_body,
    list_response,
    page_args,
    text_field,
    token_required,
)
from marketplace.errors import Forbidden, InvalidInput
from marketplace.membership import services
from marketplace.membership.models import membership_of
from marketplace.membership.schemas import application_json, member_class_json, member_json

bp = api_blueprint("membership_api", __name__)
APPLICATION_STATUSES = ("pending", "approved", "rejected", "withdrawn")


def _uploads(*field_names: str) -> list[services.Upload]:
    return [
        services.Upload(filename=f.filename or "image", stream=f.stream)
        for name in field_names
        for f in request.files.getlist(name)
        if f.filename or f.content_length
    ]


@bp.get("/member-classes")
def member_classes() -> list[dict[str, Any]]:
    return [member_class_json(c) for c in services.list_member_classes()]


@bp.post("/membership/applications")
@token_required()
def submit_application() -> tuple[dict[str, Any], int]:
    # JSON as the contract says; multipart too, so samples can come in the same request.
    if request.mimetype == "multipart/form-data":
        fields: dict[str, Any] = request.form.to_dict()
        uploads = _uploads("samples", "file")
    else:
        fields, uploads = json_body(), []
    application = services.submit_application(
        api_user(),
        text_field(fields, "statement"),
        text_field(fields, "portfolio_url", required=False),
        uploads,
        patronage_consent=fields.get("patronage_consent") in (True, "true", "1"),
    )
    return application_json(application), 201


@bp.get("/membership/applications")
@token_required()
def my_applications() -> dict[str, Any]:
    return {"results": [application_json(a) for a in services.applications_of(api_user())]}


@bp.get("/membership/applications/<int:application_id>")
@token_required()
def get_application(application_id: int) -> dict[str, Any]:
    return application_json(services.get_application_for(api_user(), application_id))


@bp.post("/membership/applications/<int:application_id>/samples")
@token_required()
def add_samples(application_id: int) -> tuple[dict[str, Any], int]:
    if request.mimetype != "multipart/form-data":
        raise InvalidInput(
            gettext("Send the images as multipart/form-data in the field 'file'."),
            code="expected_multipart",
        )
    application = services.add_samples(api_user(), application_id, _uploads("file", "samples"))
    return application_json(application), 201


@bp.post("/membership/applications/<int:application_id>/withdraw")
@token_required()
def withdraw_application(application_id: int) -> dict[str, Any]:
    return application_json(services.withdraw_application(api_user(), application_id))


@bp.get("/admin/membership/applications")
@token_required("admin")
def review_queue() -> dict[str, Any]:
    status = request.args.get("status") or None
    if status is not None and status not in APPLICATION_STATUSES:
        raise InvalidInput(
            gettext(
                "status must be one of %(statuses)s.", statuses=", ".join(APPLICATION_STATUSES)
            ),
            fields={"status": gettext("Invalid.")},
        )
    page, per_page = page_args()
    pagination = services.list_applications(status, page, per_page)
    return list_response(pagination, [application_json(a) for a in pagination.items])


@bp.post("/admin/membership/applications/<int:application_id>/decision")
@token_required("admin")
def decide(application_id: int) -> dict[str, Any]:
    body = json_body()
    application = services.decide_application(
        api_user(),
        application_id,
        text_field(body, "decision"),
        text_field(body, "reason", required=False),
        text_field(body, "member_class", required=False) or None,
    )
    result = application_json(application)
    result["applicant"] = user_json(application.applicant)
    return result


@bp.get("/members")
def members() -> dict[str, Any]:
    page, per_page = page_args()
    pagination = services.list_members(page, per_page, request.args.get("q", ""))
    return list_response(pagination, [member_json(m) for m in pagination.items])


@bp.get("/members/<int:member_number>")
def member(member_number: int) -> dict[str, Any]:
    return member_json(services.get_member(member_number))


@bp.patch("/me/profile")
@token_required()
def update_profile() -> dict[str, Any]:
    """Anyone chooses their language (``locale``); members also edit their public profile."""
    body = json_body()
    user = api_user()
    language = _language_in(body)
    member = membership_of(user)
    if member is None or not user.is_member:
        if language is _UNCHANGED or set(body) != {"locale"}:
            raise Forbidden(gettext("This needs the member role."), code="member_required")
        accounts.choose_language(user, language)
        return user_json(user)
    updated = services.update_profile(
        user,
        text_field(body, "display_name", required=False, default=user.display_name),
        text_field(body, "bio", required=False, default=member.bio),
        text_field(body, "location", required=False, default=member.location),
        text_field(body, "portfolio_url", required=False, default=member.portfolio_url),
    )
    if language is not _UNCHANGED:
        accounts.choose_language(user, language)
    return {**member_json(updated), **({"locale": user.locale} if user.locale else {})}


_UNCHANGED = object()


def _language_in(body: dict[str, Any]) -> Any:
    """The body's ``locale``, checked before anything is stored (None: follow the browser)."""
    if "locale" not in body:
        return _UNCHANGED
    value = body["locale"]
    return None if value is None else accounts.clean_language(text_field(body, "locale"))
