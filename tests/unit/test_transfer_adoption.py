"""Which earlier transfer a retried payment adopts (``payouts.core.made_before``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given
from hypothesis import strategies as st

from marketplace.payouts.core import made_before

OURS = {"dividend_allocation_id": "7", "member_id": "3", "transfer_token": "abc"}


@dataclass(frozen=True)
class Transfer:
    id: str
    amount_cents: int
    currency: str = "usd"
    metadata: dict[str, str] = field(default_factory=dict)


def test_the_transfer_carrying_all_our_metadata_is_adopted() -> None:
    others = [
        Transfer("tr_other_member", 500, metadata={**OURS, "member_id": "4"}),
        Transfer("tr_other_token", 500, metadata={**OURS, "transfer_token": "old"}),
        Transfer("tr_no_metadata", 500),
    ]
    ours = Transfer("tr_ours", 500, "USD", {**OURS, "dividend_run_id": "1"})
    assert (
        made_before([*others, ours], amount_cents=500, currency="USD", metadata=OURS) == "tr_ours"
    )
    assert made_before(others, amount_cents=500, currency="USD", metadata=OURS) is None


def test_another_amount_or_currency_is_not_ours() -> None:
    for other in (Transfer("tr_1", 499, metadata=OURS), Transfer("tr_2", 500, "eur", OURS)):
        assert made_before([other], amount_cents=500, currency="USD", metadata=OURS) is None


def test_without_metadata_nothing_is_adopted() -> None:
    assert (
        made_before([Transfer("tr_1", 500)], amount_cents=500, currency="USD", metadata={}) is None
    )


@given(
    st.lists(
        st.tuples(
            st.integers(1, 3),
            st.dictionaries(st.sampled_from(sorted(OURS)), st.sampled_from(["7", "3", "abc", "x"])),
        ),
        max_size=8,
    )
)
def test_only_an_exact_match_is_ever_adopted(listed: list[tuple[int, dict[str, str]]]) -> None:
    transfers = [
        Transfer(f"tr_{n}", amount, metadata=meta) for n, (amount, meta) in enumerate(listed)
    ]
    found = made_before(transfers, amount_cents=2, currency="usd", metadata=OURS)
    exact = [t.id for t in transfers if t.amount_cents == 2 and t.metadata == OURS]
    assert found == (exact[0] if exact else None)
