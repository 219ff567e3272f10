"""Sending email in the background, with retries when the mail server is away."""

from __future__ import annotations

import smtplib

from celery import shared_task

from marketplace.mail import OutgoingEmail, deliver


@shared_task(
    name="mail.send",
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def send(message: OutgoingEmail) -> None:
    deliver(message)
