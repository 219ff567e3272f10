"""Emails: composed from templates by the service layer, delivered by a background task.

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

from flask import current_app, has_request_context, render_template, request
from sqlalchemy.orm import Session

from marketplace.background import enqueue

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


def queue_email(session: Session, to: str, subject: str, template: str, **context: Any) -> None:
    """Render ``templates/email/<template>.txt`` and send it once the transaction commits."""
    body = render_template(
        f"email/{template}.txt",
        co_op_name=current_app.config["CO_OP_NAME"],
        base_url=public_base_url(),
        **context,
    )
    message: OutgoingEmail = {"to": to, "subject": subject, "body": body}
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
