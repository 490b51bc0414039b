"""The faults the Soclook sandbox can be told to produce, its latency, its request log and reset."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import requests

from handlers_app.sandbox import Fault, Sandbox
from tests.sandbox_support import Api, titles


@pytest.fixture
def key(sandbox: Sandbox) -> str:
    return sandbox.add_account(seed=40)


@pytest.fixture
def client(sandbox: Sandbox, key: str) -> Iterator[Api]:
    api = Api(sandbox.base_url, key)
    yield api
    api.session.close()


# --- faults ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "content_type"),
    [
        ("html_500", 500, "text/html"),
        ("json_500", 500, "application/json"),
        ("503", 503, "text/html"),
        ("not_json", 200, "text/html"),
    ],
)
def test_a_fault_spoils_the_next_answer(
    sandbox: Sandbox, client: Api, kind: str, status: int, content_type: str
) -> None:
    sandbox.add_fault(Fault(kind))

    spoiled = client.list()

    assert spoiled.status_code == status
    assert spoiled.headers["Content-Type"].startswith(content_type)
    assert client.list().status_code == 200


def test_json_500_uses_the_error_shape(sandbox: Sandbox, client: Api) -> None:
    sandbox.add_fault(Fault("json_500"))

    assert client.list().json() == {"errors": [{"title": "Internal error", "status": 500}]}


def test_truncated_json_answers_200_with_invalid_json(sandbox: Sandbox, client: Api) -> None:
    sandbox.add_fault(Fault("truncated_json"))

    response = client.list()

    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_a_slow_answer_outlasts_a_short_client_timeout(sandbox: Sandbox, client: Api) -> None:
    sandbox.add_fault(Fault("slow"))

    with pytest.raises(requests.Timeout):
        client.call("GET", "notification-handlers", timeout=0.2)


def test_a_slow_write_still_happens(sandbox: Sandbox, client: Api) -> None:
    sandbox.add_fault(Fault("slow", method="POST"))

    with pytest.raises(requests.Timeout):
        client.call("POST", "notification-handlers/3", form={"name": "Late"}, timeout=0.2)

    assert next(h for h in sandbox.handlers(client.key) if h["id"] == 3)["name"] == "Late"


def test_a_dripping_answer_arrives_whole_through_reads_that_never_time_out(
    sandbox: Sandbox, client: Api
) -> None:
    sandbox.drip_seconds = 0.001
    sandbox.add_fault(Fault("drip", method="POST"))

    response = client.update(3, name="Dripped")

    assert response.json()["data"]["name"] == "Dripped"
    assert sandbox.requests[-1].fault == "drip"
    assert next(h for h in sandbox.handlers(client.key) if h["id"] == 3)["name"] == "Dripped"


def test_stop_cuts_a_slow_answer_short() -> None:
    sandbox = Sandbox()
    sandbox.start()
    api = Api(sandbox.base_url, sandbox.add_account(seed=1))
    sandbox.add_fault(Fault("slow"))
    outcome: list[object] = []
    caller = threading.Thread(target=lambda: outcome.append(_attempt(api)))
    caller.start()
    deadline = time.monotonic() + 2
    while not sandbox.requests and time.monotonic() < deadline:
        time.sleep(0.01)

    started = time.monotonic()
    sandbox.stop()
    caller.join(timeout=2)

    assert time.monotonic() - started < 1
    assert isinstance(outcome[0], requests.ConnectionError)


def _attempt(api: Api) -> object:
    try:
        return api.list()
    except requests.RequestException as error:
        return error


def test_a_rate_limit_fault_answers_429_with_reset(sandbox: Sandbox, client: Api) -> None:
    sandbox.add_fault(Fault("rate_limit"))

    response = client.list()

    assert response.status_code == 429
    assert int(response.headers["X-RateLimit-Reset"]) > 0
    assert titles(response)


def test_a_drop_fault_closes_the_connection_without_answering(
    sandbox: Sandbox, client: Api
) -> None:
    sandbox.add_fault(Fault("drop"))

    with pytest.raises(requests.ConnectionError):
        client.list()

    assert sandbox.requests[-1].status is None
    assert client.list().status_code == 200


def test_a_fault_only_hits_matching_requests_and_is_used_up(sandbox: Sandbox, client: Api) -> None:
    sandbox.add_fault(Fault("json_500", count=2, method="delete", path_contains="/7"))

    assert client.get(7).status_code == 200
    assert client.delete(8).status_code == 200
    assert [client.delete(7).status_code for _ in range(3)] == [500, 500, 200]


def test_clear_faults_forgets_pending_faults(sandbox: Sandbox, client: Api) -> None:
    sandbox.add_fault(Fault("503", count=5))

    sandbox.clear_faults()

    assert client.list().status_code == 200


def test_an_unknown_fault_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        Fault("explode")


# --- latency, the request log, reset --------------------------------------------------------


def test_latency_delays_every_answer(sandbox: Sandbox, client: Api) -> None:
    sandbox.latency_ms = 80

    started = time.monotonic()
    client.list()

    assert time.monotonic() - started >= 0.08


def test_the_request_log_records_what_was_asked_and_answered(sandbox: Sandbox, client: Api) -> None:
    client.list(page=2)
    client.update(3, type="slack", name="Renamed")
    Api(sandbox.base_url, None).get(3)

    first, second, third = sandbox.requests
    assert (first.method, first.path, first.query, first.status) == (
        "GET",
        "/api/notification-handlers/",
        {"page": "2"},
        200,
    )
    assert (second.method, second.path, second.form) == (
        "POST",
        "/api/notification-handlers/3",
        {"type": "slack", "name": "Renamed"},
    )
    assert second.api_key == client.key
    assert (third.api_key, third.status) == (None, 401)


def test_clear_requests_empties_the_log(sandbox: Sandbox, client: Api) -> None:
    client.list()

    sandbox.clear_requests()

    assert sandbox.requests == []


def test_reset_forgets_everything_and_restores_the_settings(sandbox: Sandbox, client: Api) -> None:
    sandbox.variant = "seed"
    sandbox.latency_ms = 50
    sandbox.add_fault(Fault("503"))

    sandbox.reset()

    assert (sandbox.variant, sandbox.latency_ms, sandbox.requests) == ("live", 0, [])
    assert client.list().status_code == 401
    with pytest.raises(KeyError):
        sandbox.handlers(client.key)
