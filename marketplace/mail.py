"""Emails: composed from templates by the service layer, delivered by a background task.

Each email is written in its recipient's language: the account's ``locale`` if the address has
an account that chose one, else the language of the request that sends it (a person acting on
their own account), else the co-op's default. Subjects are marked text: pass
``lazy_gettext("…", name=value)`` (or a string a ``N_`` marker put in the catalogue), never a
string already translated for whoever caused the email, who may not be its recipient.

Backends: ``console`` writes the message to a file in the instance's ``outbox/`` folder and logs
where (demo), ``smtp`` sends it (production, and the tests, which run a real local SMTP sink).
"""

from __future__ import annotations

import logging
import smtplib
import time
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, TypedDict

import sqlalchemy as sa
from flask import current_app, has_request_context, render_template, request
from flask_babel import LazyString, force_locale, gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.background import enqueue
from marketplace.i18n import current_language

log = logging.getLogger(__name__)


class OutgoingEmail(TypedDict):
    to: str
    subject: str
    body: str


def public_base_url() -> str:
    """The site's public address, without a trailing slash, for links sent by email."""
    configured = current_app.config.get("SERVER_BASE_URL")
    if configured:
        return str(configured).rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return "http://localhost"


def recipient_language(session: Session, to: str) -> str:
    """The language to write to ``to`` in: their account's choice, else this request's."""
    chosen = session.execute(
        sa.select(User.locale).where(User.email == to.lower())
    ).scalar_one_or_none()
    return chosen or current_language()


def queue_email(
    session: Session,
    to: str,
    subject: str | LazyString,
    template: str,
    *,
    language: str | None = None,
    **context: Any,
) -> None:
    """Render ``templates/email/<template>.txt`` in the recipient's language (or ``language``)
    and send it once the transaction commits."""
    with force_locale(language or recipient_language(session, to)):
        body = render_template(
            f"email/{template}.txt",
            co_op_name=current_app.config["CO_OP_NAME"],
            base_url=public_base_url(),
            **context,
        )
        # A lazy subject is translated here, in the recipient's language; a plain one is
        # looked up in the catalogue as it is (it may have been marked with N_).
        written = str(subject) if isinstance(subject, LazyString) else gettext(subject)
    message: OutgoingEmail = {"to": to, "subject": written, "body": body}
    enqueue(session, "mail.send", message)


def _compose(message: OutgoingEmail) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message["to"]
    email["Subject"] = message["subject"]
    email["Message-ID"] = make_msgid(domain="coop-stock.localhost")
    email.set_content(message["body"])
    return email


def deliver(message: OutgoingEmail) -> None:
    """Hand one email to the configured backend. Raises when the backend refuses it."""
    config = current_app.config
    backend = config["MAIL_BACKEND"]
    if backend == "console":
        # The message names a person (address, greeting): it goes to a file in the instance's
        # outbox, and the log line says only where, so no log line holds personal data.
        outbox = Path(current_app.instance_path) / "outbox"
        outbox.mkdir(parents=True, exist_ok=True)
        path = outbox / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        path.write_text(_compose(message).as_string(), encoding="utf-8")
        log.info("Email %r not sent (console backend): written to %s", message["subject"], path)
        return
    email = _compose(message)
    if backend != "smtp":
        raise ValueError(f"Unknown MARKETPLACE_MAIL_BACKEND {backend!r}; use console or smtp.")
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=30) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
        smtp.send_message(email)
