"""A marker for text that a pure core writes and the service layer translates.

``N_`` returns its argument unchanged; ``pybabel extract`` collects the string, so the catalogue
has it, and the service that shows the message passes it through ``gettext`` (no Flask here).
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - gettext's conventional name for "mark only"
    return message
