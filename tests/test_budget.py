"""The shared request budget: the dashboard stops before Soclook would refuse it."""

from __future__ import annotations

import pytest

from handlers_app import selectors, services
from handlers_app.budget import CacheBudget, key_fingerprint
from handlers_app.models import Connection
from handlers_app.sandbox import Fault
from handlers_app.soclook import ListQuery
from handlers_app.soclook.client import SoclookClient
from handlers_app.soclook.errors import RateLimited
from tests.helpers import raw_cache_contents


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def budget(clock: Clock, *, writes: bool = False, fingerprint: str = "team-key") -> CacheBudget:
    return CacheBudget(fingerprint=fingerprint, for_writes=writes, clock=clock)


def reserve_times(b: CacheBudget, times: int) -> None:
    for _ in range(times):
        b.reserve()


def test_reads_stop_three_requests_before_the_limit(clock) -> None:
    reads = budget(clock)
    reserve_times(reads, 57)
    with pytest.raises(RateLimited) as caught:
        reads.reserve()
    assert caught.value.retry_after == 61
    assert "try again in 61 s" in caught.value.message
    assert reads.state().remaining == 3


def test_writes_may_use_what_reads_leave_but_never_the_last_request(clock) -> None:
    reserve_times(budget(clock), 57)
    writes = budget(clock, writes=True)
    reserve_times(writes, 2)
    with pytest.raises(RateLimited):
        writes.reserve()
    assert writes.state().remaining == 1


def test_a_refused_request_is_not_counted(clock) -> None:
    reads = budget(clock)
    reserve_times(reads, 57)
    for _ in range(5):
        with pytest.raises(RateLimited):
            reads.reserve()
    assert reads.state().remaining == 3


def test_a_new_window_opens_when_the_last_one_is_over(clock) -> None:
    reads = budget(clock)
    reserve_times(reads, 57)
    clock.now += 30
    with pytest.raises(RateLimited) as caught:
        reads.reserve()
    assert caught.value.retry_after == 31
    clock.now += 31
    reserve_times(reads, 57)
    assert reads.state().remaining == 3


def test_every_worker_counts_into_the_same_budget(clock) -> None:
    first, second = budget(clock), budget(clock)
    reserve_times(first, 30)
    reserve_times(second, 27)
    with pytest.raises(RateLimited):
        first.reserve()


def test_each_key_has_its_own_budget(clock) -> None:
    reserve_times(budget(clock, fingerprint="one"), 57)
    budget(clock, fingerprint="two").reserve()


def test_a_lower_remaining_from_the_service_is_the_truth(clock) -> None:
    reads = budget(clock)
    reads.reserve()
    reads.observe(status=200, limit=60, remaining=10, reset=None)
    assert reads.state().remaining == 10
    reserve_times(reads, 7)
    with pytest.raises(RateLimited):
        reads.reserve()


def test_a_higher_remaining_does_not_undo_requests_still_in_flight(clock) -> None:
    reads = budget(clock)
    reserve_times(reads, 20)
    reads.observe(status=200, limit=60, remaining=59, reset=None)
    assert reads.state().remaining == 40


def test_a_429_spends_the_window_until_the_reset_it_announced(clock) -> None:
    writes = budget(clock, writes=True)
    writes.reserve()
    writes.observe(status=429, limit=60, remaining=0, reset=12)
    with pytest.raises(RateLimited) as caught:
        writes.reserve()
    assert caught.value.retry_after == 12
    clock.now += 12
    writes.reserve()


def test_the_limit_the_service_announces_replaces_the_default(clock) -> None:
    reads = budget(clock)
    reads.reserve()
    reads.observe(status=200, limit=10, remaining=9, reset=None)
    reserve_times(reads, 6)
    with pytest.raises(RateLimited):
        reads.reserve()
    assert reads.state().limit == 10


def test_the_cache_never_holds_the_key(sandbox, connection: Connection) -> None:
    selectors.handler_page(connection=connection, query=ListQuery())
    stored = raw_cache_contents()
    fingerprint = key_fingerprint(base_url=connection.base_url, api_key=connection.api_key)
    assert fingerprint.encode() in stored
    assert connection.api_key.encode() not in stored


# --- against the sandbox ----------------------------------------------------------------------


def test_a_busy_team_never_meets_a_429_and_sees_the_list_as_of_its_last_read(
    sandbox, connection: Connection
) -> None:
    for _ in range(70):
        page = selectors.handler_page(connection=connection, query=ListQuery(), refresh=True)
    assert len(sandbox.requests) == 57
    assert all(request.status == 200 for request in sandbox.requests)
    assert page.is_stale
    assert "try again in" in page.stale_reason
    assert page.budget.remaining == 3
    assert page.total == 40


def test_a_save_still_goes_through_when_reads_have_spent_their_share(
    sandbox, connection: Connection, owner, api_key: str
) -> None:
    for _ in range(58):
        selectors.handler_page(connection=connection, query=ListQuery(), refresh=True)
    current = selectors.handler_get(connection=connection, handler_id=2)
    services.handler_set_enabled(connection=connection, user=owner, current=current, enabled=False)
    assert sandbox.handlers(api_key)[1]["is_enabled"] == 0
    assert [r.status for r in sandbox.requests if r.method == "POST"] == [200]


def test_a_spent_budget_refuses_a_save_with_when_to_try_again(
    sandbox, connection: Connection, owner, api_key: str
) -> None:
    current = selectors.handler_get(connection=connection, handler_id=2)
    for _ in range(56):
        selectors.handler_page(connection=connection, query=ListQuery(), refresh=True)
    services.handler_set_enabled(connection=connection, user=owner, current=current, enabled=False)
    current = selectors.handler_get(connection=connection, handler_id=2)
    services.handler_set_enabled(connection=connection, user=owner, current=current, enabled=True)
    sandbox.clear_requests()
    with pytest.raises(RateLimited) as caught:
        services.handler_update(
            connection=connection,
            user=owner,
            current=current,
            name="Renamed",
            type=current.type,
            settings={},
        )
    assert "limit of 60 requests a minute is reached; try again in" in caught.value.message
    assert sandbox.requests == []


def test_requests_made_with_the_key_elsewhere_are_counted(
    sandbox, connection: Connection, api_key: str
) -> None:
    elsewhere = SoclookClient(base_url=sandbox.base_url, api_key=api_key)
    for _ in range(50):
        elsewhere.list_handlers(ListQuery(results_per_page=10))
    for _ in range(12):
        selectors.handler_page(connection=connection, query=ListQuery(), refresh=True)
    dashboard_requests = len(sandbox.requests) - 50
    assert dashboard_requests == 7
    assert all(request.status == 200 for request in sandbox.requests)


def test_a_429_from_the_service_stops_further_requests_until_its_reset(
    sandbox, connection: Connection
) -> None:
    selectors.handler_page(connection=connection, query=ListQuery())
    sandbox.add_fault(Fault("rate_limit", method="GET"))
    page = selectors.handler_page(connection=connection, query=ListQuery(), refresh=True)
    assert page.is_stale
    sandbox.clear_requests()
    page = selectors.handler_page(connection=connection, query=ListQuery(), refresh=True)
    assert page.is_stale
    assert sandbox.requests == []
