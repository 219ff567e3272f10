"""The README's table of test cards names every card the Stripe emulator knows."""

from __future__ import annotations

from pathlib import Path

from stripe_emulator.card_table import DOCUMENTED_CARDS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_documented_card_is_in_the_readme() -> None:
    text = README.read_text()
    section = text[text.index("## Test cards (the Stripe emulator)") :]
    section = section[: section.index("\n## ", 1)]
    missing = [
        card.number
        for card in DOCUMENTED_CARDS
        if " ".join(card.number[i : i + 4] for i in range(0, 16, 4)) not in section
    ]
    assert missing == []
