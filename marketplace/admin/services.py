"""Admin-only use cases on people: the admin role, and the first admin from the command line."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext
from flask_sqlalchemy.pagination import Pagination

from marketplace.accounts.models import User
from marketplace.accounts.passwords import hash_password, password_problem
from marketplace.accounts.services import find_user_by_email, normalise_email
from marketplace.accounts.sessions import revoke_sessions
from marketplace.audit import services as audit
from marketplace.database import unit_of_work
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.pagination import two_way_paginate


def list_users(page: int, per_page: int, query_text: str = "", role: str = "") -> Pagination:
    query = sa.select(User)
    if query_text:
        like = f"%{query_text.strip().lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(User.email).like(like), sa.func.lower(User.display_name).like(like)
            )
        )
    if role == "admin":
        query = query.where(User.is_admin.is_(True))
    elif role == "member":
        from marketplace.membership.models import Member

        query = query.where(User.id.in_(sa.select(Member.user_id).where(Member.status == "active")))
    return two_way_paginate(
        query.order_by(User.created_at.desc(), User.id.desc()),
        query.order_by(User.created_at.asc(), User.id.asc()),
        db.session(),
        page,
        per_page,
    )


def admin_count() -> int:
    return int(
        db.session.execute(sa.select(sa.func.count()).where(User.is_admin.is_(True))).scalar_one()
    )


def set_admin_role(actor: User, user_id: int, grant: bool) -> User:
    """Grant the admin role to a member, or revoke it. The last admin cannot be removed."""
    with unit_of_work() as session:
        user = session.execute(
            sa.select(User).where(User.id == user_id).with_for_update(of=User)
        ).scalar_one_or_none()
        if user is None:
            raise NotFound(gettext("No such user."))
        if user.is_admin == grant:
            return user
        if grant and not user.is_member:
            raise Conflict(
                gettext(
                    "Only members of the co-op can be made admins. Approve their membership first."
                ),
                code="not_a_member",
            )
        if not grant and admin_count() <= 1:
            raise Conflict(gettext("The co-op must keep at least one admin."), code="last_admin")
        user.is_admin = grant
        audit.record(
            session,
            actor,
            "accounts.admin_granted" if grant else "accounts.admin_revoked",
            "user",
            user.id,
            (
                f"Granted the admin role to {user.email}"
                if grant
                else f"Revoked the admin role from {user.email}"
            ),
            {"is_admin": not grant},
            {"is_admin": grant},
        )
    return user


def create_admin(email: str, password: str, display_name: str | None = None) -> tuple[User, bool]:
    """Create an admin account, or promote an existing one; returns (user, created).

    Used from the command line, where the person running it holds the server: no actor.
    """
    email = normalise_email(email)
    problem = password_problem(password, email)
    if problem:
        raise InvalidInput(problem)
    with unit_of_work() as session:
        user = find_user_by_email(email)
        created = user is None
        if user is None:
            user = User(
                email=email,
                display_name=display_name or email.split("@")[0],
                password_hash=hash_password(password),
                is_admin=True,
            )
            session.add(user)
            session.flush()
        else:
            user.password_hash = hash_password(password)
            user.is_admin = True
            # A new password from the command line: whoever knew the old one is signed out.
            revoke_sessions(session, user.id)
        audit.record(
            session,
            None,
            "accounts.admin_created" if created else "accounts.admin_granted",
            "user",
            user.id,
            f"{'Created admin' if created else 'Made admin'} {email} from the command line",
            None if created else {"is_admin": False},
            {"is_admin": True},
        )
    return user, created
