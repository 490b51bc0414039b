"""The "Send a test" buttons: on the forms and on the list's rows; who may press them, how often,
what the guard refuses, what the journal and the list remember.

Nothing leaves this machine: webhooks go to a local server and the fixed services are answered
at the HTTP level (tests/fake_destinations.py).
"""

# Russian text is the point of some checks, not look-alike characters.
# ruff: noqa: RUF001

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from handlers_app.models import Connection, JournalEntry
from handlers_app.testsend.limits import (
    HANDLER_INTERVAL_SECONDS,
    HOUR,
    PERSON_TESTS_PER_HOUR,
    take_turn,
)
from tests.fake_destinations import Destination, Reply, Services, allow_local, running_destination
from tests.helpers import client_for
from tests.test_testsend import EN, HTMX, RU, TELEGRAM, text_of

CHAT_NOT_FOUND = Reply(
    400, '{"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}'
)


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Services:
    return Services(monkeypatch)


@pytest.fixture
def destination(settings) -> Iterator[Destination]:
    with running_destination() as running:
        allow_local(settings, running)
        yield running


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection or real name lookup fails the test: a refused address sends nothing."""

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a test send left for an address the guard must refuse")

    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr(socket, "getaddrinfo", forbidden)


def form_test_url(connection: Connection) -> str:
    return reverse("handler_form_test", args=[connection.pk])


def edit_test_url(connection: Connection, handler_id: int) -> str:
    return reverse("handler_edit_test", args=[connection.pk, handler_id])


def row_test_url(connection: Connection, handler_id: int) -> str:
    return reverse("handler_test", args=[connection.pk, handler_id])


def add_handler(sandbox, api_key: str, type_: str, name: str, settings: dict[str, str]) -> int:
    return sandbox.add_handler(api_key, type=type_, name=name, settings=settings)["id"]


def journalled_tests() -> list[JournalEntry]:
    return list(JournalEntry.objects.filter(action="handler_tested").order_by("id"))


# --- the forms ---------------------------------------------------------------------------------


def test_the_create_forms_button_keeps_everything_typed_without_javascript(
    editor: User, connection: Connection, destination: Destination
) -> None:
    typed = {"name": "Night shift", "type": "webhook", "webhook": destination.url("/night")}
    response = client_for(editor).post(form_test_url(connection), typed)

    assert response.status_code == 200
    assert 'value="Night shift"' in response.text
    assert f'value="{destination.url("/night")}"' in response.text
    assert f'action="{reverse("handler_new", args=[connection.pk])}"' in response.text
    assert "Delivered. 127.0.0.1 accepted the test (HTTP 200)." in text_of(response.text)
    assert [r.path for r in destination.received] == ["/night"]


def test_with_htmx_only_the_result_comes_back_so_the_form_is_left_as_typed(
    editor: User, connection: Connection, destination: Destination
) -> None:
    typed = {"name": "Night shift", "type": "webhook", "webhook": destination.url()}
    response = client_for(editor).post(form_test_url(connection), typed, **HTMX)

    assert response.text.lstrip().startswith('<div id="test-outcome"')
    assert "<form" not in response.text and "<input" not in response.text
    assert "Delivered." in text_of(response.text)


def test_an_edit_test_with_a_secret_left_empty_uses_the_stored_one_and_never_shows_it(
    editor: User, connection: Connection, destination: Destination, sandbox, api_key: str
) -> None:
    client = client_for(editor)
    answers = []
    for n, headers in enumerate([HTMX, {}]):
        stored = destination.url(f"/stored-Secret-7q2/{n}")
        handler_id = add_handler(sandbox, api_key, "webhook", "Stored hook", {"webhook": stored})
        typed = {"name": "Stored hook", "type": "webhook", "webhook": ""}
        answers.append(client.post(edit_test_url(connection, handler_id), typed, **headers))

    assert [r.path for r in destination.received] == [
        "/stored-Secret-7q2/0",
        "/stored-Secret-7q2/1",
    ]
    for response in answers:
        assert "Delivered." in text_of(response.text)
        assert "stored-Secret-7q2" not in response.text
    assert "Set, an address at 127.0.0.1; leave empty to keep it." in text_of(answers[1].text)


def test_an_edit_test_uses_a_newly_typed_secret_instead_of_the_stored_one(
    editor: User, connection: Connection, destination: Destination, sandbox, api_key: str
) -> None:
    handler_id = add_handler(
        sandbox, api_key, "webhook", "Hook", {"webhook": destination.url("/old")}
    )
    client_for(editor).post(
        edit_test_url(connection, handler_id),
        {"name": "Hook", "type": "webhook", "webhook": destination.url("/new")},
        **HTMX,
    )

    assert [r.path for r in destination.received] == ["/new"]
    assert sandbox.handlers(api_key)[-1]["settings"]["webhook"].endswith("/old")


def test_a_form_without_the_settings_says_what_is_missing_and_sends_nothing(
    editor: User, connection: Connection, destination: Destination
) -> None:
    client = client_for(editor)
    response = client.post(form_test_url(connection), {"type": "webhook", "webhook": ""}, **HTMX)
    response_ru = client.post(
        form_test_url(connection), {"type": "webhook", "webhook": ""}, **HTMX, **RU
    )

    assert "Not sent. Fill in the settings first: Webhook URL: This field is required." in (
        text_of(response.text)
    )
    assert "Не отправлен. Сначала заполните настройки:" in text_of(response_ru.text)
    assert destination.received == [] and journalled_tests() == []


def test_the_form_offers_a_test_where_one_is_possible_and_says_why_not_elsewhere(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    client = client_for(editor)
    new = reverse("handler_new", args=[connection.pk])
    webhook = client.get(new + "?type=webhook").text
    push = client.get(new + "?type=push_subscriber_id").text
    foreign = next(h for h in sandbox.handlers(api_key) if h["type"] == "twilio")
    unknown = client.get(reverse("handler_edit", args=[connection.pk, foreign["id"]])).text

    assert 'id="test-send-button"' in webhook
    assert reverse("handler_form_test", args=[connection.pk]) in webhook
    assert 'id="test-send-button"' not in push and "disabled" in push
    assert "no test can be sent from here" in text_of(push)
    assert "does not know this type, so it cannot send a test to it" in text_of(unknown)


# --- the rows ----------------------------------------------------------------------------------


def test_a_rows_test_uses_the_stored_settings_and_explains_a_failure_in_place(
    editor: User, connection: Connection, services: Services, sandbox, api_key: str
) -> None:
    handler_id = add_handler(sandbox, api_key, "telegram", "On-call Telegram", TELEGRAM)
    services.answer(CHAT_NOT_FOUND)
    response = client_for(editor).post(row_test_url(connection, handler_id), **HTMX)

    assert response.text.lstrip().startswith(f'<tr id="handler-{handler_id}"')
    shown = text_of(response.text)
    assert "last test failed: chat not found" in shown
    assert "Not delivered. Telegram does not know this chat, or the bot cannot see it." in shown
    assert "Its answer: Bad Request: chat not found" in shown
    (request,) = services.received
    assert request.url.endswith(f"/bot{TELEGRAM['telegram']}/sendMessage")
    assert request.json()["chat_id"] == TELEGRAM["telegram_chat_id"]


def test_without_javascript_a_rows_test_goes_back_to_the_list_with_the_result(
    editor: User, connection: Connection, destination: Destination, sandbox, api_key: str
) -> None:
    handler_id = add_handler(
        sandbox, api_key, "webhook", "Ops hook", {"webhook": destination.url("/ops")}
    )
    back = connection.get_absolute_url() + "?search=Ops"
    response = client_for(editor).post(
        row_test_url(connection, handler_id), {"next": back}, follow=True
    )

    assert response.redirect_chain == [(back, 302)]
    shown = text_of(response.text)
    assert "“Ops hook” — Delivered: 127.0.0.1 accepted the test (HTTP 200)." in shown
    assert "tested just now" in shown


def test_the_list_shows_each_handlers_last_test_without_asking_soclook_for_it(
    editor: User, connection: Connection, services: Services, sandbox, api_key: str
) -> None:
    good = add_handler(sandbox, api_key, "telegram", "Good bot", TELEGRAM)
    bad = add_handler(sandbox, api_key, "telegram", "Bad bot", {**TELEGRAM, "telegram": "1:AAx"})
    client = client_for(editor)
    page = connection.get_absolute_url() + "?results_per_page=100"
    client.get(page)
    services.answer(Reply(200, '{"ok": true}'))
    client.post(row_test_url(connection, good), **HTMX)
    services.answer(CHAT_NOT_FOUND)
    client.post(row_test_url(connection, bad), **HTMX)
    sandbox.clear_requests()

    shown = text_of(client.get(page).text)
    shown_ru = text_of(client.get(page, **RU).text)

    assert shown.count("tested just now") == 1
    assert shown.count("last test failed: chat not found") == 1
    assert "последний тест не прошёл: чат не найден" in shown_ru
    assert "проверен только что" in shown_ru
    assert [r.path for r in sandbox.requests] == []


def test_a_handler_deleted_elsewhere_leaves_the_list_when_tested(
    editor: User, connection: Connection, destination: Destination
) -> None:
    response = client_for(editor).post(row_test_url(connection, 999_999), **HTMX)

    assert response.status_code == 200
    assert "This handler no longer exists in Soclook" in text_of(response.text)
    assert destination.received == []


# --- who may, and how often ----------------------------------------------------------------


def test_a_viewer_cannot_send_a_test_and_nothing_is_sent(
    viewer: User, connection: Connection, destination: Destination, sandbox, api_key: str
) -> None:
    handler_id = add_handler(sandbox, api_key, "webhook", "Hook", {"webhook": destination.url()})
    client = client_for(viewer)
    typed = {"name": "Hook", "type": "webhook", "webhook": destination.url()}

    answers = [
        client.post(form_test_url(connection), typed, **HTMX).status_code,
        client.post(edit_test_url(connection, handler_id), typed).status_code,
        client.post(row_test_url(connection, handler_id), **HTMX).status_code,
    ]

    assert answers == [403, 403, 403]
    assert destination.received == [] and journalled_tests() == []


def test_one_handler_takes_one_test_every_ten_seconds(
    editor: User, owner: User, connection: Connection, destination: Destination, sandbox, api_key
) -> None:
    handler_id = add_handler(sandbox, api_key, "webhook", "Hook", {"webhook": destination.url()})
    client_for(editor).post(row_test_url(connection, handler_id), **HTMX)
    again = client_for(owner).post(row_test_url(connection, handler_id), **HTMX)
    again_ru = client_for(owner).post(row_test_url(connection, handler_id), **HTMX, **RU)

    assert len(destination.received) == 1
    assert "Not sent. A test was sent to this handler moments ago. The next one can go in" in (
        text_of(again.text)
    )
    assert "Тест на этот обработчик только что отправлялся. Следующий можно отправить через" in (
        text_of(again_ru.text)
    )
    assert len(journalled_tests()) == 1


def test_a_person_sends_at_most_thirty_tests_an_hour_and_is_told_when_to_try_again(
    editor: User, owner: User, connection: Connection, destination: Destination
) -> None:
    client = client_for(editor)
    for n in range(PERSON_TESTS_PER_HOUR):
        client.post(
            form_test_url(connection),
            {"type": "webhook", "webhook": destination.url(f"/{n}")},
            **HTMX,
        )
    over = client.post(
        form_test_url(connection), {"type": "webhook", "webhook": destination.url("/x")}, **HTMX
    )
    someone_else = client_for(owner).post(
        form_test_url(connection), {"type": "webhook", "webhook": destination.url("/y")}, **HTMX
    )

    assert (
        "You have sent 30 tests in the last hour, the most allowed. The next one can go in 60 min."
        in (text_of(over.text))
    )
    assert "Delivered." in text_of(someone_else.text)
    assert len(destination.received) == PERSON_TESTS_PER_HOUR + 1


class ClockedCache:
    """A cache that forgets by the test's clock instead of the real one."""

    def __init__(self, clock: list[float]) -> None:
        self.clock = clock
        self.entries: dict[str, tuple[float, object]] = {}

    def _live(self, key: str) -> bool:
        return key in self.entries and self.entries[key][0] > self.clock[0]

    def get(self, key: str, default: object = None) -> object:
        return self.entries[key][1] if self._live(key) else default

    def get_many(self, keys: list[str]) -> dict[str, object]:
        return {key: self.entries[key][1] for key in keys if self._live(key)}

    def add(self, key: str, value: object, timeout: float) -> bool:
        if self._live(key):
            return False
        self.entries[key] = (self.clock[0] + timeout, value)
        return True

    def delete(self, key: str) -> None:
        self.entries.pop(key, None)


def test_the_limits_free_up_as_time_passes() -> None:
    now = [1_000_000.0]
    store = ClockedCache(now)

    def turn(subject: str):
        return take_turn(subject=subject, user_id=7, store=store, clock=lambda: now[0])

    assert turn("a") is None
    assert turn("a").retry_after == HANDLER_INTERVAL_SECONDS
    now[0] += HANDLER_INTERVAL_SECONDS
    assert turn("a") is None
    for n in range(PERSON_TESTS_PER_HOUR - 2):
        assert turn(f"other-{n}") is None
    limit = turn("one-too-many")
    assert (limit.scope, limit.retry_after) == ("person", HOUR - HANDLER_INTERVAL_SECONDS)
    # A sliding hour: the first test's place frees up an hour after it, not on the hour.
    now[0] += HOUR - HANDLER_INTERVAL_SECONDS
    assert turn("one-too-many") is None
    assert turn("one-more").scope == "person"


def test_test_sends_can_be_turned_off(
    editor: User, connection: Connection, destination: Destination, settings
) -> None:
    settings.TEST_SEND_ENABLED = False
    response = client_for(editor).post(
        form_test_url(connection), {"type": "webhook", "webhook": destination.url()}, **HTMX
    )

    assert "Test sends are turned off on this dashboard. Ask your administrator." in text_of(
        response.text
    )
    assert destination.received == [] and journalled_tests() == []


# --- the guard -------------------------------------------------------------------------------


def test_a_private_destination_needs_its_own_setting_for_test_sends(
    editor: User, connection: Connection, destination: Destination, settings
) -> None:
    settings.TEST_SEND_ALLOW_PRIVATE_ADDRESSES = False
    settings.SOCLOOK_ALLOW_PRIVATE_ADDRESSES = True
    client = client_for(editor)
    refused = client.post(
        form_test_url(connection), {"type": "webhook", "webhook": destination.url("/a")}, **HTMX
    )
    settings.TEST_SEND_ALLOW_PRIVATE_ADDRESSES = True
    allowed = client.post(
        form_test_url(connection), {"type": "webhook", "webhook": destination.url("/b")}, **HTMX
    )

    assert "Not sent. 127.0.0.1 is inside a private network (or is this server itself)" in (
        text_of(refused.text)
    )
    assert "Delivered." in text_of(allowed.text)
    assert [r.path for r in destination.received] == ["/b"]


@pytest.mark.usefixtures("no_connections")
@pytest.mark.parametrize(
    ("address", "english", "russian"),
    [
        (
            "http://127.0.0.1/hook",
            "Not sent. 127.0.0.1 is inside a private network",
            "Не отправлен. 127.0.0.1 находится в частной сети",
        ),
        ("http://[::1]/hook", "is inside a private network", "находится в частной сети"),
        ("http://10.0.0.5/hook", "is inside a private network", "находится в частной сети"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "Not sent. 169.254.169.254 leads to a link-local or reserved address",
            "Не отправлен. 169.254.169.254 ведёт на локальный для канала или зарезервированный",
        ),
        (
            "https://hooks.example.com:22/hook",
            "Not sent. The address uses port 22, and test sends from this dashboard may only use "
            "ports 80, 443.",
            "Не отправлен. Адрес использует порт 22, а тесты из этой панели можно отправлять "
            "только на порты 80, 443.",
        ),
    ],
)
def test_a_dangerous_address_is_refused_with_nothing_sent_in_both_languages(
    address: str, english: str, russian: str, editor: User, connection: Connection
) -> None:
    client = client_for(editor)
    shown = client.post(form_test_url(connection), {"type": "webhook", "webhook": address}, **HTMX)
    shown_ru = client.post(
        form_test_url(connection),
        {"type": "webhook", "webhook": address + "?ru"},
        **HTMX,
        **RU,
    )

    assert english in text_of(shown.text)
    assert russian in text_of(shown_ru.text)


def test_metadata_stays_refused_when_private_addresses_are_allowed(
    editor: User, connection: Connection, settings, no_connections: None
) -> None:
    settings.TEST_SEND_ALLOW_PRIVATE_ADDRESSES = True
    response = client_for(editor).post(
        form_test_url(connection),
        {"type": "webhook", "webhook": "http://169.254.169.254/latest/meta-data/"},
        **HTMX,
    )

    assert "169.254.169.254 leads to a link-local or reserved address" in text_of(response.text)


def test_a_redirect_to_a_private_address_is_never_followed(
    editor: User, connection: Connection, settings
) -> None:
    with running_destination() as first, running_destination() as inside:
        allow_local(settings, first, inside)
        first.reply = Reply(302, "", {"Location": inside.url("/admin")})
        response = client_for(editor).post(
            form_test_url(connection), {"type": "webhook", "webhook": first.url()}, **HTMX
        )

    assert (
        "127.0.0.1 answered with a redirect to another address, which a test does not follow."
        in (text_of(response.text))
    )
    assert len(first.received) == 1 and inside.received == []


# --- the journal ---------------------------------------------------------------------------


def test_each_test_is_journalled_with_who_which_handler_and_outcome_but_no_secret(
    editor: User, connection: Connection, services: Services, sandbox, api_key: str
) -> None:
    handler_id = add_handler(sandbox, api_key, "telegram", "On-call Telegram", TELEGRAM)
    services.answer(CHAT_NOT_FOUND)
    client = client_for(editor)
    client.post(row_test_url(connection, handler_id), **HTMX)
    client.post(
        form_test_url(connection),
        {"name": "Draft", "type": "telegram", **TELEGRAM, "telegram_chat_id": "-1005"},
        **HTMX,
    )

    row, typed = journalled_tests()
    assert (row.user_name, row.handler_id, row.handler_name, row.handler_type) == (
        "egor",
        handler_id,
        "On-call Telegram",
        "telegram",
    )
    assert (typed.handler_id, typed.handler_name) == (None, "Draft")
    for entry in (row, typed):
        recorded = json.dumps(entry.changes)
        assert TELEGRAM["telegram"] not in recorded and "AAH" not in recorded
        # The outcome, never the destination's own words.
        assert "telegram_chat_not_found" in recorded and "Bad Request" not in recorded
        assert entry.snapshot_encrypted == ""
    journal = text_of(client.get(reverse("handler_journal", args=[connection.pk, handler_id])).text)
    assert "Test sent" in journal
    assert "Telegram does not know this chat, or the bot cannot see it." in journal
    assert "as stored in Soclook" in journal
    everything = text_of(client.get(reverse("journal"), **EN).text)
    assert "as typed in the form, before saving" in everything


# --- secrets ---------------------------------------------------------------------------------


def stored_secrets(sandbox, api_key: str) -> set[str]:
    """Every stored secret, and the path and query of each secret address (which carry its
    token) on their own."""
    secrets: set[str] = set()
    for record in sandbox.handlers(api_key):
        for key, value in record["settings"].items():
            # E-mail addresses and chat IDs are shown on purpose; everything else is a secret.
            if key in ("email", "telegram_chat_id") or not isinstance(value, str) or len(value) < 8:
                continue
            secrets.add(value)
            parts = urlsplit(value)
            if parts.scheme:
                secrets |= {p for p in (parts.path, parts.query) if len(p) >= 8}
    return secrets


def test_no_stored_secret_reaches_a_page_the_journal_or_a_log_line_even_when_echoed(
    editor: User, connection: Connection, services: Services, sandbox, api_key: str, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    services.echo = True
    client = client_for(editor)
    pages = []
    for n, record in enumerate(sandbox.handlers(api_key)):
        headers = HTMX if n % 2 else {}
        pages.append(client.post(row_test_url(connection, record["id"]), **headers, follow=True))
        if record["type"] in ("webhook", "slack", "telegram"):
            pages.append(
                client.post(
                    edit_test_url(connection, record["id"]),
                    {"name": record["name"], "type": record["type"]},
                    **headers,
                )
            )
    list_url = connection.get_absolute_url()
    pages += [
        client.get(list_url, {"results_per_page": 100}),
        client.get(reverse("journal")),
        client.get(reverse("journal"), {"format": "csv"}),
    ]

    assert services.received, "the tests reached the stand-in services"
    assert any("Its answer:" in page.content.decode() for page in pages)
    secrets = stored_secrets(sandbox, api_key)
    for page in pages:
        text = page.content.decode()
        for secret in secrets:
            assert secret not in text
    for entry in journalled_tests():
        for secret in secrets:
            assert secret not in json.dumps(entry.changes)
    for record in caplog.records:
        logged = record.getMessage() + json.dumps(vars(record), default=repr)
        for secret in secrets:
            assert secret not in logged, record.name
