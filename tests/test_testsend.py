"""What a test send sends to each kind of destination, and how their answers are explained.

Nothing here leaves this machine: webhooks go to a local server, the fixed services are answered
at the HTTP level behind the guard (tests/fake_destinations.py), and unknown names are not found.
Every test goes through the create form's "Send a test" button, as a person would press it.
"""

# Russian text is the point of the message checks, not look-alike characters.
# ruff: noqa: RUF001

from __future__ import annotations

import html
import json
import re
import socket
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse

from handlers_app.models import Connection
from handlers_app.testsend import destinations
from handlers_app.testsend.outcomes import EXCERPT_LENGTH
from tests.fake_destinations import Destination, Reply, Services, allow_local, running_destination
from tests.helpers import client_for

HTMX = {"HTTP_HX_REQUEST": "true"}
RU = {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}

TELEGRAM = {"telegram": "123456789:AAHtestTokenXyz987", "telegram_chat_id": "-1001234567890"}
SLACK_URL = "https://hooks.slack.com/services/T0001/B0002/SecretSlackPart42"
DISCORD_URL = "https://discord.com/api/webhooks/123456789/SecretDiscordPart42"
TEAMS_URL = "https://acme.webhook.office.com/webhookb2/abc/IncomingWebhook/def/SecretTeams42"
X = {
    "x_consumer_key": "consumerKey0001",
    "x_consumer_secret": "consumerSecret0002",
    "x_access_token": "42-accessToken0003",
    "x_access_token_secret": "accessTokenSecret0004",
}
MESSAGE = "Test from the Soclook dashboard (team Support): if you can read this, “On call” works."
MESSAGE_RU = "Тест из панели Soclook (команда Support): если вы это читаете, «On call» работает."


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Services:
    return Services(monkeypatch)


@pytest.fixture
def destination(settings) -> Iterator[Destination]:
    with running_destination() as running:
        allow_local(settings, running)
        yield running


def send_test(
    client: Client, connection: Connection, type_: str, settings: dict[str, str], **headers: str
) -> str:
    """Press "Send a test" on the create form (htmx); the result shown, as text."""
    response = client.post(
        reverse("handler_form_test", args=[connection.pk]),
        {"name": "On call", "type": type_, **settings},
        **HTMX,
        **(headers or EN),
    )
    assert response.status_code == 200
    return text_of(response.text)


def text_of(markup: str) -> str:
    """What a person reads: the text without the tags, on one line."""
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", markup).split()))


# --- what each kind of destination receives ----------------------------------------------------


def test_a_webhook_gets_a_small_json_document_and_delivery_is_shown(
    editor: User, connection: Connection, destination: Destination
) -> None:
    shown = send_test(client_for(editor), connection, "webhook", {"webhook": destination.url()})

    (request,) = destination.received
    assert request.method == "POST" and request.path == "/hook"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {"test": True, "handler": "On call", "message": MESSAGE}
    assert "Delivered. 127.0.0.1 accepted the test (HTTP 200)." in shown


def test_the_message_is_in_the_language_of_the_person_who_sends_it(
    editor: User, connection: Connection, destination: Destination
) -> None:
    shown = send_test(
        client_for(editor), connection, "webhook", {"webhook": destination.url()}, **RU
    )

    assert destination.received[0].json()["message"] == MESSAGE_RU
    assert "Доставлен. 127.0.0.1 принял тест (HTTP 200)." in shown


def test_slack_gets_its_incoming_webhook_format_with_mentions_escaped(
    editor: User, connection: Connection, services: Services
) -> None:
    services.answer(Reply(200, "ok"))
    client_for(editor).post(
        reverse("handler_form_test", args=[connection.pk]),
        {"name": "<!channel> & co", "type": "slack", "slack": SLACK_URL},
        **HTMX,
    )

    (request,) = services.received
    assert (request.method, request.url) == ("POST", SLACK_URL)
    assert request.json() == {
        "text": "Test from the Soclook dashboard (team Support): if you can read this, "
        "“&lt;!channel&gt; &amp; co” works."
    }


def test_discord_gets_its_webhook_format_and_may_mention_nobody(
    editor: User, connection: Connection, services: Services
) -> None:
    services.answer(Reply(204, b""))
    shown = send_test(client_for(editor), connection, "discord", {"discord": DISCORD_URL})

    (request,) = services.received
    assert (request.method, request.url) == ("POST", DISCORD_URL)
    assert request.json() == {"content": MESSAGE, "allowed_mentions": {"parse": []}}
    assert "Delivered. discord.com accepted the test (HTTP 204)." in shown


def test_microsoft_teams_gets_an_adaptive_card(
    editor: User, connection: Connection, services: Services
) -> None:
    services.answer(Reply(200, "1"))
    shown = send_test(
        client_for(editor), connection, "microsoft_teams", {"microsoft_teams": TEAMS_URL}
    )

    (request,) = services.received
    assert (request.method, request.url) == ("POST", TEAMS_URL)
    document = request.json()
    assert document["type"] == "message"
    (attachment,) = document["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert [block["type"] for block in card["body"]] == ["TextBlock"]
    assert card["body"][0]["text"] == MESSAGE
    assert "Delivered." in shown


def test_telegram_gets_send_message_through_the_bot_token(
    editor: User, connection: Connection, services: Services
) -> None:
    services.answer(Reply(200, '{"ok": true, "result": {"message_id": 7}}'))
    shown = send_test(client_for(editor), connection, "telegram", TELEGRAM)

    (request,) = services.received
    assert request.method == "POST"
    assert request.url == "https://api.telegram.org/bot123456789:AAHtestTokenXyz987/sendMessage"
    assert request.json() == {
        "chat_id": "-1001234567890",
        "text": MESSAGE,
        "disable_web_page_preview": True,
    }
    assert "Delivered. api.telegram.org accepted the test (HTTP 200)." in shown


def test_x_gets_a_signed_direct_message_to_the_account_itself_and_never_a_post(
    editor: User, connection: Connection, services: Services
) -> None:
    services.answer(
        Reply(200, '{"data": {"id": "4242", "username": "acme_alerts"}}'),
        Reply(201, '{"data": {"dm_event_id": "1"}}'),
    )
    shown = send_test(client_for(editor), connection, "x", X)

    me, message = services.received
    assert (me.method, me.url) == ("GET", "https://api.twitter.com/2/users/me")
    assert (message.method, message.url) == (
        "POST",
        "https://api.twitter.com/2/dm_conversations/with/4242/messages",
    )
    assert message.json() == {"text": MESSAGE}
    for request in (me, message):
        authorization = request.headers["Authorization"]
        assert authorization.startswith("OAuth ")
        assert 'oauth_consumer_key="consumerKey0001"' in authorization
        assert 'oauth_token="42-accessToken0003"' in authorization
        assert "consumerSecret0002" not in authorization
    assert not any("/tweets" in request.url for request in services.received)
    assert "Delivered. api.twitter.com accepted the test (HTTP 201)." in shown


def test_e_mail_goes_through_the_dashboards_own_mail_settings(
    editor: User, connection: Connection, services: Services
) -> None:
    shown = send_test(client_for(editor), connection, "email", {"email": "oncall@example.com"})

    (sent,) = mail.outbox
    assert sent.to == ["oncall@example.com"]
    assert sent.subject == "Test from the Soclook dashboard"
    assert MESSAGE in sent.body and "egor sent it" in sent.body
    assert services.received == []
    assert "Delivered. Handed to the dashboard's mail server for oncall@example.com." in shown


def test_a_push_subscriber_cannot_be_tested_from_outside_and_the_button_says_why(
    editor: User, connection: Connection, services: Services
) -> None:
    client = client_for(editor)
    form = client.get(reverse("handler_new", args=[connection.pk]) + "?type=push_subscriber_id")
    shown = send_test(client, connection, "push_subscriber_id", {"push_subscriber_id": "sub-1234"})

    assert "only Soclook can address, so no test can be sent from here" in text_of(form.text)
    assert "Not sent. Push notifications reach the browsers and devices" in shown
    assert services.received == [] and mail.outbox == []


# --- what each refusal means, in both languages ------------------------------------------------

REFUSALS = [
    pytest.param(
        "telegram",
        TELEGRAM,
        Reply(
            400, '{"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}'
        ),
        "Not delivered. Telegram does not know this chat, or the bot cannot see it.",
        "Не доставлен. Telegram не знает такого чата, или бот его не видит.",
        id="telegram-chat-not-found",
    ),
    pytest.param(
        "telegram",
        TELEGRAM,
        Reply(
            403,
            '{"ok": false, "error_code": 403, '
            '"description": "Forbidden: bot was blocked by the user"}',
        ),
        "The person blocked this bot in Telegram.",
        "Пользователь заблокировал этого бота в Telegram.",
        id="telegram-blocked",
    ),
    pytest.param(
        "telegram",
        TELEGRAM,
        Reply(401, '{"ok": false, "error_code": 401, "description": "Unauthorized"}'),
        "Telegram did not accept the bot token (Unauthorized).",
        "Telegram не принял токен бота (Unauthorized).",
        id="telegram-unauthorized",
    ),
    pytest.param(
        "slack",
        {"slack": SLACK_URL},
        Reply(404, "no_service"),
        "Slack no longer has this webhook (no_service): it was removed",
        "В Slack больше нет этого вебхука (no_service): его удалили",
        id="slack-no-service",
    ),
    pytest.param(
        "slack",
        {"slack": SLACK_URL},
        Reply(403, "invalid_token"),
        "Slack says the token in this webhook address is not valid (invalid_token).",
        "Slack сообщает, что токен в адресе вебхука недействителен (invalid_token).",
        id="slack-invalid-token",
    ),
    pytest.param(
        "slack",
        {"slack": SLACK_URL},
        Reply(404, "channel_not_found"),
        "The webhook's channel no longer exists in Slack (channel_not_found).",
        "Канала этого вебхука в Slack больше нет (channel_not_found).",
        id="slack-channel-not-found",
    ),
    pytest.param(
        "discord",
        {"discord": DISCORD_URL},
        Reply(404, '{"message": "Unknown Webhook", "code": 10015}'),
        "Discord does not know this webhook (Unknown Webhook)",
        "Discord не знает этого вебхука (Unknown Webhook)",
        id="discord-unknown-webhook",
    ),
    pytest.param(
        "microsoft_teams",
        {"microsoft_teams": TEAMS_URL},
        Reply(400, "Bad payload received by generic incoming webhook."),
        "Microsoft Teams refused the test (HTTP 400).",
        "Microsoft Teams отклонил тест (HTTP 400).",
        id="teams-400",
    ),
    pytest.param(
        "microsoft_teams",
        {"microsoft_teams": TEAMS_URL},
        Reply(404, ""),
        "Microsoft Teams does not know this webhook address (HTTP 404)",
        "Microsoft Teams не знает этого адреса вебхука (HTTP 404)",
        id="teams-404",
    ),
    pytest.param(
        "microsoft_teams",
        {"microsoft_teams": TEAMS_URL},
        Reply(403, ""),
        "Microsoft Teams did not accept this address (HTTP 403)",
        "Microsoft Teams не принял этот адрес (HTTP 403)",
        id="teams-403",
    ),
    pytest.param(
        "microsoft_teams",
        {"microsoft_teams": TEAMS_URL},
        Reply(200, "Webhook message delivery failed with error: Microsoft Teams endpoint "),
        "Microsoft Teams took the request but says it could not post the message",
        "Microsoft Teams принял запрос, но сообщает, что не смог опубликовать сообщение",
        id="teams-200-but-failed",
    ),
    pytest.param(
        "webhook",
        {"webhook": "https://hooks.example.com/alerts"},
        Reply(404, "Not Found"),
        "hooks.example.com refused the test with HTTP 404: there is nothing at this address.",
        "hooks.example.com отклонил тест с кодом HTTP 404: по этому адресу ничего нет.",
        id="webhook-404",
    ),
    pytest.param(
        "webhook",
        {"webhook": "https://hooks.example.com/alerts"},
        Reply(401, "Unauthorized"),
        "hooks.example.com refused the test with HTTP 401: it needs a sign-in or a token",
        "hooks.example.com отклонил тест с кодом HTTP 401: нужен вход или токен",
        id="webhook-401",
    ),
    pytest.param(
        "webhook",
        {"webhook": "https://hooks.example.com/alerts"},
        Reply(500, "Internal Server Error"),
        "hooks.example.com refused the test with HTTP 500: the receiving system failed.",
        "hooks.example.com отклонил тест с кодом HTTP 500: в принимающей системе произошёл сбой.",
        id="webhook-500",
    ),
    pytest.param(
        "webhook",
        {"webhook": "https://hooks.example.com/alerts"},
        Reply(429, "slow down", {"Retry-After": "30"}),
        "hooks.example.com is receiving too many messages right now (HTTP 429); try again in 30 s.",
        "hooks.example.com сейчас получает слишком много сообщений (HTTP 429); попробуйте снова "
        "через 30 с.",
        id="webhook-429",
    ),
    pytest.param(
        "x",
        X,
        Reply(401, '{"title": "Unauthorized", "detail": "Unauthorized", "status": 401}'),
        "X did not accept these keys and tokens (HTTP 401).",
        "X не принял эти ключи и токены (HTTP 401).",
        id="x-401",
    ),
    pytest.param(
        "x",
        X,
        Reply(403, '{"title": "Forbidden", "detail": "You are not permitted", "status": 403}'),
        "X refused the direct message (HTTP 403).",
        "X отклонил личное сообщение (HTTP 403).",
        id="x-403",
    ),
]


@pytest.mark.parametrize(("type_", "typed", "reply", "english", "russian"), REFUSALS)
def test_a_destinations_refusal_is_explained_in_plain_words_in_both_languages(
    type_: str,
    typed: dict[str, str],
    reply: Reply,
    english: str,
    russian: str,
    editor: User,
    connection: Connection,
    services: Services,
) -> None:
    services.answer(reply)
    client = client_for(editor)
    # Another destination for the second test: one handler takes a test every ten seconds.
    other = {key: value + "0" for key, value in typed.items()}

    assert english in send_test(client, connection, type_, typed, **EN)
    assert russian in send_test(client, connection, type_, other, **RU)


def test_the_destinations_answer_is_shown_short_escaped_and_without_the_secret(
    editor: User, connection: Connection, services: Services
) -> None:
    echo = f"<script>alert(1)</script> you posted to {SLACK_URL} " + "x" * 500
    services.answer(Reply(400, echo))
    response = client_for(editor).post(
        reverse("handler_form_test", args=[connection.pk]),
        {"name": "On call", "type": "slack", "slack": SLACK_URL},
        **HTMX,
    )

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<script>" not in response.text
    assert "SecretSlackPart42" not in response.text and "T0001/B0002" not in response.text
    excerpt = html.unescape(re.search(r"<q [^>]*>(.*?)</q>", response.text, re.S).group(1))
    assert excerpt.startswith("<script>alert(1)</script> you posted to •••• xxx")
    assert len(excerpt) <= EXCERPT_LENGTH and excerpt.endswith("…")


# --- what the network says -------------------------------------------------------------------


def test_a_name_that_does_not_exist_is_explained_in_both_languages(
    editor: User, connection: Connection, services: Services
) -> None:
    client = client_for(editor)
    typed = {"webhook": "https://no-such-host.example/hook"}

    shown = send_test(client, connection, "webhook", typed)
    shown_ru = send_test(client, connection, "webhook", {"webhook": typed["webhook"] + "2"}, **RU)

    assert "Not sent. No server named no-such-host.example could be found." in shown
    assert "Не отправлен. Сервер с именем no-such-host.example не найден." in shown_ru
    assert services.received == []


def test_a_refused_connection_is_explained_in_both_languages(
    editor: User, connection: Connection, settings
) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    settings.TEST_SEND_ALLOW_PRIVATE_ADDRESSES = True
    settings.TEST_SEND_ALLOWED_PORTS = [port]
    client = client_for(editor)

    shown = send_test(client, connection, "webhook", {"webhook": f"http://127.0.0.1:{port}/a"})
    shown_ru = send_test(
        client, connection, "webhook", {"webhook": f"http://127.0.0.1:{port}/b"}, **RU
    )

    assert "Not delivered. 127.0.0.1 refused the connection: nothing is listening" in shown
    assert "Не доставлен. 127.0.0.1 отказал в соединении" in shown_ru


def test_a_failed_secure_connection_is_explained_in_both_languages(
    editor: User, connection: Connection, destination: Destination
) -> None:
    client = client_for(editor)
    # The local server speaks plain HTTP: a TLS handshake with it fails as a bad certificate does.
    secure = destination.url().replace("http://", "https://")

    shown = send_test(client, connection, "webhook", {"webhook": secure})
    shown_ru = send_test(client, connection, "webhook", {"webhook": secure + "2"}, **RU)

    assert "The secure connection to 127.0.0.1 failed: its certificate is not valid" in shown
    assert "Не удалось установить защищённое соединение с 127.0.0.1" in shown_ru


def test_a_destination_that_never_answers_is_given_up_in_both_languages(
    editor: User, connection: Connection, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    port = silent.getsockname()[1]
    settings.TEST_SEND_ALLOW_PRIVATE_ADDRESSES = True
    settings.TEST_SEND_ALLOWED_PORTS = [port]
    monkeypatch.setattr(destinations, "DEADLINE_SECONDS", 1.0)
    client = client_for(editor)
    try:
        shown = send_test(client, connection, "webhook", {"webhook": f"http://127.0.0.1:{port}/a"})
        shown_ru = send_test(
            client, connection, "webhook", {"webhook": f"http://127.0.0.1:{port}/b"}, **RU
        )
    finally:
        silent.close()

    assert "127.0.0.1 did not answer within 1 s, so whether the test arrived is not known." in shown
    assert "127.0.0.1 не ответил за 1 с, поэтому неизвестно, дошёл ли тест." in shown_ru


def test_the_test_document_is_json_even_for_names_in_any_script(
    editor: User, connection: Connection, destination: Destination
) -> None:
    client_for(editor).post(
        reverse("handler_form_test", args=[connection.pk]),
        {"name": "Дежурные «алерты» 🚨", "type": "webhook", "webhook": destination.url()},
        **HTMX,
    )

    assert json.loads(destination.received[0].body.decode("utf-8"))["handler"] == (
        "Дежурные «алерты» 🚨"
    )
