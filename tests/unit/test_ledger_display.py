"""The ledger's words for people: every account of the chart and every entry kind has its
name in the catalogue (a new one must be added to ``ledger.display`` to be translated)."""

from __future__ import annotations

from marketplace.dividends import statement_words
from marketplace.ledger import display
from marketplace.ledger.entries import CHART
from marketplace.ledger.kinds import ENTRY_KINDS
from marketplace.payouts.core import REQUIREMENT_WORDS


def test_every_account_of_the_chart_has_a_translatable_name() -> None:
    missing = sorted(spec.name for spec in CHART.values() if spec.name not in display.ACCOUNT_NAMES)
    assert missing == []


def test_every_account_type_and_entry_kind_has_words() -> None:
    assert {spec.type for spec in CHART.values()} <= set(display.ACCOUNT_TYPES)
    assert sorted(set(ENTRY_KINDS) - set(display.ENTRY_KIND_WORDS)) == []


def test_words_keep_the_english_the_pages_showed() -> None:
    # Outside a request gettext is not needed: the English is the table itself.
    assert display.ENTRY_KIND_WORDS["dividend_payment"] == "Dividend payment"
    assert display.ACCOUNT_TYPES["contra_income"] == "Contra income"
    assert statement_words.BASIS_NAMES["service_years"] == "service years"
    assert dict(REQUIREMENT_WORDS)["individual.dob"] == "your date of birth"
