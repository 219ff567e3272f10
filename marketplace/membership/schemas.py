"""How membership appears in the API."""

from __future__ import annotations

from typing import Any

from flask import url_for

from marketplace.api_support import iso_date, rfc3339
from marketplace.membership.models import Member, MemberClass, MembershipApplication


def member_class_json(member_class: MemberClass) -> dict[str, Any]:
    return {
        "code": member_class.code,
        "name": member_class.name,
        "description": member_class.description,
        # The dividend policy (membership.policy): share of the pool and how it is shared.
        "dividend_share_pct": f"{member_class.dividend_share_bps / 100:.2f}",
        "dividend_basis": member_class.dividend_basis,
    }


def application_json(application: MembershipApplication) -> dict[str, Any]:
    return {
        "id": application.id,
        "status": application.status,
        "statement": application.statement,
        "portfolio_url": application.portfolio_url,
        "applicant": {
            "id": application.applicant.id,
            "display_name": application.applicant.display_name,
            "email": application.applicant.email,
        },
        "submitted_at": rfc3339(application.submitted_at),
        "decided_at": rfc3339(application.decided_at),
        "reason": application.decision_reason or None,
        "member_class": application.member_class.code if application.member_class else None,
        "samples": [
            {
                "id": s.id,
                "filename": s.original_filename,
                "content_type": s.content_type,
                "size_bytes": s.size_bytes,
                "sha256": s.sha256,
            }
            for s in application.samples
        ],
    }


def member_json(member: Member) -> dict[str, Any]:
    return {
        "member_number": member.member_number,
        "display_name": member.display_name,
        "member_class": member.member_class.code,
        "joined_on": iso_date(member.joined_on),
        "bio": member.bio,
        "location": member.location,
        "portfolio_url": member.portfolio_url or None,
        "profile_url": url_for(
            "membership.profile", member_number=member.member_number, _external=True
        ),
    }
