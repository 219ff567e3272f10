"""Stripe's documented test cards and what Stripe does with each (docs.stripe.com/testing,
/radar/testing, /declines/codes): the one table the emulator's card handling reads.

An error's ``code`` and ``decline_code`` are those of Stripe's ``card_error`` answers. Stripe's
testing page lists no decline code for the expired, CVC and processing-error cards; its live
answers carry one equal to the code, and so do we.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CardError:
    """What Stripe answers (HTTP 402, ``type: card_error``) when it refuses the card."""

    code: str
    decline_code: str | None
    message: str
    param: str | None = None


@dataclass(frozen=True)
class DisputeOutcome:
    """The dispute Stripe opens on a charge made with the card, soon after it succeeds."""

    reason: str
    status: str


@dataclass(frozen=True)
class DocumentedCard:
    number: str
    description: str
    # Refused when attached to a customer (Stripe checks the card then), and when charged.
    declined_on_attach: CardError | None = None
    declined_on_charge: CardError | None = None
    # The bank asks the buyer (3-D Secure) before any charge.
    requires_authentication: bool = False
    dispute: DisputeOutcome | None = None
    # The charge's outcome when Radar blocks it, rather than the bank declining it.
    blocked: bool = False
    # Refused when the PaymentMethod is made (before any payment).
    refused_on_create: CardError | None = None
    brand: str | None = None
    funding: str = "credit"

    @property
    def summary(self) -> str:
        """What happens, in a few words (the README's table)."""
        if self.refused_on_create is not None:
            return f"refused when the card is entered: `{self.refused_on_create.code}`"
        refusal = self.declined_on_charge
        if refusal is None:
            result = "succeeds"
        else:
            decline = f" / `{refusal.decline_code}`" if refusal.decline_code else ""
            result = f"declined: `{refusal.code}`{decline}"
        if self.requires_authentication:
            result = f"asks for 3-D Secure, then {result}"
        if self.dispute is not None:
            result += f", then disputed ({self.dispute.reason}, {self.dispute.status})"
        return result


GENERIC = CardError("card_declined", "generic_decline", "Your card was declined.")
INSUFFICIENT_FUNDS = CardError(
    "card_declined", "insufficient_funds", "Your card has insufficient funds."
)
LOST = CardError("card_declined", "lost_card", "Your card was declined.")
STOLEN = CardError("card_declined", "stolen_card", "Your card was declined.")
EXPIRED = CardError("expired_card", "expired_card", "Your card has expired.", "exp_month")
INCORRECT_CVC = CardError(
    "incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.", "cvc"
)
PROCESSING = CardError(
    "processing_error",
    "processing_error",
    "An error occurred while processing your card. Try again in a little bit.",
)
VELOCITY = CardError(
    "card_declined",
    "card_velocity_exceeded",
    "Your card was declined for making repeated attempts too frequently or exceeding its "
    "amount limit.",
)
FRAUDULENT = CardError("card_declined", "fraudulent", "Your card was declined.")
# Refused when the PaymentMethod is made: the number fails the Luhn check.
INCORRECT_NUMBER = CardError("incorrect_number", None, "Your card number is incorrect.", "number")

DOCUMENTED_CARDS: tuple[DocumentedCard, ...] = (
    DocumentedCard("4242424242424242", "Visa", brand="visa"),
    DocumentedCard("4000056655665556", "Visa (debit)", brand="visa", funding="debit"),
    DocumentedCard("5555555555554444", "Mastercard", brand="mastercard"),
    DocumentedCard("2223003122003222", "Mastercard (2-series)", brand="mastercard"),
    DocumentedCard("5200828282828210", "Mastercard (debit)", brand="mastercard", funding="debit"),
    DocumentedCard(
        "5105105105105100", "Mastercard (prepaid)", brand="mastercard", funding="prepaid"
    ),
    DocumentedCard("6011111111111117", "Discover", brand="discover"),
    DocumentedCard("3566002020360505", "JCB", brand="jcb"),
    DocumentedCard("6200000000000005", "UnionPay", brand="unionpay"),
    DocumentedCard("4000000000000002", "Generic decline", GENERIC, GENERIC),
    DocumentedCard(
        "4000000000009995", "Insufficient funds", INSUFFICIENT_FUNDS, INSUFFICIENT_FUNDS
    ),
    DocumentedCard("4000000000009987", "Lost card", LOST, LOST),
    DocumentedCard("4000000000009979", "Stolen card", STOLEN, STOLEN),
    DocumentedCard("4000000000000069", "Expired card", EXPIRED, EXPIRED),
    DocumentedCard("4000000000000127", "Incorrect CVC", INCORRECT_CVC, INCORRECT_CVC),
    DocumentedCard("4000000000000119", "Processing error", PROCESSING, PROCESSING),
    DocumentedCard("4000000000006975", "Exceeding velocity limit", VELOCITY, VELOCITY),
    # Radar blocks the charge; saving the card runs no risk check.
    DocumentedCard("4100000000000019", "Always blocked", None, FRAUDULENT, blocked=True),
    DocumentedCard("4000000000000341", "Decline after attaching", None, GENERIC),
    DocumentedCard("4242424242424241", "Incorrect number", refused_on_create=INCORRECT_NUMBER),
    DocumentedCard("4000000000003055", "3-D Secure supported, not required"),
    DocumentedCard(
        "4000002500003155", "3-D Secure required (unless set up)", requires_authentication=True
    ),
    DocumentedCard("4000002760003184", "3-D Secure always", requires_authentication=True),
    DocumentedCard("4000000000003220", "3-D Secure 2 required", requires_authentication=True),
    DocumentedCard("4000000000003063", "3-D Secure required", requires_authentication=True),
    DocumentedCard(
        "4000008260003178",
        "3-D Secure, then insufficient funds",
        declined_on_charge=INSUFFICIENT_FUNDS,
        requires_authentication=True,
    ),
    DocumentedCard(
        "4000008400001629",
        "3-D Secure, then declined",
        declined_on_charge=GENERIC,
        requires_authentication=True,
    ),
    DocumentedCard(
        "4000000000000259",
        "Dispute: fraudulent",
        dispute=DisputeOutcome("fraudulent", "needs_response"),
    ),
    DocumentedCard(
        "4000000000002685",
        "Dispute: product not received",
        dispute=DisputeOutcome("product_not_received", "needs_response"),
    ),
    DocumentedCard(
        "4000000000001976",
        "Dispute: inquiry",
        dispute=DisputeOutcome("general", "warning_needs_response"),
    ),
)

CARDS_BY_NUMBER = {card.number: card for card in DOCUMENTED_CARDS}


def luhn_valid(number: str) -> bool:
    """The check digit every card number carries (Stripe refuses a number that fails it)."""
    if not number.isdigit():
        return False
    total = 0
    for position, digit in enumerate(int(d) for d in reversed(number)):
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def brand_of(number: str) -> str:
    """The card network a number belongs to, from its first digits (its IIN)."""
    listed = CARDS_BY_NUMBER.get(number)
    if listed is not None and listed.brand:
        return listed.brand
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(number[:4] or 0) <= 2720:
        return "mastercard"
    if number.startswith(("34", "37")):
        return "amex"
    if number.startswith(("6011", "65")) or 644 <= int(number[:3] or 0) <= 649:
        return "discover"
    if number.startswith("35"):
        return "jcb"
    if number.startswith(("36", "30", "38")):
        return "diners"
    if number.startswith("62"):
        return "unionpay"
    return "unknown"


def card_for(number: str | None) -> DocumentedCard | None:
    return CARDS_BY_NUMBER.get(number or "")
