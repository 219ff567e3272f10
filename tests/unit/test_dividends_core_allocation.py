"""Patronage dividends, the pure core: allocating the pool to member classes and members by
patronage, equal shares and service years, to the cent."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.dividends import core
from marketplace.dividends.core import DEFAULT_POLICY, DividendError, MemberFacts
from marketplace.ledger.core import largest_remainder_split
from tests.fixtures.dividends_core import PERIOD_END, member, members_strategy

pools = st.one_of(st.integers(0, 10**12), st.integers(0, 10), st.just(10**12))


@settings(max_examples=300)
@given(pools, members_strategy)
def test_allocations_add_up_to_the_pool_exactly(pool: int, members: list[MemberFacts]) -> None:
    result = core.allocate_pool(pool, DEFAULT_POLICY, members, PERIOD_END)
    # A founder or staff member who sold their own work also shares in the artists' class.
    sellers = [
        m
        for m in members
        if m.class_code in ("founders", "staff")
        and m.patronage_cents > 0
        and m.joined_on <= PERIOD_END
    ]
    assert len(result.members) == len(members) + len(sellers)
    assert all(m.allocation_cents >= 0 for m in result.members)
    assert result.allocated_cents + result.unallocated_cents == pool
    assert sum(c.pool_cents for c in result.classes) == pool - result.unallocated_cents
    for cls in result.classes:
        mine = [m for m in result.members if m.class_code == cls.code and m.weight > 0]
        assert sum(m.allocation_cents for m in mine) == cls.pool_cents
        assert len(mine) == cls.eligible_count
        if cls.eligible_count == 0:
            assert cls.pool_cents == 0
    anyone = any(c.eligible_count for c in result.classes)
    assert (result.unallocated_cents == 0) == (anyone or pool == 0)
    assert (result.reason_if_unallocated is None) == (result.unallocated_cents == 0)
    ineligible = [m for m in result.members if m.weight == 0]
    assert all(m.allocation_cents == 0 for m in ineligible)


@given(pools, st.lists(st.integers(1, 10**12), min_size=1, max_size=20))
def test_with_every_class_present_class_pools_are_the_split_of_the_shares(
    pool: int, patronage: list[int]
) -> None:
    members = [member(1, "founders"), member(2, "staff")]
    members += [member(10 + i, "artists", p) for i, p in enumerate(patronage)]
    result = core.allocate_pool(pool, DEFAULT_POLICY, members, PERIOD_END)
    assert [c.pool_cents for c in result.classes] == largest_remainder_split(
        pool, [500, 500, 9_000]
    )
    artists = [m for m in result.members if m.class_code == "artists"]
    assert [m.allocation_cents for m in artists] == largest_remainder_split(
        result.classes[2].pool_cents, patronage
    )


def test_patronage_weights_net_sales() -> None:
    members = [member(1, "artists", 3_000), member(2, "artists", 1_000), member(3, "artists", 0)]
    result = core.allocate_pool(10_000, DEFAULT_POLICY, members, PERIOD_END)
    assert [m.allocation_cents for m in result.members] == [7_500, 2_500, 0]
    assert [c.pool_cents for c in result.classes] == [0, 0, 10_000]


def test_an_empty_class_share_goes_to_the_others_in_proportion() -> None:
    members = [member(1, "founders"), member(2, "artists", 500)]
    result = core.allocate_pool(100_000, DEFAULT_POLICY, members, PERIOD_END)
    by_code = {c.code: c for c in result.classes}
    # founders 5/95 and artists 90/95 of the pool; staff (nobody) nothing.
    assert by_code["staff"].pool_cents == 0
    assert by_code["staff"].eligible_count == 0
    assert by_code["founders"].pool_cents == 5_263
    assert by_code["artists"].pool_cents == 94_737


def test_artists_without_sales_are_not_eligible_and_their_share_moves() -> None:
    members = [member(1, "founders"), member(2, "artists", 0), member(3, "artists", -400)]
    result = core.allocate_pool(1_001, DEFAULT_POLICY, members, PERIOD_END)
    assert [m.allocation_cents for m in result.members] == [1_001, 0, 0]
    assert result.members[2].patronage_cents == -400


def test_equal_shares_break_ties_by_member_number() -> None:
    members = [member(3, "founders"), member(1, "founders"), member(2, "founders")]
    result = core.allocate_pool(100, DEFAULT_POLICY, members, PERIOD_END)
    assert [(m.member_number, m.allocation_cents) for m in result.members] == [
        (1, 34),
        (2, 33),
        (3, 33),
    ]


def test_one_member_gets_the_whole_pool() -> None:
    result = core.allocate_pool(10**12, DEFAULT_POLICY, [member(1, "staff")], PERIOD_END)
    assert result.members[0].allocation_cents == 10**12


def test_zero_pool_allocates_zeros() -> None:
    result = core.allocate_pool(0, DEFAULT_POLICY, [member(1, "artists", 10)], PERIOD_END)
    assert result.members[0].allocation_cents == 0
    assert result.unallocated_cents == 0


def test_nobody_eligible_leaves_the_pool_unallocated_and_says_so() -> None:
    members = [
        member(1, "artists", 0),
        member(2, "observers"),
        member(3, "founders", joined=date(2026, 1, 1)),
    ]
    result = core.allocate_pool(5_000, DEFAULT_POLICY, members, PERIOD_END)
    assert result.allocated_cents == 0
    assert result.unallocated_cents == 5_000
    assert "stays in retained surplus" in (result.reason_if_unallocated or "")
    assert core.allocate_pool(5_000, DEFAULT_POLICY, [], PERIOD_END).unallocated_cents == 5_000


def test_members_who_join_after_the_period_are_not_eligible() -> None:
    late = member(2, "founders", joined=date(2026, 1, 1))
    result = core.allocate_pool(100, DEFAULT_POLICY, [member(1, "founders"), late], PERIOD_END)
    assert [m.allocation_cents for m in result.members] == [100, 0]


def test_a_member_listed_twice_is_refused() -> None:
    with pytest.raises(DividendError):
        core.allocate_pool(100, DEFAULT_POLICY, [member(1), member(1)], PERIOD_END)


@pytest.mark.parametrize(
    ("joined", "years"),
    [
        (date(2025, 12, 31), 1),
        (date(2025, 1, 1), 1),
        (date(2024, 12, 31), 2),
        (date(2024, 1, 1), 2),
        (date(2015, 6, 30), 11),
        (date(2024, 2, 29), 2),
    ],
)
def test_service_years_are_completed_years_plus_one(joined: date, years: int) -> None:
    assert core.service_years(joined, PERIOD_END) == years


def test_service_years_on_a_leap_day_anniversary() -> None:
    assert core.service_years(date(2024, 2, 29), date(2025, 2, 28)) == 1
    assert core.service_years(date(2024, 2, 29), date(2025, 3, 1)) == 2


def test_staff_are_weighted_by_service_years() -> None:
    staff = [
        member(1, "staff", joined=date(2025, 6, 1)),  # 1
        member(2, "staff", joined=date(2023, 1, 1)),  # 3
    ]
    result = core.allocate_pool(400, DEFAULT_POLICY, staff, PERIOD_END)
    assert [m.weight for m in result.members] == [1, 3]
    assert [m.allocation_cents for m in result.members] == [100, 300]


def test_a_founder_who_sells_also_shares_in_the_artists_class_by_patronage() -> None:
    members = [member(1, "founders", 1_000), member(2, "founders"), member(3, "artists", 3_000)]
    result = core.allocate_pool(10_000, DEFAULT_POLICY, members, PERIOD_END)
    # No staff: 10,000 over founders 5 % and artists 90 % is 526 and 9,474; the founders share
    # 526 equally; the artists 9,474 by 1,000 : 3,000 (2,368.5 and 7,105.5, the tie to the first).
    assert [(m.member_id, m.class_code, m.weight, m.allocation_cents) for m in result.members] == [
        (101, "founders", 1, 263),
        (101, "artists", 1_000, 2_369),
        (102, "founders", 1, 263),
        (103, "artists", 3_000, 7_105),
    ]
    assert [c.eligible_count for c in result.classes] == [2, 0, 2]


def test_only_the_patronage_basis_is_a_patronage_dividend() -> None:
    kinds = {basis: core.distribution(basis) for basis in core.BASES}
    assert [b for b, d in kinds.items() if d.patronage_dividend] == ["patronage"]
    assert kinds["equal"].name == "Non-patronage member distribution"
    assert kinds["service_years"].name == "Staff compensation"
    assert all("§1388(a)" in d.source for d in kinds.values())
    with pytest.raises(DividendError, match="no distribution"):
        core.distribution("lottery")
