"""Membership: applying to join, the admins' decision, member profiles and classes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO
from urllib.parse import urlparse

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext, lazy_gettext
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.accounts.services import clean_display_name
from marketplace.audit import services as audit
from marketplace.background import enqueue
from marketplace.database import next_in_sequence, unit_of_work, utcnow
from marketplace.errors import Conflict, Forbidden, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.mail import queue_email
from marketplace.membership import consent
from marketplace.membership.letters import language_of
from marketplace.membership.models import (
    ApplicationSample,
    Member,
    MemberClass,
    MembershipApplication,
    membership_of,
)
from marketplace.storage import StorageError, TooLarge, get_storage, sniff_image_type

DEFAULT_MEMBER_CLASS = "artists"
MIN_STATEMENT_CHARS = 20
MAX_STATEMENT_CHARS = 5000


@dataclass(frozen=True)
class Upload:
    """A file as it arrives: a name for people, and a stream read once, in chunks."""

    filename: str
    stream: IO[bytes]


def clean_url(url: str, field: str = "portfolio_url", required: bool = False) -> str:
    url = url.strip()
    if not url:
        if required:
            raise InvalidInput(
                gettext("Give the address of your portfolio."), fields={field: gettext("Required.")}
            )
        return ""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 500:
        message = gettext("Give a web address starting with http:// or https://.")
        raise InvalidInput(message, fields={field: message})
    return url


def _clean_statement(statement: str) -> str:
    statement = statement.strip()
    if not MIN_STATEMENT_CHARS <= len(statement) <= MAX_STATEMENT_CHARS:
        message = gettext(
            "Write an artist statement of %(least)s to %(most)s characters.",
            least=MIN_STATEMENT_CHARS,
            most=MAX_STATEMENT_CHARS,
        )
        raise InvalidInput(message, fields={"statement": message})
    return statement


def list_member_classes() -> list[MemberClass]:
    return list(db.session.execute(sa.select(MemberClass).order_by(MemberClass.id)).scalars())


def get_member_class(code: str) -> MemberClass:
    member_class = db.session.execute(
        sa.select(MemberClass).where(MemberClass.code == code)
    ).scalar_one_or_none()
    if member_class is None:
        codes = ", ".join(c.code for c in list_member_classes())
        raise InvalidInput(
            gettext(
                "There is no member class %(code)s; choose one of %(codes)s.",
                code=repr(code),
                codes=codes,
            ),
            fields={"member_class": gettext("Unknown member class.")},
        )
    return member_class


def open_application(user: User) -> MembershipApplication | None:
    return db.session.execute(
        sa.select(MembershipApplication).where(
            MembershipApplication.user_id == user.id, MembershipApplication.status == "pending"
        )
    ).scalar_one_or_none()


def applications_of(user: User) -> list[MembershipApplication]:
    return list(
        db.session.execute(
            sa.select(MembershipApplication)
            .where(MembershipApplication.user_id == user.id)
            .order_by(MembershipApplication.submitted_at.desc())
        ).scalars()
    )


def _store_samples(
    session: Session,
    application: MembershipApplication,
    uploads: Sequence[Upload],
    stored: list[str],
) -> None:
    """Stream each upload to storage; on any problem the caller deletes what ``stored`` lists."""
    limit = current_app.config["MAX_SAMPLE_IMAGES"]
    if len(application.samples) + len(uploads) > limit:
        raise InvalidInput(
            gettext("Send at most %(limit)s sample images in all.", limit=limit),
            fields={"samples": gettext("Too many images.")},
        )
    storage = get_storage()
    max_bytes = current_app.config["MAX_SAMPLE_IMAGE_BYTES"]
    for upload in uploads:
        name = (upload.filename or "image")[:255]
        key = f"applications/{application.id}/{uuid.uuid4().hex}"
        try:
            saved = storage.save_stream(key, upload.stream, max_bytes)
        except TooLarge:
            raise InvalidInput(
                gettext(
                    "%(name)s is larger than %(megabytes)s MB.",
                    name=name,
                    megabytes=max_bytes // (1024 * 1024),
                ),
                fields={"samples": gettext("Too large.")},
            ) from None
        stored.append(key)
        content_type = sniff_image_type(saved.head)
        if content_type is None:
            raise InvalidInput(
                gettext("%(name)s is not a JPEG, PNG, TIFF, WebP or HEIC image.", name=name),
                code="unsupported_media_type",
                fields={"samples": gettext("Not a supported image.")},
            )
        sample = ApplicationSample(
            storage_key=key,
            original_filename=name,
            content_type=content_type,
            size_bytes=saved.size_bytes,
            sha256=saved.sha256,
        )
        application.samples.append(sample)
        session.flush()
        # The media pipeline makes the reviewer's thumbnail and preview, as for assets.
        enqueue(session, "media.process_sample", sample.id)


def _discard(keys: list[str]) -> None:
    storage = get_storage()
    for key in keys:
        try:
            storage.delete(key)
        except (OSError, StorageError):
            current_app.logger.warning("Could not delete %s after a failed upload", key)


def submit_application(
    user: User,
    statement: str,
    portfolio_url: str,
    uploads: Sequence[Upload] = (),
    patronage_consent: bool = False,
) -> MembershipApplication:
    """Open an application to join. One open application per person; members cannot apply.
    ``patronage_consent``: the applicant consents to the member agreement's clause on patronage
    allocations (``consent``), recorded with its version when they are admitted."""
    statement = _clean_statement(statement)
    portfolio_url = clean_url(portfolio_url)
    if user.is_member:
        raise Conflict(gettext("You are already a member of the co-op."), code="already_member")
    stored: list[str] = []
    try:
        with unit_of_work() as session:
            if open_application(user) is not None:
                raise Conflict(
                    gettext("You already have an application waiting for review."),
                    code="application_open",
                )
            application = MembershipApplication(
                user_id=user.id, statement=statement, portfolio_url=portfolio_url
            )
            if patronage_consent:
                application.patronage_consent_version = consent.AGREEMENT_VERSION
                application.patronage_consented_at = utcnow()
            session.add(application)
            session.flush()
            _store_samples(session, application, uploads, stored)
            with force_locale(language_of(user, reading_now=True)):
                queue_email(
                    session,
                    user.email,
                    lazy_gettext("We received your membership application"),
                    "application_received",
                    user=user,
                    application=application,
                )
    except sa.exc.IntegrityError:
        _discard(stored)
        # Two submissions raced; the partial unique index let only one through.
        raise Conflict(
            gettext("You already have an application waiting for review."), code="application_open"
        ) from None
    except BaseException:
        _discard(stored)
        raise
    return application


def get_application_for(user: User, application_id: int) -> MembershipApplication:
    """The applicant's own application, or an admin's view of any; NotFound for others."""
    application = db.session.get(MembershipApplication, application_id)
    if application is None or (application.user_id != user.id and not user.is_admin):
        raise NotFound(gettext("No such application."))
    return application


def add_samples(
    user: User, application_id: int, uploads: Sequence[Upload]
) -> MembershipApplication:
    """Add sample images to the applicant's own open application."""
    if not uploads:
        raise InvalidInput(
            gettext("Attach at least one image."), fields={"file": gettext("Required.")}
        )
    stored: list[str] = []
    try:
        with unit_of_work() as session:
            application = get_application_for(user, application_id)
            if application.user_id != user.id:
                raise Forbidden(gettext("Only the applicant can add samples."))
            if application.status != "pending":
                raise Conflict(
                    gettext("This application has been decided; samples can no longer change.")
                )
            _store_samples(session, application, uploads, stored)
    except BaseException:
        _discard(stored)
        raise
    return application


def withdraw_application(user: User, application_id: int) -> MembershipApplication:
    with unit_of_work():
        application = get_application_for(user, application_id)
        if application.user_id != user.id:
            raise Forbidden(gettext("Only the applicant can withdraw an application."))
        if application.status != "pending":
            raise Conflict(gettext("Only a pending application can be withdrawn."))
        application.status = "withdrawn"
        application.decided_at = utcnow()
    return application


def list_applications(status: str | None, page: int, per_page: int) -> Pagination:
    """The review queue: oldest first, so nobody waits longest."""
    query = sa.select(MembershipApplication).order_by(
        MembershipApplication.submitted_at, MembershipApplication.id
    )
    if status:
        query = query.where(MembershipApplication.status == status)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def pending_count() -> int:
    return int(
        db.session.execute(
            sa.select(sa.func.count()).where(MembershipApplication.status == "pending")
        ).scalar_one()
    )


def decide_application(
    admin: User,
    application_id: int,
    decision: str,
    reason: str = "",
    member_class_code: str | None = None,
) -> MembershipApplication:
    """Approve (making the applicant a member) or reject with a reason. Decided only once."""
    if decision not in ("approve", "reject"):
        raise InvalidInput(
            gettext('decision must be "approve" or "reject".'),
            fields={"decision": gettext("Invalid.")},
        )
    reason = reason.strip()
    if decision == "reject" and not reason:
        raise InvalidInput(
            gettext("Give the applicant a reason for the rejection."),
            fields={"reason": gettext("Required.")},
        )
    member_class = get_member_class(member_class_code or DEFAULT_MEMBER_CLASS)
    with unit_of_work() as session:
        application = session.execute(
            sa.select(MembershipApplication)
            .where(MembershipApplication.id == application_id)
            # Lock only this row: PostgreSQL refuses FOR UPDATE across the eager outer joins.
            .with_for_update(of=MembershipApplication)
        ).scalar_one_or_none()
        if application is None:
            raise NotFound(gettext("No such application."))
        if application.status != "pending":
            raise Conflict(
                gettext("This application was already %(status)s.", status=application.status),
                code="already_decided",
            )
        before = {"status": application.status}
        application.status = "approved" if decision == "approve" else "rejected"
        application.decided_at = utcnow()
        application.decided_by_id = admin.id
        application.decision_reason = reason
        applicant = application.applicant
        after: dict[str, object] = {"status": application.status, "reason": reason}
        if decision == "approve":
            member = _admit(session, applicant, member_class, application.portfolio_url)
            if application.patronage_consent_version and application.patronage_consented_at:
                consent.record_consent(
                    session,
                    member,
                    "application",
                    version=application.patronage_consent_version,
                    at=application.patronage_consented_at,
                )
            application.member_class_id = member_class.id
            after |= {"member_number": member.member_number, "member_class": member_class.code}
        audit.record(
            session,
            admin,
            f"membership.application_{application.status}",
            "membership_application",
            application.id,
            f"{application.status.capitalize()} the application of {applicant.email}",
            before,
            after,
        )
        with force_locale(language_of(applicant)):
            queue_email(
                session,
                applicant.email,
                lazy_gettext("Welcome to the co-op")
                if decision == "approve"
                else lazy_gettext("Your membership application"),
                f"application_{application.status}",
                user=applicant,
                application=application,
            )
    return application


def _admit(session: Session, user: User, member_class: MemberClass, portfolio_url: str) -> Member:
    existing = membership_of(user)
    if existing is not None:
        raise Conflict(
            gettext(
                "%(email)s is already member %(member_number)s.",
                email=user.email,
                member_number=existing.member_number,
            )
        )
    member = Member(
        user_id=user.id,
        member_number=next_in_sequence(session, "member_number"),
        member_class_id=member_class.id,
        joined_on=utcnow().date(),
        status="active",
        portfolio_url=portfolio_url,
    )
    session.add(member)
    session.flush()
    session.refresh(user)
    return member


def get_member(member_number: int) -> Member:
    member = db.session.execute(
        sa.select(Member).where(Member.member_number == member_number, Member.status == "active")
    ).scalar_one_or_none()
    if member is None:
        raise NotFound(gettext("No such member."))
    return member


def list_members(page: int, per_page: int, query_text: str = "") -> Pagination:
    query = (
        sa.select(Member)
        .join(Member.user)
        .where(Member.status == "active")
        .order_by(Member.member_number)
    )
    if query_text:
        like = f"%{query_text.strip().lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(User.display_name).like(like),
                sa.func.lower(Member.location).like(like),
            )
        )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def update_profile(
    user: User, display_name: str, bio: str, location: str, portfolio_url: str
) -> Member:
    """A member edits their public profile."""
    member = membership_of(user)
    if member is None or not user.is_member:
        raise Forbidden(gettext("Only members have a public profile."))
    display_name = clean_display_name(display_name)
    bio = bio.strip()
    if len(bio) > 2000:
        raise InvalidInput(
            gettext("Keep your bio under 2,000 characters."), fields={"bio": gettext("Too long.")}
        )
    location = " ".join(location.split())
    if len(location) > 120:
        raise InvalidInput(
            gettext("Keep the location under 120 characters."),
            fields={"location": gettext("Too long.")},
        )
    portfolio_url = clean_url(portfolio_url)
    with unit_of_work():
        user.display_name = display_name
        member.bio = bio
        member.location = location
        member.portfolio_url = portfolio_url
    return member


def get_sample(application: MembershipApplication, sample_id: int) -> ApplicationSample:
    for sample in application.samples:
        if sample.id == sample_id:
            return sample
    raise NotFound(gettext("No such sample."))
