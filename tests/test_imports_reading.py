"""Reading and checking an uploaded CSV file (handlers_app.imports.reading): nothing sent to
Soclook (the list is read once, for handlers already sending to the same place), whole-file
problems refused with a clear message, each row checked by its type's rules, and a template
with every column (its example rows: tests/test_import_template.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from handlers_app.models import Connection, Job
from handlers_app.sandbox import Sandbox
from handlers_app.soclook.types import HANDLER_TYPES
from tests.helpers import client_for
from tests.imports_support import (
    BOT_TOKEN,
    IMMEDIATE,
    SLACK_URL,
    instant_waits,
    row_html,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tasks_run_inline(settings) -> None:
    settings.TASKS = IMMEDIATE


@pytest.fixture(autouse=True)
def waits(monkeypatch) -> list[float]:
    return instant_waits(monkeypatch)


@pytest.fixture
def client(editor: User, connection: Connection) -> Client:
    return client_for(editor)


# --- reading the file --------------------------------------------------------------------------


def test_a_utf8_file_with_a_bom_and_semicolons_is_read_like_any_other(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    sandbox.clear_requests()
    content = "\ufefftype;name;email;telegram;telegram_chat_id\r\n"
    content += "email;Ops «mail»;ops@example.com;;\r\n"
    content += f'telegram;"Night; shift";;{BOT_TOKEN};-1001234567890\r\n'

    response = upload(client, connection, content.encode("utf-8"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "2 of 2 rows are ready to import." in html
    assert "Ops «mail»" in row_html(html, 2) and "ops@example.com" in row_html(html, 2)
    assert "Night; shift" in row_html(html, 3)
    assert "Chat ID -1001234567890" in row_html(html, 3)
    assert [r for r in sandbox.requests if r.method != "GET"] == []


def test_blank_lines_are_skipped_and_rows_keep_their_spreadsheet_numbers(
    client: Client, connection: Connection
) -> None:
    content = "type,name,email\n\nemail,First,first@example.com\n,,\nemail,Second,x@example.com\n"

    html = upload(client, connection, content).content.decode()

    assert "First" in row_html(html, 3)
    assert "Second" in row_html(html, 5)
    assert "2 of 2 rows are ready to import." in html


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name,email\nOps,ops@example.com\n", "it needs at least “type” and “name”"),
        ("", "The submitted file is empty."),
        ("\n \n", "The file is empty."),
        ("type,name,email\n", "no handlers below it"),
        ("type,name,name\nemail,A,B\n", "The column “name” appears more than once."),
    ],
    ids=["no type column", "empty", "blank lines", "header only", "repeated column"],
)
def test_a_file_without_a_usable_header_is_refused_with_a_clear_message(
    content: str, message: str, client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    sandbox.clear_requests()

    response = upload(client, connection, content)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Job.objects.exists()
    assert [r for r in sandbox.requests if r.method != "GET"] == []


def test_a_file_without_a_header_is_refused_without_showing_its_values(
    client: Client, connection: Connection
) -> None:
    response = upload(client, connection, f"slack,Support,{SLACK_URL}\n")

    html = response.content.decode()
    assert "column B and C of it is not a column this import knows" in html
    assert SLACK_URL not in html
    assert "Support" not in html


def test_more_than_1000_rows_are_refused(client: Client, connection: Connection) -> None:
    rows = "".join(f"email,Person {n},p{n}@example.com\n" for n in range(1001))

    response = upload(client, connection, "type,name,email\n" + rows)

    assert "more than 1000 handlers" in response.content.decode()
    assert not Job.objects.exists()


def test_exactly_1000_rows_are_accepted(client: Client, connection: Connection) -> None:
    rows = "".join(f"email,Person {n},p{n}@example.com\n" for n in range(1000))

    response = upload(client, connection, "type,name,email\n" + rows)

    assert "1000 of 1000 rows are ready to import." in response.content.decode()


def test_a_file_over_1_mb_is_refused(client: Client, connection: Connection) -> None:
    filler = "x" * 100
    rows = "".join(f"email,{filler},p{n}@example.com\n" for n in range(11_000))

    response = upload(client, connection, "type,name,email\n" + rows)

    assert "larger than 1 MB" in response.content.decode()
    assert not Job.objects.exists()


def test_a_file_not_in_utf8_is_refused_with_how_to_save_it(
    client: Client, connection: Connection
) -> None:
    content = "type,name,email\nemail,Дежурный,duty@example.com\n".encode("cp1251")

    response = upload(client, connection, content)

    assert "The file is not in UTF-8." in response.content.decode()
    assert "CSV UTF-8" in response.content.decode()


# --- checking each row -------------------------------------------------------------------------


BAD_ROWS = [
    ("email,Mail,not-an-address", "E-mail address (email): Enter a full e-mail address"),
    ("webhook,Hook,,ftp://example.com/x", "Webhook URL (webhook): Enter a full web address"),
    ("telegram,Bot,,,123 456,-100123", "Bot token (telegram): Remove the spaces"),
    ("telegram,Bot,,,7000:abc,chat", "Chat ID (telegram_chat_id): Enter a numeric chat ID"),
    ("telegram,Bot,,,7000:abcdefgh,", "Chat ID (telegram_chat_id): This field is required."),
    ("slack,,,,,,https://hooks.slack.com/services/T/B/X", "Name: this field is required."),
    ("email," + "n" * 129 + ",a@example.com", "Name: keep it to at most 128 characters"),
    ("pager,Pager,a@example.com", "Type: not a type this dashboard can create."),
    (",Nameless,a@example.com", "Type: this field is required."),
    ("email,Mixed,a@example.com,https://example.com/x", "Leave “webhook” empty"),
    ("email,Too many,a@example.com,,,,,,extra", "values outside the named columns"),
]


@pytest.mark.parametrize(("line", "problem"), BAD_ROWS)
def test_each_row_is_checked_by_the_rules_of_its_type_sending_nothing_to_soclook(
    line: str, problem: str, client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    header = "type,name,email,webhook,telegram,telegram_chat_id,slack"
    sandbox.clear_requests()

    html = upload(client, connection, f"{header}\n{line}\nemail,Good,good@example.com\n")

    bad = row_html(html.content.decode(), 2)
    assert "Has problems" in bad
    assert problem in bad
    assert "Ready" in row_html(html.content.decode(), 3)
    assert "1 of 2 rows is ready to import." in html.content.decode()
    assert [r for r in sandbox.requests if r.method != "GET"] == []


def test_an_identical_second_row_is_left_out(client: Client, connection: Connection) -> None:
    line = "email,Ops,ops@example.com\n"

    html = upload(client, connection, "type,name,email\n" + line + line).content.decode()

    assert "The same as row 2, so it is left out." in row_html(html, 3)


def test_a_type_may_be_written_as_its_label_in_any_case(
    client: Client, connection: Connection
) -> None:
    content = "type,name,email,telegram,telegram_chat_id\n"
    content += "E-MAIL,A,a@example.com,,\n"
    content += f"Telegram,B,,{BOT_TOKEN},@channel_name\n"

    html = upload(client, connection, content).content.decode()

    assert "2 of 2 rows are ready to import." in html


def test_the_template_has_every_column(client: Client, connection: Connection) -> None:
    response = client.get(reverse("handler_import_template", args=[connection.pk]))

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    content = response.content.decode("utf-8")
    assert content.startswith('\ufeff"type","name","email","webhook","slack","discord","telegram",')
    for handler_type in HANDLER_TYPES.values():
        for name in handler_type.field_names:
            assert name in content.splitlines()[0]
