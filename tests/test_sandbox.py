"""The Soclook sandbox, over real HTTP: it must behave like the live service, quirks included."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from handlers_app.sandbox import Fault, Sandbox

KNOWN_TYPES = {
    "email",
    "webhook",
    "slack",
    "discord",
    "telegram",
    "microsoft_teams",
    "x",
    "push_subscriber_id",
}

VALID_SETTINGS = {
    "email": {"email": "team@example.com"},
    "webhook": {"webhook": "https://example.com/hook"},
    "slack": {"slack": "https://hooks.slack.com/services/T0/B0/abc"},
    "discord": {"discord": "https://discord.com/api/webhooks/1/abc"},
    "telegram": {"telegram": "123:AAabc", "telegram_chat_id": "-1001"},
    "microsoft_teams": {"microsoft_teams": "https://outlook.office.com/webhook/abc"},
    "x": {
        "x_consumer_key": "ck",
        "x_consumer_secret": "cs",
        "x_access_token": "at",
        "x_access_token_secret": "ats",
    },
    "push_subscriber_id": {"push_subscriber_id": "42"},
}


class Api:
    """A bare HTTP caller for one account, sending forms as multipart like the real client."""

    def __init__(self, base_url: str, key: str | None) -> None:
        self.base_url = base_url
        self.key = key
        self.session = requests.Session()
        self.session.trust_env = False

    def call(self, method: str, path: str, *, form: dict[str, str] | None = None, **kw: Any):
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        files = {name: (None, value) for name, value in (form or {}).items()} or None
        kw.setdefault("timeout", 5)
        return self.session.request(
            method, self.base_url + path, headers=headers, files=files, **kw
        )

    def list(self, **params: Any) -> requests.Response:
        return self.call("GET", "notification-handlers/", params=params)

    def get(self, handler_id: int) -> requests.Response:
        return self.call("GET", f"notification-handlers/{handler_id}")

    def create(self, **form: str) -> requests.Response:
        return self.call("POST", "notification-handlers", form=form)

    def update(self, handler_id: int, **form: str) -> requests.Response:
        return self.call("POST", f"notification-handlers/{handler_id}", form=form)

    def delete(self, handler_id: int) -> requests.Response:
        return self.call("DELETE", f"notification-handlers/{handler_id}")


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


def titles(response: requests.Response) -> list[str]:
    return [error["title"] for error in response.json()["errors"]]


def error_status(response: requests.Response) -> int | str:
    return response.json()["errors"][0]["status"]


# --- listing --------------------------------------------------------------------------------


def test_list_gives_the_first_25_handlers_by_id(client: Api) -> None:
    body = client.list().json()

    assert [h["id"] for h in body["data"]] == sorted(h["id"] for h in body["data"])
    assert len(body["data"]) == 25
    assert body["meta"] == {
        "page": "1",
        "results_per_page": 25,
        "total_results": 40,
        "total_pages": 2,
    }


def test_list_answers_with_and_without_a_trailing_slash(client: Api) -> None:
    with_slash = client.call("GET", "notification-handlers/")
    without_slash = client.call("GET", "notification-handlers")

    assert with_slash.status_code == without_slash.status_code == 200
    assert with_slash.json()["data"] == without_slash.json()["data"]


def test_list_pages_through_the_handlers(client: Api) -> None:
    second = client.list(page=2, results_per_page=10).json()

    assert len(second["data"]) == 10
    assert second["meta"]["page"] == "2"
    assert second["links"]["prev"].endswith("results_per_page=10&page=1")
    assert second["links"]["next"].endswith("results_per_page=10&page=3")
    assert second["links"]["last"].endswith("results_per_page=10&page=4")


def test_a_page_past_the_last_is_empty_not_an_error(client: Api) -> None:
    response = client.list(page=99)

    assert response.status_code == 200
    assert response.json()["data"] == []
    assert response.json()["links"]["next"] is None


def test_an_unsupported_page_size_silently_becomes_25(client: Api) -> None:
    for size in ("7", "abc", "2000"):
        body = client.list(results_per_page=size).json()
        assert body["meta"]["results_per_page"] == 25
        assert len(body["data"]) == 25


def test_links_follow_the_services_odd_format(client: Api) -> None:
    links = client.list().json()["links"]

    assert links["first"] == f"{client.base_url}notification-handlers?&page=1"
    assert links["self"] == links["first"]
    assert links["prev"] is None


def test_links_last_is_null_when_nothing_matches(client: Api) -> None:
    body = client.list(type="whatsapp").json()

    assert body["data"] == []
    assert body["links"]["last"] is None
    assert body["meta"]["total_results"] == 0


def test_list_filters_by_type_and_state(client: Api) -> None:
    slack = client.list(type="slack", results_per_page=100).json()["data"]
    waiting = client.list(is_enabled=2, results_per_page=100).json()["data"]

    assert slack and {h["type"] for h in slack} == {"slack"}
    assert waiting and {(h["type"], h["is_enabled"]) for h in waiting} == {("email", 2)}


def test_search_by_name_is_a_case_insensitive_substring_match(
    sandbox: Sandbox, client: Api, key: str
) -> None:
    sandbox.add_handler(key, type="webhook", name="Уведомления ПОДДЕРЖКИ", settings={})

    found = client.list(search="поддержк", search_by="name").json()["data"]

    assert [h["name"] for h in found] == ["Уведомления ПОДДЕРЖКИ"]


def test_search_without_search_by_is_ignored(client: Api) -> None:
    body = client.list(search="no such name anywhere").json()

    assert body["meta"]["total_results"] == 40


def test_list_orders_by_name_descending(client: Api) -> None:
    names = [h["name"] for h in client.list(order_by="name", order_type="DESC").json()["data"]]

    assert names == sorted(names, key=str.casefold, reverse=True)


def test_an_invalid_order_falls_back_to_id_ascending(client: Api) -> None:
    data = client.list(order_by="type", order_type="sideways").json()["data"]

    assert [h["id"] for h in data] == sorted(h["id"] for h in data)


def test_ordering_by_last_use_puts_never_used_handlers_first(client: Api) -> None:
    data = client.list(order_by="last_datetime", results_per_page=100).json()["data"]
    stamps = [h["last_datetime"] for h in data]

    never = [s for s in stamps if s is None]
    assert stamps[: len(never)] == never
    assert stamps[len(never) :] == sorted(stamps[len(never) :])


def test_live_handlers_carry_int_state_user_id_and_email_confirmation(client: Api) -> None:
    first = client.get(1).json()["data"]

    assert first["type"] == "email"
    assert first["is_enabled"] == 1
    assert isinstance(first["user_id"], int)
    assert first["settings"]["email_is_confirmed"] is True


def test_seed_variant_uses_the_documented_shapes(sandbox: Sandbox, client: Api) -> None:
    sandbox.variant = "seed"

    body = client.list(results_per_page=100).json()

    assert body["meta"] == {"page": 1, "results_per_page": 100, "total": 40, "total_pages": 1}
    states = {h["id"]: h["is_enabled"] for h in body["data"]}
    assert set(states.values()) == {True, False}
    waiting = next(h for h in body["data"] if h["type"] == "email" and not h["is_enabled"])
    assert "email_is_confirmed" not in waiting["settings"]
    assert "user_id" not in waiting


def test_a_seeded_account_covers_every_type_and_some_unknown_ones(
    sandbox: Sandbox, key: str
) -> None:
    stored = sandbox.handlers(key)
    types = {h["type"] for h in stored}

    assert len(stored) == 40
    assert types >= KNOWN_TYPES
    assert {"twilio", "google_chat"} <= types
    assert {h["is_enabled"] for h in stored} == {0, 1, 2}
    assert any(h["name"].isascii() for h in stored)
    assert any(not h["name"].isascii() for h in stored)
    assert all(len(h["datetime"]) == len("2025-04-04 08:01:10") for h in stored)


def test_a_small_seed_has_no_unknown_types(sandbox: Sandbox) -> None:
    key = sandbox.add_account(seed=8)

    assert {h["type"] for h in sandbox.handlers(key)} == KNOWN_TYPES


def test_one_handler_is_returned_with_its_settings_as_an_object(client: Api) -> None:
    response = client.call("GET", "notification-handlers/3/")

    assert response.status_code == 200
    assert response.json()["data"]["id"] == 3
    assert isinstance(response.json()["data"]["settings"], dict)


# --- creating -------------------------------------------------------------------------------


def test_create_answers_201_with_settings_as_a_json_string(sandbox: Sandbox, client: Api) -> None:
    response = client.create(name="Ops", type="slack", slack="https://hooks.slack.com/x/y")

    assert response.status_code == 201
    data = response.json()["data"]
    assert json.loads(data["settings"]) == {"slack": "https://hooks.slack.com/x/y"}
    assert data["is_enabled"] == 1
    assert data["last_datetime"] is None
    assert sandbox.handlers(client.key)[-1]["id"] == data["id"]


def test_create_in_the_seed_variant_answers_only_the_id(sandbox: Sandbox, client: Api) -> None:
    sandbox.variant = "seed"

    response = client.create(name="Ops", type="discord", discord="https://discord.com/x")

    assert response.status_code == 200
    assert response.json() == {"data": {"id": sandbox.handlers(client.key)[-1]["id"]}}


def test_create_accepts_urlencoded_forms(sandbox: Sandbox, client: Api) -> None:
    response = client.session.post(
        client.base_url + "notification-handlers",
        headers={"Authorization": f"Bearer {client.key}"},
        data={"name": "Дежурные", "type": "telegram", "telegram": "1:AA", "telegram_chat_id": "5"},
    )

    assert response.status_code == 201
    assert sandbox.handlers(client.key)[-1]["settings"] == {
        "telegram": "1:AA",
        "telegram_chat_id": "5",
    }


@pytest.mark.parametrize("type_", sorted(VALID_SETTINGS))
def test_every_type_can_be_created_with_its_fields(client: Api, type_: str) -> None:
    response = client.create(name="New", type=type_, **VALID_SETTINGS[type_])

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("type_", "missing"),
    [
        ("email", "email"),
        ("telegram", "telegram_chat_id"),
        ("x", "x_access_token_secret"),
        ("push_subscriber_id", "push_subscriber_id"),
    ],
)
def test_create_without_a_required_setting_answers_401_naming_it(
    sandbox: Sandbox, client: Api, type_: str, missing: str
) -> None:
    form = {k: v for k, v in VALID_SETTINGS[type_].items() if k != missing}

    response = client.create(name="New", type=type_, **form)

    assert response.status_code == 401
    assert missing in titles(response)[0]
    assert error_status(response) == "401"
    assert len(sandbox.handlers(client.key)) == 40


def test_create_without_a_name_answers_401(client: Api) -> None:
    response = client.create(type="email", email="a@example.com")

    assert response.status_code == 401
    assert "name" in titles(response)[0]


def test_create_with_a_json_body_sees_no_fields(client: Api) -> None:
    response = client.session.post(
        client.base_url + "notification-handlers",
        headers={"Authorization": f"Bearer {client.key}"},
        json={"name": "Ops", "type": "email", "email": "a@example.com"},
    )

    assert response.status_code == 401
    assert "name" in titles(response)[0]


@pytest.mark.parametrize("type_", ["sms", "twilio"])
def test_create_of_a_type_soclook_does_not_offer_answers_401(client: Api, type_: str) -> None:
    response = client.create(name="New", type=type_, twilio="+79990000000")

    assert response.status_code == 401
    assert type_ in titles(response)[0]


def test_create_keeps_at_most_128_name_and_512_setting_characters(
    sandbox: Sandbox, client: Api
) -> None:
    client.create(name="я" * 300, type="webhook", webhook="https://example.com/" + "a" * 900)

    stored = sandbox.handlers(client.key)[-1]
    assert len(stored["name"]) == 128
    assert len(stored["settings"]["webhook"]) == 512


def test_a_new_email_handler_waits_for_confirmation(sandbox: Sandbox, client: Api) -> None:
    data = client.create(name="Mail", type="email", email="a@example.com").json()["data"]

    assert data["is_enabled"] == 2
    assert json.loads(data["settings"])["email_is_confirmed"] is False
    sandbox.confirm_email(client.key, data["id"])
    assert client.get(data["id"]).json()["data"]["is_enabled"] == 1


def test_email_confirmation_can_be_switched_off(sandbox: Sandbox, client: Api) -> None:
    sandbox.email_confirmation = False

    data = client.create(name="Mail", type="email", email="a@example.com").json()["data"]

    assert data["is_enabled"] == 1


def test_ids_increase_across_accounts(sandbox: Sandbox, client: Api) -> None:
    other = sandbox.add_account(seed=3)

    created = client.create(name="Hook", type="webhook", webhook="https://example.com/h")

    assert created.json()["data"]["id"] > max(h["id"] for h in sandbox.handlers(other))


def test_plan_limit_refuses_one_handler_too_many(sandbox: Sandbox, client: Api) -> None:
    slack_count = sum(1 for h in sandbox.handlers(client.key) if h["type"] == "slack")
    sandbox.set_plan_limit(client.key, "slack", slack_count + 1)

    first = client.create(name="One more", type="slack", slack="https://hooks.slack.com/a")
    second = client.create(name="Too many", type="slack", slack="https://hooks.slack.com/b")

    assert first.status_code == 201
    assert second.status_code == 401
    assert second.json() == {
        "errors": [
            {
                "title": "Вы достигли лимита обработчиков этого типа на вашем тарифе.",
                "status": "401",
            }
        ]
    }


# --- updating -------------------------------------------------------------------------------


def test_update_without_type_blanks_the_type(sandbox: Sandbox, client: Api) -> None:
    response = client.update(5, name="Renamed")

    assert response.status_code == 200
    stored = next(h for h in sandbox.handlers(client.key) if h["id"] == 5)
    assert stored["type"] == ""
    assert stored["settings"] == {}
    assert stored["name"] == "Renamed"


def test_update_without_type_keeps_only_the_settings_sent(sandbox: Sandbox, client: Api) -> None:
    client.update(5, telegram_chat_id="777")

    stored = next(h for h in sandbox.handlers(client.key) if h["id"] == 5)
    assert stored["settings"] == {"telegram_chat_id": "777"}


def test_update_with_type_keeps_the_omitted_settings(sandbox: Sandbox, client: Api) -> None:
    before = next(h for h in sandbox.handlers(client.key) if h["id"] == 5)

    response = client.update(5, type="telegram", telegram_chat_id="777")

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["type"] == "telegram"
    assert json.loads(data["settings"]) == {
        "telegram": before["settings"]["telegram"],
        "telegram_chat_id": "777",
    }


def test_update_toggles_the_state_and_stamps_last_datetime(sandbox: Sandbox, client: Api) -> None:
    client.update(3, type="slack", is_enabled="0")

    stored = next(h for h in sandbox.handlers(client.key) if h["id"] == 3)
    assert stored["is_enabled"] == 0
    assert stored["last_datetime"] is not None
    client.update(3, type="slack", is_enabled="1")
    assert client.get(3).json()["data"]["is_enabled"] == 1


def test_enabling_an_unconfirmed_email_keeps_it_waiting(sandbox: Sandbox, client: Api) -> None:
    waiting = next(h for h in sandbox.handlers(client.key) if h["is_enabled"] == 2)

    client.update(waiting["id"], type="email", is_enabled="1")

    assert client.get(waiting["id"]).json()["data"]["is_enabled"] == 2


def test_update_refuses_an_is_enabled_other_than_0_or_1(client: Api) -> None:
    response = client.update(3, type="slack", is_enabled="true")

    assert response.status_code == 401
    assert "is_enabled" in titles(response)[0]


def test_a_handler_of_an_unknown_type_can_be_renamed(sandbox: Sandbox, client: Api) -> None:
    twilio = next(h for h in sandbox.handlers(client.key) if h["type"] == "twilio")

    response = client.update(twilio["id"], name="SMS", type="twilio")

    assert response.status_code == 200
    stored = next(h for h in sandbox.handlers(client.key) if h["id"] == twilio["id"])
    assert stored["settings"] == twilio["settings"]


def test_update_in_the_seed_variant_answers_only_the_id(sandbox: Sandbox, client: Api) -> None:
    sandbox.variant = "seed"

    response = client.update(3, type="slack", name="Renamed")

    assert response.status_code == 200
    assert response.json() == {"data": {"id": 3}}


# --- deleting -------------------------------------------------------------------------------


def test_delete_answers_200_with_an_empty_body(sandbox: Sandbox, client: Api) -> None:
    response = client.delete(4)

    assert response.status_code == 200
    assert response.content == b""
    assert 4 not in {h["id"] for h in sandbox.handlers(client.key)}


def test_delete_can_answer_204(sandbox: Sandbox, client: Api) -> None:
    sandbox.delete_status = 204

    response = client.delete(4)

    assert response.status_code == 204
    assert response.content == b""


def test_deleting_a_missing_handler_answers_404(client: Api) -> None:
    client.delete(4)

    response = client.delete(4)

    assert response.status_code == 404
    assert error_status(response) == 404


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
