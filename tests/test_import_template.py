"""The import template: its rows name each type as the form does, its header keeps the API's
names as column keys, and its example rows are refused until they are replaced."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from handlers_app.csv_files import unguard_cell
from handlers_app.models import Connection
from handlers_app.sandbox import Sandbox
from handlers_app.soclook.types import HANDLER_TYPES
from tests.helpers import client_for
from tests.imports_support import (
    IMMEDIATE,
    X_SECRETS,
    csv_upload,
    import_url,
    instant_waits,
    latest_job,
    row_html,
    start,
    upload,
)

pytestmark = pytest.mark.django_db

RU = {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9"}
EXAMPLE_ROW = "Example row from the template: replace it with your own handler, or delete it."
EXAMPLE_ROW_RU = "Строка-пример из шаблона: замените её своим обработчиком или удалите."
# Real-looking values, one per settings column, to put in place of the examples.
OWN_VALUES = {
    "email": "duty@acme.test",
    "webhook": "https://hooks.acme.test/notify/a1",
    "slack": "https://hooks.slack.com/services/T1ACME/B1ACME/acmeSlackHook",
    "discord": "https://discord.com/api/webhooks/42/acmeDiscordHook",
    "telegram": "7000000042:AAHacme-bot-token",
    "telegram_chat_id": "-1009876543210",
    "microsoft_teams": "https://acme.webhook.office.com/webhookb2/acme",
    **X_SECRETS,
    "push_subscriber_id": "80412",
}


@pytest.fixture(autouse=True)
def _tasks_run_inline(settings) -> None:
    settings.TASKS = IMMEDIATE


@pytest.fixture(autouse=True)
def waits(monkeypatch) -> list[float]:
    return instant_waits(monkeypatch)


@pytest.fixture
def client(editor: User) -> Client:
    return client_for(editor)


def template(client: Client, connection: Connection, **headers: str) -> list[list[str]]:
    response = client.get(reverse("handler_import_template", args=[connection.pk]), **headers)
    text = response.content.decode("utf-8-sig")
    return [[unguard_cell(cell) for cell in row] for row in csv.reader(io.StringIO(text))]


def as_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def test_the_template_names_types_as_the_form_does_and_keeps_api_names_as_column_keys(
    client: Client, connection: Connection
) -> None:
    labels = [str(t.label) for t in HANDLER_TYPES.values()]

    header, *examples = template(client, connection)
    _header, *examples_ru = template(client, connection, **RU)

    assert header[:4] == ["type", "name", "email", "webhook"]
    assert "x_consumer_key" in header and "push_subscriber_id" in header
    assert [row[0] for row in examples] == labels
    assert examples[-1][:2] == ["Push notification", "Example: Push notification"]
    assert not {"push_subscriber_id", "x"} & {row[0] for row in examples}
    assert examples_ru[-1][:2] == ["Push-уведомление", "Пример: Push-уведомление"]


def test_the_unchanged_template_creates_nothing_and_says_why(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    rows = template(client, connection)
    sandbox.clear_requests()

    html = upload(client, connection, as_csv(rows)).content.decode()

    count = len(HANDLER_TYPES)
    assert f"0 of {count} rows are ready to import." in html
    for number in range(2, count + 2):
        assert EXAMPLE_ROW in row_html(html, number)
    assert sandbox.requests == []


def test_the_example_rows_are_refused_in_russian(client: Client, connection: Connection) -> None:
    rows = template(client, connection, **RU)

    html = client.post(
        import_url(connection), {"file": csv_upload(as_csv(rows))}, follow=True, **RU
    ).content.decode()

    for number in range(2, len(HANDLER_TYPES) + 2):
        assert EXAMPLE_ROW_RU in row_html(html, number)


def test_an_example_row_whose_name_alone_was_changed_is_still_refused(
    client: Client, connection: Connection
) -> None:
    header, email_example, *_rest = template(client, connection)
    email_example[1] = "Duty inbox"

    html = upload(client, connection, as_csv([header, email_example])).content.decode()

    assert "0 of 1 rows are ready to import. 1 row has problems" in " ".join(html.split())
    assert EXAMPLE_ROW in row_html(html, 2)


def test_examples_replaced_with_own_values_import_whatever_language_the_template_was_in(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    header, *examples = template(client, connection, **RU)
    own = []
    for number, row in enumerate(examples, start=1):
        cells = dict(zip(header, row, strict=True))
        cells["name"] = f"Own handler {number}"
        cells.update({key: OWN_VALUES[key] for key in cells if cells[key] and key in OWN_VALUES})
        own.append(list(cells.values()))
    before = {h["id"] for h in sandbox.handlers(api_key)}

    html = upload(client, connection, as_csv([header, *own])).content.decode()
    count = len(HANDLER_TYPES)
    assert f"{count} of {count} rows are ready to import." in html
    start(client, latest_job())

    created = [h for h in sandbox.handlers(api_key) if h["id"] not in before]
    assert sorted(h["type"] for h in created) == sorted(HANDLER_TYPES)


def test_the_import_page_shows_the_form_labels_and_the_api_names_as_column_keys(
    client: Client, connection: Connection
) -> None:
    english = client.get(import_url(connection)).content.decode()
    russian = client.get(import_url(connection), **RU).content.decode()

    assert '<i class="bi bi-bell" aria-hidden="true"></i> Push notification</th>' in english
    assert "API key (consumer key): <code>x_consumer_key</code>" in english
    assert "Push subscriber ID: <code>push_subscriber_id</code>" in english
    assert "<code>x</code>" not in english
    assert "<code>push_subscriber_id</code> —" not in english
    assert "Push-уведомление</th>" in russian
    assert "строки-примеры пропускаются" in russian


def test_a_row_of_an_unknown_type_lists_the_types_by_their_names(
    client: Client, connection: Connection
) -> None:
    html = upload(client, connection, "type,name,email\nTwilio SMS,Duty,a@b.test\n").content
    problem = row_html(html.decode(), 2)

    assert "Type: not a type this dashboard can create." in problem
    assert "“E-mail”, “Webhook”" in problem and "“Push notification”" in problem
    assert "push_subscriber_id" not in problem
