"""Order statuses in words, in the reader's language (the codes stay English in data and API)."""

from __future__ import annotations

from flask_babel import lazy_gettext

# An order's status in words, for the sentences that say why something cannot be done.
STATUS_WORDS = {
    "pending_payment": lazy_gettext("pending payment"),
    "paid": lazy_gettext("paid"),
    "refunded": lazy_gettext("refunded"),
    "partially_refunded": lazy_gettext("partially refunded"),
    "disputed": lazy_gettext("disputed"),
    "cancelled": lazy_gettext("cancelled"),
}


def status_words(status: str) -> str:
    """The order status as a sentence says it ("partially_refunded" -> "partially refunded")."""
    found = STATUS_WORDS.get(status)
    return str(found) if found is not None else status.replace("_", " ")
