"""What no database can store, and addresses the list's filter takes, never end in a server error:
a JSON file nested 100 000 levels deep, a NUL (PostgreSQL refuses it in text) or a lone
surrogate in a name or a column, typed into a form or imported; an export filtered by a type the
registry does not create. Each gets plain words in the person's language, and nothing is sent to
Soclook. Run with DATABASE_URL=postgres://... to check PostgreSQL's own refusals too."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from handlers_app.models import Connection, ItemOutcome, Job
from handlers_app.sandbox import Sandbox
from tests.helpers import client_for
from tests.imports_support import csv_upload, import_url, latest_job, row_html

pytestmark = pytest.mark.django_db

RU = {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
UNSTORABLE_EN = "holds a character that cannot be stored"


@pytest.fixture
def client(editor: User) -> Client:
    return client_for(editor)


def text_of(markup: str) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", markup).split()))


def export_file(*handlers: str) -> str:
    """An export of this dashboard, the handlers written as JSON text (escapes kept as typed)."""
    return (
        '{"format": "soclook-dashboard-handlers", "version": 1, "secrets": "included", '
        f'"handlers": [{", ".join(handlers)}]}}'
    )


def import_json(client: Client, connection: Connection, text: str, **headers: str):
    upload = csv_upload(text, name="handlers.json")
    return client.post(import_url(connection), {"file": upload}, follow=True, **headers)


def test_a_json_file_nested_100000_levels_deep_is_refused_in_plain_words(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    depth = 100_000
    text = '{"a": ' * depth + "1" + "}" * depth

    english = import_json(client, connection, text, **EN)
    russian = import_json(client, connection, text, **RU)

    assert english.status_code == russian.status_code == 200
    assert "nested too deeply to be an export of this dashboard" in text_of(english.text)
    assert "слишком глубоко вложен" in text_of(russian.text)
    assert not Job.objects.exists()


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"])
def test_a_name_that_cannot_be_stored_is_a_problem_of_its_row_alone(
    client: Client, connection: Connection, sandbox: Sandbox, escape: str
) -> None:
    text = export_file(
        f'{{"type": "email", "name": "Duty{escape}", "settings": {{"email": "duty@acme.test"}}}}',
        '{"type": "email", "name": "Ops", "settings": {"email": "ops@acme.test"}}',
    )

    response = import_json(client, connection, text, **RU)

    assert response.status_code == 200
    assert "в нём есть символ, который нельзя сохранить" in text_of(row_html(response.text, 1))
    rows = list(latest_job().items.order_by("position"))
    assert [row.outcome for row in rows] == [ItemOutcome.SKIPPED, ItemOutcome.PENDING]
    assert [r for r in sandbox.requests if r.method == "POST"] == []


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"])
def test_a_setting_or_a_column_that_cannot_be_stored_is_refused_with_its_row(
    client: Client, connection: Connection, escape: str
) -> None:
    text = export_file(
        f'{{"type": "email", "name": "A", "settings": {{"email": "a{escape}@acme.test"}}}}',
        f'{{"type": "email", "name": "B", "settings": {{"email": "b@a.test", "x{escape}": "1"}}}}',
    )

    response = import_json(client, connection, text, **EN)

    assert response.status_code == 200
    assert UNSTORABLE_EN in text_of(row_html(response.text, 1))
    assert "does not use them" in text_of(row_html(response.text, 2))
    stored = json.dumps(list(latest_job().items.values_list("problems", "name")))
    assert "\\u0000" not in stored
    assert "\\ud800" not in stored


@pytest.mark.parametrize(
    "typed",
    [
        {"name": "Duty\x00", "type": "email", "email": "duty@acme.test"},
        {"name": "Duty", "type": "telegram", "telegram": "1:AA\x00", "telegram_chat_id": "-100"},
    ],
)
def test_the_form_refuses_a_nul_in_plain_words_and_sends_nothing(
    client: Client, connection: Connection, sandbox: Sandbox, typed: dict
) -> None:
    sandbox.clear_requests()

    english = client.post(reverse("handler_new", args=[connection.pk]), typed, **EN)
    russian = client.post(reverse("handler_new", args=[connection.pk]), typed, **RU)

    assert english.status_code == russian.status_code == 200
    assert UNSTORABLE_EN in text_of(english.text)
    assert "есть символ, который нельзя сохранить" in text_of(russian.text)
    assert [r for r in sandbox.requests if r.method == "POST"] == []


def test_the_edit_form_refuses_a_nul_in_the_name(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    handler = sandbox.add_handler(
        api_key, type="email", name="Duty", settings={"email": "duty@acme.test"}
    )
    url = reverse("handler_edit", args=[connection.pk, handler["id"]])

    response = client.post(url, {"name": "Du\x00ty", "type": "email", "email": "d@acme.test"})

    assert UNSTORABLE_EN in text_of(response.text)
    assert next(h for h in sandbox.handlers(api_key) if h["id"] == handler["id"])["name"] == "Duty"


@pytest.mark.parametrize("type_", ["zzz", "twilio", "google_chat", "whatsapp", "twilio_call"])
def test_an_export_filtered_by_a_type_the_registry_only_displays_is_no_server_error(
    connection: Connection, owner: User, sandbox: Sandbox, api_key: str, type_: str
) -> None:
    client = client_for(owner)
    url = reverse("handler_export", args=[connection.pk]) + f"?all=1&type={type_}"

    page = client.get(url)
    download = client.post(url, {"file_format": "csv"})

    assert page.status_code == 200
    assert download.status_code == 200


def test_an_export_of_a_display_only_type_names_it_as_the_list_does(
    connection: Connection, owner: User, sandbox: Sandbox, api_key: str
) -> None:
    sandbox.add_handler(api_key, type="twilio", name="Duty SMS", settings={"twilio": "+1555"})

    page = client_for(owner).get(
        reverse("handler_export", args=[connection.pk]) + "?all=1&type=twilio", **EN
    )

    assert "Twilio SMS" in text_of(page.text)
