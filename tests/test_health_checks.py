"""The silent checks, type by type: what each asks its destination (never a post), and what a
person reads for every answer: valid, revoked, removed from the chat, rate-limited, unreachable,
slow.

Nothing leaves this machine: the fixed services are answered at the HTTP level behind the guard
(tests/fake_destinations.py) and the e-mail check's name lookups by a stand-in for
`handlers_app.health.mail.resolve`. Every check goes through the edit page's "Check now" button.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from handlers_app import outbound
from handlers_app.health import mail
from handlers_app.models import Connection, HandlerHealth
from tests.fake_destinations import Reply, Services
from tests.helpers import client_for
from tests.test_testsend import DISCORD_URL, EN, HTMX, RU, TELEGRAM, X, text_of

TOKEN = TELEGRAM["telegram"]
BOT = Reply(200, '{"ok": true, "result": {"id": 1, "is_bot": true, "username": "alerts_bot"}}')
GROUP = Reply(200, '{"ok": true, "result": {"id": -1001234567890, "title": "#ops"}}')
TOO_MANY = Reply(
    429,
    '{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 17",'
    ' "parameters": {"retry_after": 17}}',
)
SLOW = Reply(fails=outbound.TimedOut(request_sent=True))
UNREACHABLE = Reply(fails=outbound.ConnectionRefused())


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Services:
    return Services(monkeypatch)


def add(sandbox, api_key: str, type_: str, settings: dict[str, str], name: str = "On call") -> int:
    return sandbox.add_handler(api_key, type=type_, name=name, settings=settings)["id"]


def check(user: User, connection: Connection, handler_id: int, **headers: str) -> str:
    """Press "Check now" on the edit page (htmx): what the health box then says."""
    response = client_for(user).post(
        reverse("handler_check", args=[connection.pk, handler_id]), **HTMX, **(headers or EN)
    )
    assert response.status_code == 200
    return text_of(response.text)


# --- Discord -----------------------------------------------------------------------------------


@pytest.fixture
def discord(sandbox, api_key: str) -> int:
    return add(sandbox, api_key, "discord", {"discord": DISCORD_URL})


def test_discord_reads_the_webhook_and_shows_its_name_and_channel(
    editor: User, connection: Connection, services: Services, discord: int
) -> None:
    services.answer(
        Reply(200, '{"id": "123456789", "type": 1, "name": "Alerts bot", "channel_id": "4242"}')
    )

    shown = check(editor, connection, discord)

    (request,) = services.received
    assert (request.method, request.url, request.body) == ("GET", DISCORD_URL, b"")
    assert "Fine Posts as “Alerts bot” to channel 4242. Checked just now" in shown
    assert "SecretDiscordPart42" not in shown


def test_a_deleted_discord_webhook_needs_attention(
    editor: User, connection: Connection, services: Services, discord: int
) -> None:
    services.answer(Reply(404, '{"message": "Unknown Webhook", "code": 10015}'))

    shown = check(editor, connection, discord)

    assert "Needs attention This Discord webhook was deleted: nothing posted to it arrives." in (
        shown
    )
    assert HandlerHealth.objects.get(handler_id=discord).state == "attention"


def test_a_discord_webhook_with_a_reset_token_needs_attention(
    editor: User, connection: Connection, services: Services, discord: int
) -> None:
    services.answer(Reply(401, '{"message": "Invalid Webhook Token", "code": 50027}'))

    assert "its token was reset" in check(editor, connection, discord)


def test_a_rate_limited_discord_check_says_when_and_cannot_tell(
    editor: User, connection: Connection, services: Services, discord: int
) -> None:
    services.answer(Reply(429, '{"message": "You are being rate limited.", "retry_after": 3.2}'))

    shown = check(editor, connection, discord)

    assert "Cannot be checked discord.com asked to wait 3 s" in shown


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        (UNREACHABLE, "discord.com could not be reached."),
        (SLOW, "discord.com did not answer within 5 s."),
    ],
)
def test_an_unreachable_or_slow_discord_cannot_be_checked(
    editor: User,
    connection: Connection,
    services: Services,
    discord: int,
    reply: Reply,
    said: str,
) -> None:
    services.answer(reply)

    assert f"Cannot be checked {said}" in check(editor, connection, discord)


# --- Telegram ----------------------------------------------------------------------------------


@pytest.fixture
def telegram(sandbox, api_key: str) -> int:
    return add(sandbox, api_key, "telegram", TELEGRAM)


def test_telegram_asks_who_the_bot_is_and_whether_it_sees_the_chat(
    editor: User, connection: Connection, services: Services, telegram: int
) -> None:
    services.answer(BOT, GROUP)

    shown = check(editor, connection, telegram)

    assert [(r.method, r.path) for r in services.received] == [
        ("GET", f"/bot{TOKEN}/getMe"),
        ("GET", f"/bot{TOKEN}/getChat"),
    ]
    assert services.received[1].url.endswith("?chat_id=-1001234567890")
    assert "Fine Posts as @alerts_bot to “#ops”." in shown
    assert TOKEN not in shown and "AAHtestToken" not in shown


def test_a_revoked_telegram_token_needs_attention(
    editor: User, connection: Connection, services: Services, telegram: int
) -> None:
    services.answer(Reply(401, '{"ok": false, "error_code": 401, "description": "Unauthorized"}'))

    shown = check(editor, connection, telegram)

    assert len(services.received) == 1
    assert "Telegram does not know this bot token: it was revoked or mistyped." in shown


def test_a_bot_removed_from_the_chat_is_named(
    editor: User, connection: Connection, services: Services, telegram: int
) -> None:
    kicked = Reply(
        403,
        '{"ok": false, "error_code": 403,'
        ' "description": "Forbidden: bot was kicked from the supergroup chat"}',
    )
    services.answer(BOT, kicked)

    assert "Needs attention The bot @alerts_bot was removed from this chat." in check(
        editor, connection, telegram
    )


def test_a_chat_the_bot_cannot_find_needs_attention_in_russian_too(
    editor: User, connection: Connection, services: Services, telegram: int
) -> None:
    services.answer(
        BOT,
        Reply(
            400, '{"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}'
        ),
    )

    shown = check(editor, connection, telegram, **RU)

    assert "Требует внимания Бот @alerts_bot не видит этот чат" in shown


def test_a_rate_limited_telegram_check_cannot_tell(
    editor: User, connection: Connection, services: Services, telegram: int
) -> None:
    services.answer(BOT, TOO_MANY)

    assert "api.telegram.org asked to wait 17 s" in check(editor, connection, telegram)


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        (UNREACHABLE, "api.telegram.org could not be reached."),
        (SLOW, "api.telegram.org did not answer within 5 s."),
    ],
)
def test_an_unreachable_or_slow_telegram_cannot_be_checked(
    editor: User,
    connection: Connection,
    services: Services,
    telegram: int,
    reply: Reply,
    said: str,
) -> None:
    services.answer(reply)

    assert f"Cannot be checked {said}" in check(editor, connection, telegram)


# --- X -----------------------------------------------------------------------------------------


@pytest.fixture
def x_handler(sandbox, api_key: str) -> int:
    return add(sandbox, api_key, "x", X)


def test_x_asks_who_the_keys_belong_to_signed_and_shows_the_handle(
    editor: User, connection: Connection, services: Services, x_handler: int
) -> None:
    services.answer(Reply(200, '{"data": {"id": "42", "name": "Ops", "username": "ops_alerts"}}'))

    shown = check(editor, connection, x_handler)

    (request,) = services.received
    assert (request.method, request.url) == ("GET", "https://api.twitter.com/2/users/me")
    assert request.headers["Authorization"].startswith("OAuth ")
    assert 'oauth_consumer_key="consumerKey0001"' in request.headers["Authorization"]
    assert "Fine Posts as @ops_alerts." in shown
    assert not any(secret in shown for secret in X.values())


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        (
            Reply(401, '{"title": "Unauthorized", "status": 401}'),
            "Needs attention X does not accept these keys: they were revoked or regenerated.",
        ),
        (Reply(403, '{"title": "Forbidden"}'), "Needs attention X refuses this account or app"),
        (
            Reply(429, '{"title": "Too Many Requests"}', headers={"Retry-After": "900"}),
            "Cannot be checked api.twitter.com asked to wait 900 s",
        ),
        (UNREACHABLE, "Cannot be checked api.twitter.com could not be reached."),
        (SLOW, "Cannot be checked api.twitter.com did not answer within 5 s."),
    ],
)
def test_x_answers(
    editor: User,
    connection: Connection,
    services: Services,
    x_handler: int,
    reply: Reply,
    said: str,
) -> None:
    services.answer(reply)

    assert said in check(editor, connection, x_handler)


# --- e-mail ------------------------------------------------------------------------------------


type Answer = list[str] | type[mail.LookupFailed]


@pytest.fixture
def name_servers(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[tuple[str, str]]]:
    """Answer the e-mail check's lookups from a table: {(name, type): records or an error}; a
    name missing from it has no records. Returns the lookups asked for."""
    asked: list[tuple[str, str]] = []
    table: dict[tuple[str, str], Answer] = {}

    def resolve(name: str, record_type: str, seconds: float) -> list[str]:
        asked.append((name, record_type))
        answer = table.get((name, record_type), [])
        if isinstance(answer, type):
            raise answer()
        return answer

    monkeypatch.setattr(mail, "resolve", resolve)

    def answer(**records: Answer) -> list[tuple[str, str]]:
        for key, value in records.items():
            name, _, record_type = key.rpartition("_")
            table[(name.replace("_", "."), record_type)] = value
        return asked

    return answer


@pytest.fixture
def email(sandbox, api_key: str) -> int:
    return add(sandbox, api_key, "email", {"email": "Team@Example.com"})


def test_an_email_domain_with_a_mail_server_is_fine(
    editor: User, connection: Connection, name_servers, email: int
) -> None:
    asked = name_servers(example_com_MX=["mx1.example.com", "mx2.example.com"])

    shown = check(editor, connection, email)

    assert asked == [("example.com", "MX")]
    assert "Fine example.com takes mail (its mail server is mx1.example.com)." in shown


def test_without_a_mail_server_the_domains_own_address_takes_mail(
    editor: User, connection: Connection, name_servers, email: int
) -> None:
    asked = name_servers(example_com_A=["93.184.215.14"])

    shown = check(editor, connection, email)

    assert asked == [("example.com", "MX"), ("example.com", "A")]
    assert "Fine example.com takes mail at its own address" in shown


@pytest.mark.parametrize(
    ("records", "said"),
    [
        (
            {"example_com_MX": mail.NoSuchDomain},
            "Needs attention The domain example.com does not exist: no mail reaches it.",
        ),
        ({"example_com_MX": [""]}, "Needs attention The domain example.com says it takes no mail."),
        ({}, "Needs attention example.com has no mail server and no address"),
        (
            {"example_com_MX": mail.LookupFailed},
            "Cannot be checked The mail servers of example.com could not be looked up just now.",
        ),
        (
            {"example_com_MX": mail.LookupTimedOut},
            "Cannot be checked The mail servers of example.com could not be looked up in 5 s.",
        ),
    ],
)
def test_email_answers(
    editor: User,
    connection: Connection,
    name_servers,
    email: int,
    records: dict[str, Answer],
    said: str,
) -> None:
    name_servers(**records)

    assert said in check(editor, connection, email)


# --- what holds for every check ----------------------------------------------------------------


def test_a_type_without_a_silent_check_says_only_a_test_can_tell_and_asks_nothing(
    editor: User, connection: Connection, services: Services, sandbox, api_key: str
) -> None:
    slack = add(sandbox, api_key, "slack", {"slack": "https://hooks.slack.com/services/T/B/x"})
    push = add(sandbox, api_key, "push_subscriber_id", {"push_subscriber_id": "42"})
    client = client_for(editor)

    slack_page = text_of(client.get(reverse("handler_edit", args=[connection.pk, slack])).text)
    push_page = text_of(client.get(reverse("handler_edit", args=[connection.pk, push])).text)

    assert "Slack offers no way to check a handler without posting to it: only “Send a test” " in (
        slack_page
    )
    assert "only an alert sent by Soclook can tell" in push_page
    assert "Check now" not in slack_page and "Check now" not in push_page
    assert services.received == []


def test_the_edit_page_shows_the_last_check(
    editor: User, connection: Connection, services: Services, discord: int
) -> None:
    services.answer(Reply(200, '{"id": "1", "name": "Alerts bot", "channel_id": "4242"}'))
    check(editor, connection, discord)

    page = client_for(editor).get(reverse("handler_edit", args=[connection.pk, discord]), **RU)

    assert "Публикует как «Alerts bot» в канал 4242. Проверено только что" in text_of(page.text)


def test_a_second_check_within_the_interval_waits_and_asks_nothing(
    editor: User, connection: Connection, services: Services, discord: int
) -> None:
    services.answer(Reply(200, '{"id": "1", "name": "Alerts bot", "channel_id": "4242"}'))
    check(editor, connection, discord)

    shown = check(editor, connection, discord)

    assert len(services.received) == 1
    assert "This handler was just checked or tested; try again in" in shown


def test_a_viewer_cannot_check(
    viewer: User, connection: Connection, services: Services, discord: int
) -> None:
    response = client_for(viewer).post(reverse("handler_check", args=[connection.pk, discord]))

    assert response.status_code == 403
    assert services.received == []


def test_without_javascript_the_edit_page_comes_back_with_the_finding(
    editor: User, connection: Connection, services: Services, discord: int
) -> None:
    services.answer(Reply(404, '{"message": "Unknown Webhook", "code": 10015}'))

    response = client_for(editor).post(
        reverse("handler_check", args=[connection.pk, discord]), follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("handler_edit", args=[connection.pk, discord])
    assert "This Discord webhook was deleted" in text_of(response.text)
