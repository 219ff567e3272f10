"""``GET /api/v1/openapi.json``: the machine-readable description of the API (OpenAPI 3.1).

A test checks that every /api/v1 route is described here and nothing else is.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

bp = Blueprint("openapi", __name__)

_ERROR = {"$ref": "#/components/schemas/Error"}


def _op(
    summary: str,
    *,
    auth: str | None = "token",
    body: dict[str, Any] | None = None,
    status: int = 200,
    multipart: bool = False,
    tag: str,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "tags": [tag],
        "responses": {
            str(status): {"description": "Success"},
            "4XX": {
                "description": "The request cannot be served",
                "content": {"application/json": {"schema": _ERROR}},
            },
        },
    }
    if auth:
        operation["security"] = [{"bearerAuth": []}]
        if auth != "token":
            operation["description"] = f"Needs the {auth} role."
    if body is not None:
        media = "multipart/form-data" if multipart else "application/json"
        operation["requestBody"] = {
            "required": True,
            "content": {media: {"schema": {"type": "object", **body}}},
        }
    return operation


def _props(required: list[str], **types: str) -> dict[str, Any]:
    return {
        "required": required,
        "properties": {name: {"type": kind} for name, kind in types.items()},
    }


PATHS: dict[str, dict[str, Any]] = {
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
    "/api/v1/assets": {
        "post": _op(
            "Upload a photo or video (multipart: file, title, description, keywords, has_people,"
            " has_property); answers 202 while it is processed",
            auth="member",
            status=202,
            multipart=True,
            tag="assets",
            body={
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                    "keywords": {"type": "string", "description": "comma-separated"},
                    "has_people": {"type": "boolean"},
                    "has_property": {"type": "boolean"},
                },
            },
        ),
    },
    "/api/v1/assets/{asset_id}": {
        "get": _op("An asset (unpublished: its member and admins only)", tag="assets"),
        "patch": _op(
            "Edit title, description, keywords, people/property flags",
            auth="member",
            tag="assets",
            body=_props(
                [],
                title="string",
                description="string",
                has_people="boolean",
                has_property="boolean",
            ),
        ),
        "delete": _op("Withdraw from sale (sold licences stay valid)", auth="member", tag="assets"),
    },
    "/api/v1/assets/{asset_id}/releases": {
        "post": _op(
            "Attach a model or property release (multipart: kind, file)",
            auth="member",
            status=201,
            multipart=True,
            tag="assets",
            body={
                "required": ["kind", "file"],
                "properties": {
                    "kind": {"type": "string"},
                    "file": {"type": "string", "format": "binary"},
                },
            },
        ),
    },
    "/api/v1/search": {
        "get": _op(
            'Published work, best match first: ?q= (words AND, "phrases", -exclusions), kind,'
            " orientation (landscape|portrait|square|panoramic), contributor (member number),"
            " people (yes|no), min_mp, added_since (YYYY-MM-DD),"
            " sort (relevance|newest|most_licensed), page, per_page. The newest 5,000 matches"
            " are ranked; past them total is a lower bound or an estimate (total_exact false).",
            auth=None,
            tag="catalogue",
        ),
    },
    "/api/v1/me/assets": {
        "get": _op("The caller's portfolio (?status=)", auth="member", tag="assets")
    },
    "/api/v1/admin/assets": {
        "get": _op("Assets waiting for review, oldest first (?member=)", auth="admin", tag="admin"),
    },
    "/api/v1/admin/assets/{asset_id}/review": {
        "post": _op(
            "Publish or reject an asset",
            auth="admin",
            tag="admin",
            body=_props(["decision"], decision="string", reason="string"),
        ),
    },
    "/api/v1/admin/ledger/trial-balance": {
        "get": _op(
            "The trial balance (?currency=): each account's balance, debit and credit totals equal",
            auth="admin",
            tag="admin",
        ),
    },
    "/api/v1/admin/dividend-runs": {
        "post": _op(
            "Draft a dividend run for a period from the ledger (posts nothing until approved; "
            "cash_pct under 20 is 422; a period overlapping another run is 409)",
            auth="admin",
            status=201,
            tag="dividends",
            body=_props(
                ["period_start", "period_end", "reserve_pct"],
                period_start="string",
                period_end="string",
                operating_costs_cents="integer",
                operating_costs_note="string",
                reserve_pct="number",
                cash_pct="number",
            ),
        ),
        "get": _op("Every dividend run, latest period first", auth="admin", tag="dividends"),
    },
    "/api/v1/admin/dividend-runs/{run_id}": {
        "get": _op(
            "A dividend run: figures, classes, allocations and payment progress",
            auth="admin",
            tag="dividends",
        ),
        "delete": _op(
            "Discard a draft run (an approved or paid run: 409)",
            auth="admin",
            status=204,
            tag="dividends",
        ),
    },
    "/api/v1/admin/dividend-runs/{run_id}/approve": {
        "post": _op(
            "Approve a draft (an admin other than the drafter: 403 for the drafter); posts the "
            "run's ledger entries",
            auth="admin",
            tag="dividends",
        ),
    },
    "/api/v1/admin/dividend-runs/{run_id}/pay": {
        "post": _op(
            "Pay an approved run: one transfer per member, queued; paying twice pays nobody twice",
            auth="admin",
            status=202,
            tag="dividends",
        ),
    },
    "/api/v1/admin/dividend-runs/{run_id}/pay-held": {
        "post": _op(
            "Pay the run's held allocations whose members now have a payout account (once each)",
            auth="admin",
            status=202,
            tag="dividends",
        ),
    },
    "/api/v1/admin/redemptions": {
        "post": _op(
            "Draft a revolving redemption of a year's retained allocations (all, or pct), "
            "oldest year first; posts nothing",
            auth="admin",
            body={
                **_props(["year"], year="integer", pct="number", allow_out_of_order="boolean"),
            },
            status=201,
            tag="dividends",
        ),
        "get": _op("Every redemption, latest first", auth="admin", tag="dividends"),
    },
    "/api/v1/admin/redemptions/{run_id}": {
        "get": _op(
            "A redemption with its lines and payment progress", auth="admin", tag="dividends"
        ),
        "delete": _op(
            "Discard a draft redemption (409 once paid)", auth="admin", status=204, tag="dividends"
        ),
    },
    "/api/v1/admin/redemptions/{run_id}/pay": {
        "post": _op(
            "Post a redemption against member capital and pay each line like a dividend "
            "(paying twice pays nobody twice)",
            auth="admin",
            status=202,
            tag="dividends",
        ),
    },
    "/api/v1/me/tax-summary": {
        "get": _op(
            "The caller's royalties and patronage dividends paid in ?year= (1099-PATR flag)",
            tag="taxes",
        ),
    },
    "/api/v1/admin/dividend-runs/{run_id}/allocations.csv": {
        "get": _op("A run's allocations as CSV", auth="admin", tag="dividends"),
    },
    "/api/v1/me/dividend-statements": {
        "get": _op(
            "The caller's dividend statements, one per paid run (with 1099-PATR figures)",
            tag="dividends",
        ),
    },
    "/api/v1/lightboxes": {
        "post": _op(
            "Create a lightbox (a private, saved collection)",
            status=201,
            tag="lightboxes",
            body=_props(["name"], name="string"),
        ),
        "get": _op(
            "The caller's lightboxes, last changed first (page, per_page)", tag="lightboxes"
        ),
    },
    "/api/v1/lightboxes/{lightbox_id}": {
        "get": _op("One of the caller's lightboxes with its items in order", tag="lightboxes"),
        "patch": _op("Rename a lightbox", tag="lightboxes", body=_props(["name"], name="string")),
        "delete": _op("Delete a lightbox and its share link", status=204, tag="lightboxes"),
    },
    "/api/v1/lightboxes/{lightbox_id}/items": {
        "post": _op(
            "Save an asset for sale to the end of a lightbox: 201, or 200 if it is already there",
            status=201,
            tag="lightboxes",
            body=_props(["asset_id"], asset_id="integer"),
        ),
    },
    "/api/v1/lightboxes/{lightbox_id}/items/{asset_id}": {
        "delete": _op("Remove an asset from a lightbox", status=204, tag="lightboxes"),
    },
    "/api/v1/lightboxes/{lightbox_id}/order": {
        "put": _op(
            "Reorder: every asset id of the lightbox once, in the new order",
            tag="lightboxes",
            body={
                "required": ["asset_ids"],
                "properties": {"asset_ids": {"type": "array", "items": {"type": "integer"}}},
            },
        ),
    },
    "/api/v1/lightboxes/{lightbox_id}/share": {
        "post": _op(
            "Share read-only by link: answers share_url (the same link until unshared)",
            tag="lightboxes",
        ),
        "delete": _op("Stop sharing: the link stops working", tag="lightboxes"),
    },
    "/api/v1/shared-lightboxes/{token}": {
        "get": _op(
            "A shared lightbox, read-only, with only the work still for sale",
            auth=None,
            tag="lightboxes",
        ),
    },
    "/api/v1/orders": {
        "post": _op(
            "Order licences: {items: [{asset_id, licence, size}]}; prices from the server's table."
            " 409 already_licensed when the buyer holds a licence that covers one",
            body=_props(["items"], items="array"),
            status=201,
            tag="orders",
        ),
        "get": _op("The caller's orders, newest first", tag="orders"),
    },
    "/api/v1/orders/{order_id}": {
        "get": _op(
            "An order (its buyer or an admin), with its items and licences (download_url)",
            tag="orders",
        ),
    },
    "/api/v1/orders/{order_id}/payment": {
        "post": _op(
            "Pay with a Stripe PaymentMethod {payment_method: pm_...}: the server creates and"
            " confirms the PaymentIntent; status processing|requires_action|failed",
            body=_props(["payment_method"], payment_method="string"),
            tag="orders",
        ),
    },
    "/api/v1/orders/{order_id}/payment/confirm": {
        "post": _op(
            "After 3-D Secure in the page (stripe.handleCardAction): the server confirms the"
            " PaymentIntent when Stripe waits for it; the same answer as /payment",
            tag="orders",
        ),
    },
    "/api/v1/cart": {"get": _op("The caller's cart", tag="orders")},
    "/api/v1/cart/items": {
        "post": _op(
            "Put an asset in the cart {asset_id, licence, size} (or change its licence and size)",
            body=_props(
                ["asset_id", "licence", "size"], asset_id="integer", licence="string", size="string"
            ),
            status=201,
            tag="orders",
        ),
    },
    "/api/v1/cart/items/{asset_id}": {
        "delete": _op("Take an asset out of the cart", status=204, tag="orders"),
    },
    "/api/v1/cart/checkout": {
        "post": _op(
            "An order from everything in the cart, which empties it", status=201, tag="orders"
        ),
    },
    "/api/v1/admin/orders/{order_id}/refund": {
        "post": _op(
            "Refund items {items: [item_id, ...]} (all that are left when omitted); 202, the"
            " order changes once Stripe confirms",
            auth="admin",
            body=_props([], items="array"),
            status=202,
            tag="admin",
        ),
    },
    "/api/v1/me/earnings": {
        "get": _op(
            "The member's earnings: {currency, royalties_earned_cents, royalties_paid_cents,"
            " royalties_due_cents, dividends_cash_paid_cents, capital_account_cents, sales}",
            auth="member",
            tag="payouts",
        ),
    },
    "/api/v1/me/payout-account": {
        "post": _op(
            "Start (or resume) Stripe Connect onboarding of the member's payout account:"
            " {onboarding_url}",
            auth="member",
            tag="payouts",
        ),
    },
    "/api/v1/admin/royalty-payouts": {
        "post": _op(
            "Pay every member whose royalties due reach the threshold, by Stripe transfer:"
            " 202 {id, status}; while a run is open, the open run",
            auth="admin",
            status=202,
            tag="admin",
        ),
    },
    "/api/v1/admin/royalty-payouts/{run_id}": {
        "get": _op(
            "A payout run: {id, status, lines: [{member_id, amount_cents, status,"
            " stripe_transfer_id, failure_reason}]}",
            auth="admin",
            tag="admin",
        ),
    },
    "/api/v1/licences/catalogue": {
        "get": _op(
            "The licence kinds on offer: what each permits, the sizes, the price table "
            "(cents, per asset kind and size) and the contributor's royalty rate",
            auth=None,
            tag="licences",
        ),
    },
    "/api/v1/licences/{licence_id}/download": {
        "get": _op(
            "The licensed original: 302 to a signed address that expires in minutes "
            "(the holder only; others 404; a refunded or disputed licence 410)",
            status=302,
            tag="licences",
        ),
    },
    "/api/v1/licences/{licence_id}/certificate": {
        "get": _op(
            "The licence certificate (PDF) with its verification address (the holder or an admin)",
            tag="licences",
        ),
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Co-op Stock API", "version": "1"},
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        }
                    },
                }
            },
        },
    }


@bp.get("/api/v1/openapi.json")
def openapi_json() -> dict[str, Any]:
    return openapi_document()
