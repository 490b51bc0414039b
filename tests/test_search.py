"""The list's search looks in names and in the destination the list shows, from the cached copy,
never in a secret; a big account, searched by the service, is searched by name only."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from handlers_app.models import Connection
from tests.helpers import client_for


@pytest.fixture
def client(viewer: User, connection: Connection) -> Client:
    return client_for(viewer)


def found(client: Client, connection: Connection, search: str) -> list[int]:
    text = client.get(reverse("handler_list", args=[connection.pk]), {"search": search}).text
    return [int(i) for i in re.findall(r'<tr id="handler-(\d+)"', text)]


@pytest.fixture
def destinations(sandbox, api_key: str) -> dict[str, int]:
    added = {
        "email": sandbox.add_handler(
            api_key, type="email", name="Boss", settings={"email": "chief.officer@corp.example"}
        ),
        "webhook": sandbox.add_handler(
            api_key,
            type="webhook",
            name="CRM",
            settings={"webhook": "https://crm.zebra.example/in/SECRETtoken42"},
        ),
        "telegram": sandbox.add_handler(
            api_key,
            type="telegram",
            name="Duty bot",
            settings={"telegram": "777000:BOTsecretXYZ", "telegram_chat_id": "-1009988776655"},
        ),
    }
    return {kind: record["id"] for kind, record in added.items()}


def test_the_search_finds_a_handler_by_its_e_mail_address(
    client: Client, connection: Connection, destinations: dict[str, int]
) -> None:
    assert found(client, connection, "CHIEF.officer@corp") == [destinations["email"]]


def test_the_search_finds_a_handler_by_the_host_of_its_address(
    client: Client, connection: Connection, destinations: dict[str, int]
) -> None:
    assert found(client, connection, "zebra.example") == [destinations["webhook"]]


def test_the_search_finds_a_telegram_handler_by_the_end_of_its_chat_id(
    client: Client, connection: Connection, destinations: dict[str, int]
) -> None:
    assert found(client, connection, "6655") == [destinations["telegram"]]


@pytest.mark.parametrize("secret", ["SECRETtoken42", "/in/", "BOTsecret", "1009988776655"])
def test_the_search_never_looks_in_a_secret(
    client: Client, connection: Connection, destinations: dict[str, int], secret: str
) -> None:
    assert found(client, connection, secret) == []


def test_searching_destinations_costs_no_request(
    client: Client, connection: Connection, sandbox, destinations: dict[str, int]
) -> None:
    found(client, connection, "")
    sandbox.clear_requests()

    found(client, connection, "zebra")
    found(client, connection, "corp.example")

    assert sandbox.requests == []


def test_a_big_account_is_searched_by_name_and_says_so(
    client: Client, connection: Connection, sandbox, api_key: str
) -> None:
    for number in range(1000):
        sandbox.add_handler(
            api_key, type="email", name=f"Inbox {number}", settings={"email": "q@zebra.example"}
        )
    sandbox.add_handler(
        api_key, type="email", name="zebra desk", settings={"email": "desk@corp.example"}
    )
    text = client.get(reverse("handler_list", args=[connection.pk]), {"search": "zebra"}).text

    assert "Showing 1\N{EN DASH}1 of 1 handler" in text
    assert "zebra desk" in text
    assert "searched by name only" in text
    russian = client.get(
        reverse("handler_list", args=[connection.pk]),
        {"search": "zebra"},
        HTTP_ACCEPT_LANGUAGE="ru",
    ).text
    assert "поиск идёт только по названию" in russian
