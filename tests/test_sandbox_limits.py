"""The Soclook sandbox's keys, accounts and rate limit, over real HTTP, as the live service
has them."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from handlers_app.sandbox import Sandbox
from tests.sandbox_support import Api, titles


@pytest.fixture
def key(sandbox: Sandbox) -> str:
    return sandbox.add_account(seed=40)


@pytest.fixture
def client(sandbox: Sandbox, key: str) -> Iterator[Api]:
    api = Api(sandbox.base_url, key)
    yield api
    api.session.close()


@pytest.fixture
def small_sandbox() -> Iterator[Sandbox]:
    """A private sandbox with a budget of five requests, so the limit is reached quickly."""
    sandbox = Sandbox(rate_limit=5, window_seconds=60)
    sandbox.start()
    yield sandbox
    sandbox.stop()


# --- keys and accounts ----------------------------------------------------------------------


def test_a_missing_key_answers_401_with_a_string_status(sandbox: Sandbox, key: str) -> None:
    response = Api(sandbox.base_url, None).list()

    assert response.status_code == 401
    assert response.json() == {"errors": [{"title": "Неверный API ключ", "status": "401"}]}


def test_an_unknown_key_answers_401(sandbox: Sandbox, key: str) -> None:
    assert Api(sandbox.base_url, "sbx_wrong").get(1).status_code == 401


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_another_accounts_handler_is_not_found(sandbox: Sandbox, client: Api, method: str) -> None:
    other = sandbox.add_account(seed=2)
    foreign_id = sandbox.handlers(other)[0]["id"]

    response = client.call(method, f"notification-handlers/{foreign_id}", form={"name": "x"})

    assert response.status_code == 404
    assert sandbox.handlers(other)[0]["name"] != "x"


def test_an_unknown_path_answers_404_json(client: Api) -> None:
    for path in ("projects", "notification-handlers/1/extra", "../other"):
        response = client.call("GET", path)
        assert response.status_code == 404
        assert titles(response)


def test_put_is_not_allowed(client: Api) -> None:
    response = client.call("PUT", "notification-handlers/1", form={"name": "x"})

    assert response.status_code == 405
    assert titles(response)


# --- rate limit -----------------------------------------------------------------------------


def test_every_answer_carries_the_rate_limit_headers(client: Api) -> None:
    responses = [client.list(), client.get(999_999), client.create(name="x")]

    assert [r.headers["X-RateLimit-Limit"] for r in responses] == ["60"] * 3
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["59", "58", "57"]


def test_the_request_over_the_limit_answers_429_with_reset(small_sandbox: Sandbox) -> None:
    api = Api(small_sandbox.base_url, small_sandbox.add_account(seed=3))

    statuses = [api.list().status_code for _ in range(5)]
    refused = api.list()

    assert statuses == [200] * 5
    assert refused.status_code == 429
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert 0 < int(refused.headers["X-RateLimit-Reset"]) <= 60
    assert titles(refused)


def test_auth_failures_do_not_use_the_budget(small_sandbox: Sandbox) -> None:
    key = small_sandbox.add_account(seed=3)
    for _ in range(6):
        Api(small_sandbox.base_url, "sbx_wrong").list()

    assert Api(small_sandbox.base_url, key).list().headers["X-RateLimit-Remaining"] == "4"


def test_each_key_has_its_own_budget(small_sandbox: Sandbox) -> None:
    first = Api(small_sandbox.base_url, small_sandbox.add_account(seed=1))
    second = Api(small_sandbox.base_url, small_sandbox.add_account(seed=1))
    for _ in range(5):
        first.list()

    assert first.list().status_code == 429
    assert second.list().status_code == 200


def test_the_window_starts_again_once_it_has_passed() -> None:
    with Sandbox(rate_limit=1, window_seconds=0.2) as sandbox:
        api = Api(sandbox.base_url, sandbox.add_account(seed=1))
        assert api.list().status_code == 200
        assert api.list().status_code == 429
        time.sleep(0.25)
        assert api.list().status_code == 200
