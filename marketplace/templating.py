"""Filters and globals the page templates use."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask


def format_datetime(value: datetime | None) -> str:
    return value.strftime("%-d %b %Y, %H:%M UTC") if value else ""


def format_date(value: date | datetime | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def format_bytes(size: int | None) -> str:
    if size is None:
        return ""
    amount = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if amount < 1024 or unit == "GB":
            return f"{amount:.0f} {unit}" if unit == "bytes" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{size} bytes"


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_bytes, "filesize")

    @app.context_processor
    def co_op_context() -> dict[str, Any]:
        return {"co_op_name": app.config["CO_OP_NAME"]}
