"""Celery wired the Flask way, and tasks that are sent only after the transaction commits.

The web app sends tasks by name, so it never imports the task modules (they live in
``workers/`` and import the service layer, not the other way round).
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

PENDING_KEY = "marketplace_pending_tasks"
READY_KEY = "marketplace_inline_tasks_ready"
TASK_MODULES = [
    "workers.tasks.mail",
    "workers.tasks.accounts",
    "workers.tasks.media",
    "workers.tasks.catalogue",
    "workers.tasks.payments",
    "workers.tasks.dividends",
    "workers.tasks.payouts",
    "workers.tasks.governance",
]


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app for a Flask app; every task body runs inside an app context."""

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.import_name, task_cls=FlaskTask, include=TASK_MODULES)
    celery_app.config_from_object(app.config["CELERY"])
    if app.config["TASKS_INLINE"]:
        celery_app.conf.task_always_eager = True
        celery_app.conf.task_eager_propagates = True
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def enqueue(session: Session, task_name: str, *args: Any) -> None:
    """Queue a task to be sent when ``session`` commits; a rollback drops it."""
    session.info.setdefault(PENDING_KEY, []).append((task_name, args))


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, [])
    if not pending:
        return
    if current_app.config["TASKS_INLINE"]:
        # Run them once the commit has returned: the session cannot be used inside this hook.
        session.info.setdefault(READY_KEY, []).extend(pending)
        return
    celery_app: Celery = current_app.extensions["celery"]
    for task_name, args in pending:
        celery_app.send_task(task_name, args=list(args))


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous_transaction: Any) -> None:
    # A savepoint rolled back inside a larger transaction does not undo the whole use case.
    if not previous_transaction.nested:
        discard_pending_tasks(session)


def discard_pending_tasks(session: Session) -> None:
    """Forget the tasks queued in ``session``'s transaction: it did not happen."""
    session.info.pop(PENDING_KEY, None)


def run_inline_tasks(session: Session) -> None:
    """In inline mode (the fast test tier), run tasks queued by the last commit, in process."""
    ready = session.info.pop(READY_KEY, [])
    if not ready:
        return
    celery_app: Celery = current_app.extensions["celery"]
    celery_app.loader.import_default_modules()
    for task_name, args in ready:
        celery_app.tasks[task_name].apply(args=list(args))
