"""What was pasted where something else belongs: a channel link for a webhook, a username for a
bot token, a webhook on another host. The form and the import refuse each with the same words
(the registry's, handlers_app.soclook.types.pastes), in the reader's language, and nothing is
sent to Soclook."""

# Russian text is the point of the message checks, not look-alike characters.
# ruff: noqa: RUF001

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from handlers_app.models import Connection
from handlers_app.sandbox import Sandbox
from tests.helpers import client_for
from tests.imports_support import csv_upload, row_html, upload

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
RU = {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9"}

SLACK_CHANNEL = "https://acme-team.slack.com/archives/C0123456789"
DISCORD_CHANNEL = "https://discord.com/channels/112233445566778899/998877665544332211"
TEAMS_CHANNEL = (
    "https://teams.microsoft.com/l/channel/19%3a0123abc%40thread.tacv2/General"
    "?groupId=0a1b2c3d&tenantId=4e5f6a7b"
)

WRONG_PASTES = [
    ({"type": "slack", "slack": SLACK_CHANNEL}, "This is a link to a Slack channel"),
    (
        {"type": "slack", "slack": "https://example.org/not-slack"},
        "This address is on example.org, not on Slack",
    ),
    ({"type": "discord", "discord": DISCORD_CHANNEL}, "This is a link to a Discord channel"),
    (
        {"type": "discord", "discord": "https://example.org/api/webhooks/1/abc"},
        "This address is on example.org, not on Discord",
    ),
    (
        {"type": "microsoft_teams", "microsoft_teams": TEAMS_CHANNEL},
        "This is a link to a Teams channel",
    ),
    (
        {"type": "telegram", "telegram": "@BotFather", "telegram_chat_id": "-1001234567890"},
        "@BotFather is a Telegram username, not a bot token",
    ),
    (
        {"type": "telegram", "telegram": "123456789:AAHtoken", "telegram_chat_id": "@userinfobot"},
        "@userinfobot is a bot, and a bot cannot write to another bot",
    ),
    (
        {
            "type": "telegram",
            "telegram": "123456789:AAHtoken",
            "telegram_chat_id": "123456789:AAHtoken",
        },
        "This is a bot token, not a chat ID",
    ),
    (
        {"type": "telegram", "telegram": "123456789:AAHtoken", "telegram_chat_id": "t.me/acme"},
        "For a public channel write its name as @acme",
    ),
]


@pytest.fixture
def client(editor: User) -> Client:
    return client_for(editor)


def text_of(markup: str) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", markup).split()))


def new_url(connection: Connection) -> str:
    return reverse("handler_new", args=[connection.pk])


@pytest.mark.parametrize(("typed", "message"), WRONG_PASTES)
def test_the_form_says_what_was_pasted_and_sends_nothing(
    client: Client, connection: Connection, sandbox: Sandbox, typed: dict, message: str
) -> None:
    sandbox.clear_requests()

    response = client.post(new_url(connection), {"name": "Alerts", **typed}, **EN)

    assert response.status_code == 200
    assert message in text_of(response.content.decode())
    assert [r for r in sandbox.requests if r.method == "POST"] == []


def test_the_form_says_it_in_russian(client: Client, connection: Connection) -> None:
    typed = {"type": "slack", "slack": SLACK_CHANNEL}

    response = client.post(new_url(connection), {"name": "Alerts", **typed}, **RU)

    assert "Это ссылка на канал Slack, а не адрес вебхука" in text_of(response.content.decode())


@pytest.mark.parametrize(
    "typed",
    [
        {"type": "slack", "slack": "https://hooks.slack.com/services/T0/B0/abcDEF123"},
        {"type": "slack", "slack": "https://hooks.slack.com/triggers/T0/123/abcDEF"},
        {"type": "discord", "discord": "https://discordapp.com/api/webhooks/42/abc-DEF_1"},
        {"type": "discord", "discord": "https://discord.com/api/v10/webhooks/42/abcDEF"},
        {"type": "microsoft_teams", "microsoft_teams": "https://acme.webhook.office.com/w/1"},
        {"type": "telegram", "telegram": "123456789:AAH-x_y", "telegram_chat_id": "@acme_news"},
    ],
)
def test_the_services_own_addresses_and_tokens_are_accepted(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, typed: dict
) -> None:
    response = client.post(new_url(connection), {"name": "Right paste", **typed}, **EN)

    assert response.status_code == 302
    assert "Right paste" in [h["name"] for h in sandbox.handlers(api_key)]


def test_the_import_refuses_the_same_pastes_row_by_row_in_the_readers_language(
    client: Client, connection: Connection
) -> None:
    content = (
        "type,name,slack,discord,telegram,telegram_chat_id\n"
        f"slack,Channel link,{SLACK_CHANNEL},,,\n"
        "slack,Other host,https://example.org/not-slack,,,\n"
        f"discord,Discord channel,,{DISCORD_CHANNEL},,\n"
        "telegram,Username,,,@BotFather,-1001234567890\n"
        "slack,Right,https://hooks.slack.com/services/T0/B0/abcDEF123,,,\n"
    )
    response = client.post(
        reverse("handler_import", args=[connection.pk]),
        {"file": csv_upload(content)},
        follow=True,
        **RU,
    )

    page = response.content.decode()
    assert "Это ссылка на канал Slack, а не адрес вебхука" in text_of(row_html(page, 2))
    assert "Этот адрес на example.org, а не в Slack" in text_of(row_html(page, 3))
    assert "Это ссылка на канал или сервер Discord" in text_of(row_html(page, 4))
    assert "@BotFather — имя пользователя Telegram" in text_of(row_html(page, 5))


def test_an_import_row_with_a_channel_link_is_not_created(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    response = upload(client, connection, f"type,name,slack\nslack,Channel,{SLACK_CHANNEL}\n")

    assert "This is a link to a Slack channel" in text_of(row_html(response.content.decode(), 2))
    assert "Channel" not in [h["name"] for h in sandbox.handlers(api_key)]
