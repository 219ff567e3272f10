"""How an asset's status reads inside a sentence, in the reader's language.

The status codes are stable and machine-readable (``pending_review``); messages that name one
("This asset is pending review, …") show these words instead.
"""

from __future__ import annotations

from flask_babel import LazyString, lazy_gettext

_STATUS_PHRASES: dict[str, LazyString] = {
    "processing": lazy_gettext("processing"),
    "draft": lazy_gettext("draft"),
    "pending_review": lazy_gettext("pending review"),
    "published": lazy_gettext("published"),
    "rejected": lazy_gettext("rejected"),
    "failed": lazy_gettext("failed"),
}


def status_phrase(status: str) -> str:
    """The status as words in a sentence ("pending review"); an unknown one with spaces."""
    found = _STATUS_PHRASES.get(status)
    return str(found) if found is not None else status.replace("_", " ")
