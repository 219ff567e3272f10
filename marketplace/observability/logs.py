"""Log lines: JSON in production, human lines in the demo, a request id in each, no personal data.

- Format: ``MARKETPLACE_LOG_FORMAT`` (``json`` or ``text``); production defaults to JSON lines,
  the demo and tests to text.
- Request id: taken from the caller's ``X-Request-ID`` (a load balancer's, when it is a short
  token) or made here, answered in the response's ``X-Request-ID``, carried in the headers of
  every task the request queued and set again while the worker runs them, so one purchase's web
  and worker lines share it.
- Personal data: every record's message and traceback pass :func:`redact`, which replaces email
  addresses, card numbers (Luhn-valid runs of 13-19 digits) and US tax ids (SSN and EIN
  shapes). Log lines should not name people in the first place; this is the net under them.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REQUEST_ID_HEADER = "X-Request-ID"
request_id_var: ContextVar[str | None] = ContextVar("coopstock_request_id", default=None)
task_name_var: ContextVar[str | None] = ContextVar("coopstock_task_name", default=None)

_ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# Whole runs only: digits inside an id or a hex token (a request id) are not a card.
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
_TAX_ID = re.compile(r"(?<![\w-])(?:\d{3}-\d{2}-\d{4}|\d{2}-\d{7})(?![\w-])")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    return "[card]" if _luhn_valid(digits) else match.group(0)


def redact(text: str) -> str:
    """``text`` without email addresses, card numbers or tax ids."""
    text = _EMAIL.sub("[email]", text)
    text = _TAX_ID.sub("[tax id]", text)
    return _CARD.sub(_card, text)


def new_request_id(offered: str | None) -> str:
    """The caller's id when it is a plain token of 8-64 characters, otherwise a fresh one."""
    if offered and _ACCEPTED_ID.match(offered):
        return offered
    return uuid.uuid4().hex


class _RedactedRecord(logging.LogRecord):
    def getMessage(self) -> str:  # noqa: N802 - logging's name
        return redact(super().getMessage())


_installed = False


def install_record_factory() -> None:
    """Every record from now on gets ``request_id`` and ``task`` and a redacted message."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if type(record) is logging.LogRecord:
            record.__class__ = _RedactedRecord
        record.request_id = request_id_var.get() or "-"
        record.task = task_name_var.get() or ""
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class TextFormatter(logging.Formatter):
    """Human lines with the request id; tracebacks redacted like messages."""

    def __init__(self, fmt: str = TEXT_FORMAT) -> None:
        super().__init__(fmt)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = "-"
        return super().format(record)

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return redact(super().formatException(ei))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, task, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", "-"),
            "process": record.process,
        }
        task = getattr(record, "task", "")
        if task:
            line["task"] = task
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = redact(record.exc_text)
        return json.dumps(line, ensure_ascii=False)


def log_format(profile: str, setting: str | None) -> str:
    """``json`` or ``text``: the setting when given, else JSON in production only."""
    chosen = (setting or ("json" if profile == "production" else "text")).lower()
    if chosen not in ("json", "text"):
        raise ValueError(f"MARKETPLACE_LOG_FORMAT must be json or text, not {setting!r}.")
    return chosen


def formatter_for(kind: str) -> logging.Formatter:
    return JsonFormatter() if kind == "json" else TextFormatter()


def configure_logging(kind: str) -> None:
    """Root logging at INFO with ``kind`` lines on the process's own stderr handlers."""
    install_record_factory()
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO)
    for handler in root.handlers:
        # Exactly StreamHandler: basicConfig's or gunicorn's, not a test's capturing subclass.
        if type(handler) is logging.StreamHandler:
            handler.setFormatter(formatter_for(kind))
    # Alembic announces each of its plugins at INFO on every start; only its warnings matter.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
