"""Duplicating a handler in its connection: the create form filled in from it, the secrets
copied on the server and never put into the page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from handlers_app.models import Connection, JournalAction, JournalEntry
from handlers_app.sandbox import Fault, Sandbox
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

BOT_TOKEN = "5550001:AAH-duplicate-secret-Zq8xW2vY7"
X_SECRETS = {
    "x_consumer_key": "ck-dup-9f8e7d",
    "x_consumer_secret": "cs-dup-6c5b4a",
    "x_access_token": "at-dup-3a2b1c",
    "x_access_token_secret": "ats-dup-0f9e8d",
}


def duplicate_url(connection: Connection, handler_id: int) -> str:
    return reverse("handler_duplicate", args=[connection.pk, handler_id])


def record(sandbox: Sandbox, api_key: str, name: str) -> dict:
    return next(h for h in sandbox.handlers(api_key) if h["name"] == name)


@pytest.fixture
def telegram(sandbox: Sandbox, api_key: str) -> dict:
    return sandbox.add_handler(
        api_key,
        type="telegram",
        name="On-call bot",
        settings={"telegram": BOT_TOKEN, "telegram_chat_id": "-1009876543210"},
    )


@pytest.fixture
def client(editor: User, connection: Connection) -> Client:
    return client_for(editor)


def test_duplicate_opens_the_create_form_filled_in(
    client: Client, connection: Connection, telegram: dict
) -> None:
    response = client.get(duplicate_url(connection, telegram["id"]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Copy of On-call bot"' in html
    assert "Telegram" in html
    assert "Taken from “On-call bot”; leave empty to use it" in html
    assert "The secrets are copied from “On-call bot” on the server" in html


def test_the_secret_never_reaches_the_page(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    x = sandbox.add_handler(api_key, type="x", name="Status posts", settings=X_SECRETS)

    html = client.get(duplicate_url(connection, x["id"])).content.decode()

    for secret in X_SECRETS.values():
        assert secret not in html
        assert secret[-4:] not in html


def test_duplicate_copies_the_secrets_on_the_server(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, telegram: dict
) -> None:
    response = client.post(
        duplicate_url(connection, telegram["id"]),
        {"name": "On-call bot, project B", "telegram_chat_id": "-1001111111111"},
    )

    copy = record(sandbox, api_key, "On-call bot, project B")
    assert response.status_code == 302
    assert response["Location"] == f"{connection.get_absolute_url()}?page=2&highlight={copy['id']}"
    assert copy["type"] == "telegram"
    assert copy["settings"]["telegram"] == BOT_TOKEN
    assert copy["settings"]["telegram_chat_id"] == "-1001111111111"
    assert record(sandbox, api_key, "On-call bot")["settings"]["telegram"] == BOT_TOKEN
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Added “On-call bot, project B”, a copy of “On-call bot”."
    ]
    entry = JournalEntry.objects.get(action=JournalAction.HANDLER_CREATED)
    assert entry.handler_id == copy["id"]
    assert BOT_TOKEN not in str(entry.changes)


def test_a_typed_secret_replaces_the_copied_one(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, telegram: dict
) -> None:
    client.post(
        duplicate_url(connection, telegram["id"]),
        {
            "name": "Other bot",
            "telegram": "7770002:AAH-another-bot",
            "telegram_chat_id": "-1009876543210",
            "same_place_ok": "1",
        },
    )

    assert record(sandbox, api_key, "Other bot")["settings"]["telegram"] == (
        "7770002:AAH-another-bot"
    )


def test_the_type_of_a_duplicate_cannot_change(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, telegram: dict
) -> None:
    client.post(
        duplicate_url(connection, telegram["id"]),
        {
            "name": "Still a bot",
            "type": "webhook",
            "telegram_chat_id": "-1009876543210",
            "same_place_ok": "1",
        },
    )

    assert record(sandbox, api_key, "Still a bot")["type"] == "telegram"


def test_an_error_keeps_what_was_typed_and_the_secret_stays_out(
    client: Client, connection: Connection, sandbox: Sandbox, telegram: dict
) -> None:
    sandbox.clear_requests()

    response = client.post(
        duplicate_url(connection, telegram["id"]),
        {"name": "", "telegram": "7000000009:AAHtyped-again", "telegram_chat_id": "-100555"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Please correct the following:" in html
    assert "What you typed here is not shown again: type it again." in html
    assert BOT_TOKEN not in html
    assert "-1009876543210" not in html
    assert [r for r in sandbox.requests if r.method != "GET"] == []


def test_a_refusal_of_the_service_keeps_the_form(
    client: Client, connection: Connection, sandbox: Sandbox, telegram: dict
) -> None:
    sandbox.add_fault(Fault("json_500", method="POST"))

    response = client.post(
        duplicate_url(connection, telegram["id"]),
        {"name": "Will fail", "telegram_chat_id": "-1009876543210", "same_place_ok": "1"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "The handler was not added:" in html
    assert 'value="Will fail"' in html
    assert BOT_TOKEN not in html


def test_a_type_the_dashboard_does_not_know_is_duplicated_with_its_settings(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    sms = sandbox.add_handler(
        api_key,
        type="twilio",
        name="Duty SMS",
        settings={"twilio_sid": "AC-dup-5f4e3d", "twilio_to": "+15550001234"},
    )

    html = client.get(duplicate_url(connection, sms["id"])).content.decode()
    answer = client.post(duplicate_url(connection, sms["id"]), {"name": "Duty SMS, nights"})

    # The sandbox, unlike the live service, refuses to create a type it does not list: what
    # matters here is what was sent, and that the refusal leaves no secret on the page.
    sent = [r.form for r in sandbox.requests if r.method == "POST"]
    assert sent == [
        {
            "name": "Duty SMS, nights",
            "type": "twilio",
            "twilio_sid": "AC-dup-5f4e3d",
            "twilio_to": "+15550001234",
        }
    ]
    for page in (html, answer.content.decode()):
        assert "AC-dup-5f4e3d" not in page and "+15550001234" not in page


def test_a_deleted_source_goes_back_to_the_list(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    response = client.get(duplicate_url(connection, 999_999))

    assert response.status_code == 302
    assert response["Location"] == connection.get_absolute_url()


@pytest.mark.parametrize("method", ["get", "post"])
def test_viewer_cannot_duplicate(
    method: str, viewer: User, connection: Connection, sandbox: Sandbox, telegram: dict
) -> None:
    sandbox.clear_requests()

    response = getattr(client_for(viewer), method)(
        duplicate_url(connection, telegram["id"]),
        {"name": "Sneaky", "telegram_chat_id": "-1009876543210"},
    )

    assert response.status_code == 403
    assert sandbox.requests == []
    assert not JournalEntry.objects.exists()


def test_the_list_offers_duplicate_and_copy_to_editors_only(
    client: Client, viewer: User, connection: Connection, telegram: dict, sandbox: Sandbox
) -> None:
    url = connection.get_absolute_url() + "?results_per_page=100"
    more_url = reverse("handler_more", args=[connection.pk, telegram["id"]])

    editor_html = client.get(url).content.decode()
    viewer_html = client_for(viewer).get(url).content.decode()

    # The row's "More" is relative to the list's own address, and opens its actions.
    assert more_url == f"{url.split('?')[0]}{telegram['id']}/more/"
    assert f'href="{telegram["id"]}/more/"' in editor_html
    sandbox.clear_requests()
    more = client.get(more_url).content.decode()
    assert sandbox.requests == [], "the name comes from the list just read"
    assert f"More for “{telegram['name']}”" in more
    assert f'href="{duplicate_url(connection, telegram["id"])}"' in more
    assert f'href="{reverse("handlers_copy", args=[connection.pk])}?ids={telegram["id"]}"' in more
    assert "/more/" not in viewer_html
    assert client_for(viewer).get(more_url).status_code == 403
