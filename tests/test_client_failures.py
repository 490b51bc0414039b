"""How the Soclook client meets a wrong key or address, an unwell service and the rate limit,
against the local sandbox over real HTTP (a closed port stands in for an unreachable service).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from handlers_app.sandbox import Fault
from handlers_app.soclook.client import SoclookClient
from handlers_app.soclook.errors import BadKey, NotFound, OutcomeUnknown, RateLimited, Unavailable
from tests.client_support import EMAIL, closed_port_url, public_settings, sent, stored


@pytest.fixture
def key(sandbox) -> str:
    return sandbox.add_account(seed=40)


@pytest.fixture
def client(sandbox, key: str) -> SoclookClient:
    return SoclookClient(base_url=sandbox.base_url, api_key=key, backoff=0, label="test")


# --- keys and addresses --------------------------------------------------------------------


def test_a_wrong_key_on_a_read_is_a_bad_key(sandbox, key) -> None:
    client = SoclookClient(base_url=sandbox.base_url, api_key="sbx_not-a-real-key")
    with pytest.raises(BadKey) as caught:
        client.list_handlers()
    assert caught.value.status == 401
    assert "API key" in caught.value.message


def test_a_malformed_key_is_a_bad_key_without_a_request(sandbox) -> None:
    client = SoclookClient(base_url=sandbox.base_url, api_key="pasted with a space")
    with pytest.raises(BadKey):
        client.list_handlers()
    assert sandbox.requests == []


def test_an_address_without_the_api_is_unavailable_not_a_missing_handler(sandbox, key) -> None:
    client = SoclookClient(base_url=sandbox.base_url.replace("/api/", "/v2/"), api_key=key)
    with pytest.raises(Unavailable) as caught:
        client.list_handlers()
    assert not isinstance(caught.value, NotFound)
    assert caught.value.status == 404
    assert "address" in caught.value.message


# --- an unwell service ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["html_500", "json_500", "not_json", "truncated_json"])
def test_a_broken_answer_to_a_read_is_unavailable(sandbox, client, kind: str) -> None:
    sandbox.add_fault(Fault(kind))
    with pytest.raises(Unavailable) as caught:
        client.list_handlers()
    assert not isinstance(caught.value, OutcomeUnknown)
    assert "try again in a minute" in caught.value.message
    assert len(sent(sandbox, "GET")) == 1


def test_a_read_is_retried_after_a_503(sandbox, client) -> None:
    sandbox.add_fault(Fault("503", count=2))
    assert client.list_handlers().total == 40
    assert [r.status for r in sent(sandbox, "GET")] == [503, 503, 200]


def test_a_read_gives_up_after_its_retries(sandbox, client) -> None:
    sandbox.add_fault(Fault("503", count=3))
    with pytest.raises(Unavailable) as caught:
        client.list_handlers()
    assert caught.value.status == 503
    assert len(sent(sandbox, "GET")) == 3


def test_a_read_is_retried_after_a_dropped_connection(sandbox, client, key) -> None:
    sandbox.add_fault(Fault("drop", method="GET"))
    record = stored(sandbox, key, EMAIL)
    assert client.get_handler(record["id"]).id == record["id"]
    assert len(sent(sandbox, "GET")) == 2


def test_a_read_timeout_is_unavailable_and_not_retried(sandbox, key) -> None:
    client = SoclookClient(base_url=sandbox.base_url, api_key=key, timeout=0.5, backoff=0)
    sandbox.add_fault(Fault("slow"))
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        client.list_handlers()
    assert time.monotonic() - started < 3
    assert not isinstance(caught.value, OutcomeUnknown)
    assert len(sent(sandbox, "GET")) == 1


def test_a_write_is_never_retried_after_a_503(sandbox, client, key) -> None:
    sandbox.add_fault(Fault("503", count=5, method="POST"))
    with pytest.raises(Unavailable) as caught:
        client.create_handler(name="Ops", type="email", settings={"email": "ops@example.com"})
    assert not isinstance(caught.value, OutcomeUnknown)
    assert len(sent(sandbox, "POST")) == 1


def test_a_dropped_write_leaves_the_outcome_unknown(sandbox, client, key) -> None:
    sandbox.add_fault(Fault("drop", method="POST"))
    with pytest.raises(OutcomeUnknown) as caught:
        client.create_handler(name="Ops", type="email", settings={"email": "ops@example.com"})
    assert "Reload the list" in caught.value.message
    assert len(sent(sandbox, "POST")) == 1


def test_a_write_timeout_leaves_the_outcome_unknown_though_it_was_saved(sandbox, key) -> None:
    client = SoclookClient(base_url=sandbox.base_url, api_key=key, timeout=0.5)
    sandbox.add_fault(Fault("slow", method="POST"))
    with pytest.raises(OutcomeUnknown):
        client.create_handler(name="Ops", type="email", settings={"email": "ops@example.com"})
    assert len(sent(sandbox, "POST")) == 1
    assert sandbox.handlers(key)[-1]["name"] == "Ops"


def test_a_delete_timeout_leaves_the_outcome_unknown(sandbox, key) -> None:
    client = SoclookClient(base_url=sandbox.base_url, api_key=key, timeout=0.5)
    sandbox.add_fault(Fault("slow", method="DELETE"))
    with pytest.raises(OutcomeUnknown):
        client.delete_handler(stored(sandbox, key, EMAIL)["id"])
    assert len(sent(sandbox, "DELETE")) == 1


@pytest.mark.parametrize("kind", ["truncated_json", "not_json"])
def test_an_unreadable_answer_to_a_write_leaves_the_outcome_unknown(sandbox, client, key, kind):
    sandbox.add_fault(Fault(kind, method="POST"))
    record = stored(sandbox, key, EMAIL)
    with pytest.raises(OutcomeUnknown):
        client.update_handler(
            handler_id=record["id"], name="x", type="email", settings=public_settings(record)
        )


def test_a_refused_connection_is_unavailable_even_for_a_write() -> None:
    client = SoclookClient(base_url=closed_port_url(), api_key="k" * 32, backoff=0)
    with pytest.raises(Unavailable) as caught:
        client.list_handlers()
    assert not isinstance(caught.value, OutcomeUnknown)
    with pytest.raises(Unavailable) as caught:
        client.create_handler(name="Ops", type="email", settings={"email": "ops@example.com"})
    assert not isinstance(caught.value, OutcomeUnknown)


# --- the rate limit ------------------------------------------------------------------------


def test_the_remaining_budget_is_tracked(sandbox, client) -> None:
    assert client.rate_limit_remaining is None
    client.list_handlers()
    client.list_handlers()
    assert client.rate_limit_remaining == 58


def test_a_spent_rate_limit_says_when_to_try_again(sandbox, client) -> None:
    sandbox.rate_limit = 3
    for _ in range(3):
        client.list_handlers()
    with pytest.raises(RateLimited) as caught:
        client.list_handlers()
    assert caught.value.status == 429
    assert 1 <= caught.value.retry_after <= 60
    assert f"try again in {caught.value.retry_after} s" in caught.value.message
    assert client.rate_limit_remaining == 0
    assert len(sent(sandbox, "GET")) == 4


def test_a_rate_limited_write_is_not_retried(sandbox, client) -> None:
    sandbox.add_fault(Fault("rate_limit", method="POST"))
    with pytest.raises(RateLimited):
        client.create_handler(name="Ops", type="email", settings={"email": "ops@example.com"})
    assert len(sent(sandbox, "POST")) == 1


@dataclass
class FakeBudget:
    refuse_for: int | None = None
    reserved: int = 0
    observed: list[dict[str, int | None]] = field(default_factory=list)

    def reserve(self) -> None:
        if self.refuse_for is not None:
            raise RateLimited(retry_after=self.refuse_for)
        self.reserved += 1

    def observe(
        self, *, status: int, limit: int | None, remaining: int | None, reset: int | None
    ) -> None:
        self.observed.append({"status": status, "limit": limit, "remaining": remaining})


def test_the_budget_is_asked_before_and_told_after_every_request(sandbox, key) -> None:
    budget = FakeBudget()
    client = SoclookClient(base_url=sandbox.base_url, api_key=key, budget=budget, backoff=0)
    sandbox.add_fault(Fault("503"))
    client.list_handlers()
    with pytest.raises(NotFound):
        client.get_handler(99_999)
    assert budget.reserved == 3
    assert budget.observed == [
        {"status": 503, "limit": None, "remaining": None},
        {"status": 200, "limit": 60, "remaining": 59},
        {"status": 404, "limit": 60, "remaining": 58},
    ]


def test_a_refusing_budget_stops_the_request_before_it_leaves(sandbox, key) -> None:
    client = SoclookClient(base_url=sandbox.base_url, api_key=key, budget=FakeBudget(17))
    with pytest.raises(RateLimited) as caught:
        client.create_handler(name="Ops", type="email", settings={"email": "ops@example.com"})
    assert caught.value.retry_after == 17
    assert sandbox.requests == []
