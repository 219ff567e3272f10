"""Tasks are sent after the transaction commits, and never when it rolls back."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from marketplace.background import PENDING_KEY, enqueue
from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.mail import queue_email
from tests.fixtures.mail import SmtpSink
from tests.fixtures.use_cases import UseCaseFailed, fail_after


def test_rollback_without_any_sql_drops_queued_tasks(app: Flask, smtp_sink: SmtpSink) -> None:
    with pytest.raises(UseCaseFailed):
        fail_after(
            lambda session: queue_email(
                session,
                "dropped@example.org",
                "Never",
                "password_changed",
                user={"display_name": "X"},
            )
        )
    assert PENDING_KEY not in db.session().info
    with unit_of_work() as session:
        queue_email(
            session, "kept@example.org", "Sent", "password_changed", user={"display_name": "Y"}
        )
    assert [m["To"] for m in smtp_sink.messages] == ["kept@example.org"]


def test_rollback_after_sql_drops_queued_tasks(app: Flask) -> None:
    def query_then_enqueue(session: Session) -> None:
        session.execute(db.text("SELECT 1"))
        enqueue(session, "no.such.task")

    with pytest.raises(UseCaseFailed):
        fail_after(query_then_enqueue)
    assert PENDING_KEY not in db.session().info


def test_a_rolled_back_savepoint_keeps_the_outer_tasks(app: Flask, smtp_sink: SmtpSink) -> None:
    with unit_of_work() as session:
        queue_email(
            session, "outer@example.org", "Outer", "password_changed", user={"display_name": "O"}
        )
        savepoint = session.begin_nested()
        savepoint.rollback()
    assert [m["To"] for m in smtp_sink.messages] == ["outer@example.org"]
