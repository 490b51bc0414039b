"""Plain words for test sends: a service the dashboard cannot reach from its server is said to be
out of reach, not a typo of the person's (who typed no address); no setting of the installation
is named to anyone, staff included (operators find the detail in the log, with the request id);
a push handler's row has no Test button that could only answer "Not sent"."""

# Russian text is the point of the message checks, not look-alike characters.
# ruff: noqa: RUF001

from __future__ import annotations

import html
import logging
import re
import socket

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from handlers_app.models import Connection, JournalEntry
from handlers_app.sandbox import Sandbox
from tests import fake_destinations
from tests.fake_destinations import Services
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
RU = {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
TELEGRAM = {"telegram": "123456789:AAHtestTokenXyz987", "telegram_chat_id": "-1001234567890"}
SLACK = {"slack": "https://hooks.slack.com/services/T0001/B0002/SecretSlackPart42"}
SETTING_NAMES = ("TEST_SEND", "EMAIL_URL", "DNS")


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Services:
    return Services(monkeypatch)


def text_of(markup: str) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", markup).split()))


def send_test(client: Client, connection: Connection, type_: str, typed: dict, **headers) -> str:
    response = client.post(
        reverse("handler_form_test", args=[connection.pk]),
        {"name": "On call", "type": type_, **typed},
        **HTMX,
        **(headers or EN),
    )
    assert response.status_code == 200
    return text_of(response.text)


@pytest.mark.parametrize(
    ("type_", "typed", "elsewhere", "host", "service"),
    [
        ("telegram", TELEGRAM, {"telegram_chat_id": "-1009"}, "api.telegram.org", "Telegram"),
        ("slack", SLACK, {"slack": SLACK["slack"] + "2"}, "hooks.slack.com", "Slack"),
    ],
)
def test_a_service_out_of_reach_is_the_servers_trouble_in_plain_words(
    editor: User,
    connection: Connection,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    type_: str,
    typed: dict,
    elsewhere: dict,
    host: str,
    service: str,
) -> None:
    monkeypatch.delitem(fake_destinations.PUBLIC_ADDRESSES, host)
    caplog.set_level(logging.INFO, logger="handlers_app.testsend")
    client = client_for(editor)

    shown = send_test(client, connection, type_, typed)
    shown_ru = send_test(client, connection, type_, {**typed, **elsewhere}, **RU)

    assert (
        f"The dashboard could not reach {service} from this server; your settings were not "
        "checked. Ask your administrator." in shown
    )
    assert f"Панель не смогла связаться с {service} со своего сервера" in shown_ru
    for words in (shown, shown_ru):
        assert host not in words
        assert not any(name in words for name in SETTING_NAMES)
    # The operators' detail: what failed, in the log line of the request.
    assert [r.test_reason for r in caplog.records if hasattr(r, "test_reason")] == ["dns", "dns"]


def test_the_journal_and_the_list_say_it_the_same_plain_way(
    editor: User,
    connection: Connection,
    services: Services,
    sandbox: Sandbox,
    api_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(fake_destinations.PUBLIC_ADDRESSES, "api.telegram.org")
    handler = sandbox.add_handler(api_key, type="telegram", name="On call", settings=TELEGRAM)
    client = client_for(editor)

    client.post(reverse("handler_test", args=[connection.pk, handler["id"]]), **EN)
    listed = text_of(client.get(connection.get_absolute_url() + "?results_per_page=100", **EN).text)

    assert "last test failed: Telegram could not be reached from this server" in listed
    assert "name not found" not in listed
    assert JournalEntry.objects.filter(action="handler_tested").count() == 1


def test_no_setting_of_the_installation_is_named_to_staff(
    connection: Connection, owner: User, services: Services, settings
) -> None:
    owner.is_staff = owner.is_superuser = True
    owner.save()
    client = client_for(owner)
    settings.TEST_SEND_ALLOWED_PORTS = [443]

    port = send_test(client, connection, "webhook", {"webhook": "https://hooks.example.com:8443/x"})
    private = send_test(client, connection, "webhook", {"webhook": "https://127.0.0.1/x"})
    settings.TEST_SEND_ENABLED = False
    off = send_test(client, connection, "webhook", {"webhook": "https://hooks.example.com/y"})

    assert "Ask your administrator if this port should be allowed." in port
    assert "Ask your administrator if it should deliver into its own network." in private
    assert "Test sends are turned off on this dashboard. Ask your administrator." in off
    for words in (port, private, off):
        assert not any(name in words for name in SETTING_NAMES)


def test_a_webhook_on_a_name_that_does_not_exist_says_so_without_dns(
    editor: User, connection: Connection, services: Services
) -> None:
    shown = send_test(
        client_for(editor), connection, "webhook", {"webhook": "https://no-such.example/h"}
    )

    assert "No server named no-such.example could be found. Check the address for typos." in shown
    assert "DNS" not in shown


def test_a_push_row_has_no_test_button_and_the_others_have_one(
    editor: User, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    push = sandbox.add_handler(
        api_key, type="push_subscriber_id", name="Phones", settings={"push_subscriber_id": "42"}
    )
    mail = sandbox.add_handler(
        api_key, type="email", name="Mail", settings={"email": "duty@acme.test"}
    )

    page = client_for(editor).get(connection.get_absolute_url() + "?results_per_page=100").text

    assert f'formaction="{push["id"]}/test/"' not in page
    assert f'formaction="{mail["id"]}/test/"' in page


def test_a_closed_port_is_still_told_as_it_is_for_a_webhook(
    editor: User, connection: Connection, settings
) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    settings.TEST_SEND_ALLOW_PRIVATE_ADDRESSES = True
    settings.TEST_SEND_ALLOWED_PORTS = [port]

    shown = send_test(
        client_for(editor), connection, "webhook", {"webhook": f"http://127.0.0.1:{port}/a"}
    )

    assert "127.0.0.1 refused the connection" in shown
