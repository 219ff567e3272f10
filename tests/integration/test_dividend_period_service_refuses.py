"""The service itself (not only the API and the page) refuses drafting a period that has not
ended: one ending today only with the books closed now, one ending later never."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from marketplace.dividends import services
from marketplace.dividends.models import DividendRun
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from tests.fixtures.dividends import member_id, sell
from tests.fixtures.factories import Factory


def test_the_service_refuses_a_period_ending_today_unless_the_books_close_now(
    factory: Factory,
) -> None:
    admin = factory.admin()
    sell(member_id(factory.member()), factory.buyer().id, 5_000)
    today = date.today()
    start = date(today.year, 1, 1)
    with pytest.raises(InvalidInput) as refused:
        services.draft_run(admin, services.RunRequest(start, today, None, "10", "20"))
    assert refused.value.code == "period_not_ended"
    assert "ends today" in str(refused.value)
    with pytest.raises(InvalidInput) as future:
        services.draft_run(
            admin,
            services.RunRequest(start, today + timedelta(days=1), None, "10", "20", "", True),
        )
    assert future.value.code == "period_not_ended"
    assert db.session.query(DividendRun).count() == 0

    run = services.draft_run(
        admin,
        services.RunRequest(start, today, None, "10", "20", close_books_now=True),
    )
    assert run.period_end == today
    assert run.books_closed_at is not None
