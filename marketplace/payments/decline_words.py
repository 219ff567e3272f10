"""Stripe's words for a refused card, in the reader's language.

Stripe answers a refused payment with an English sentence (``last_payment_error.message``),
which the order keeps as it came (the admin's page shows it so). Buyers read it in their own
language: the sentences Stripe uses for its decline codes (docs.stripe.com/declines/codes, the
same the project's emulator answers with) are in the catalogues; any other text shows as Stripe
wrote it.
"""

from __future__ import annotations

from flask_babel import gettext

from marketplace.i18n.markers import N_

STRIPE_SENTENCES = frozenset(
    {
        N_("Your card was declined."),
        N_("Your card has insufficient funds."),
        N_("Your card has expired."),
        N_("Your card's security code is incorrect."),
        N_("Your card number is incorrect."),
        N_("An error occurred while processing your card. Try again in a little bit."),
        N_(
            "Your card was declined for making repeated attempts too frequently or exceeding "
            "its amount limit."
        ),
        N_("Your card does not support this type of purchase."),
        N_("Your card's expiration month is invalid."),
        N_("Your card's expiration year is invalid."),
    }
)


def in_reader_language(message: str | None) -> str:
    """``message`` translated when it is one of Stripe's decline sentences, else as it is."""
    if not message:
        return ""
    if message in STRIPE_SENTENCES:
        return gettext(message)
    return message
