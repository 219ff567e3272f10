"""``database.clock_at``: inside the block ``utcnow`` (and so every column default and service
reading it) answers the moment given; outside, the real time again, even after an error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from marketplace.database import clock_at, utcnow


def test_utcnow_answers_the_moment_inside_and_the_real_time_after() -> None:
    moment = datetime(2025, 3, 14, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    with clock_at(moment):
        assert utcnow() == moment
        assert utcnow().tzinfo == UTC
        with clock_at(moment + timedelta(days=1)):
            assert utcnow() == moment + timedelta(days=1)
        assert utcnow() == moment
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)


def test_the_real_time_comes_back_after_an_error() -> None:
    with pytest.raises(RuntimeError), clock_at(datetime(2025, 1, 1, tzinfo=UTC)):
        raise RuntimeError("the event failed")
    assert utcnow().year == datetime.now(UTC).year


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"), clock_at(datetime(2025, 1, 1)):  # noqa: DTZ001
        pass
