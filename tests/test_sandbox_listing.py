"""The Soclook sandbox lists handlers like the live service, over real HTTP: paging, filters,
search and order, quirks included."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from handlers_app.sandbox import Sandbox
from tests.sandbox_support import KNOWN_TYPES, Api


@pytest.fixture
def key(sandbox: Sandbox) -> str:
    return sandbox.add_account(seed=40)


@pytest.fixture
def client(sandbox: Sandbox, key: str) -> Iterator[Api]:
    api = Api(sandbox.base_url, key)
    yield api
    api.session.close()


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
