"""The Soclook sandbox creates, updates and deletes handlers like the live service, over real
HTTP, quirks included."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from handlers_app.sandbox import Sandbox
from tests.sandbox_support import VALID_SETTINGS, Api, error_status, titles


@pytest.fixture
def key(sandbox: Sandbox) -> str:
    return sandbox.add_account(seed=40)


@pytest.fixture
def client(sandbox: Sandbox, key: str) -> Iterator[Api]:
    api = Api(sandbox.base_url, key)
    yield api
    api.session.close()


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
