"""Exporting handlers (handlers_app.exports, the export page): what each file holds, who may
export secrets, and that a file exported here imports into another, empty account as the same
handlers (those that need a secret left out of the export are listed, not sent)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from handlers_app.imports.reading import template_header
from handlers_app.models import Connection, JournalAction, JournalEntry, Team
from handlers_app.sandbox import Fault, Sandbox
from handlers_app.soclook.types import HANDLER_TYPES
from tests.helpers import client_for
from tests.imports_support import (
    BOT_TOKEN,
    IMMEDIATE,
    SLACK_URL,
    WEBHOOK_URL,
    X_SECRETS,
    import_url,
    instant_waits,
    latest_job,
    row_html,
    start,
)

pytestmark = pytest.mark.django_db

SET_UP = [
    {"type": "email", "name": "On-call mail", "settings": {"email": "oncall@example.com"}},
    {"type": "slack", "name": "Support channel", "settings": {"slack": SLACK_URL}},
    {
        "type": "telegram",
        "name": "Night bot",
        "settings": {"telegram": BOT_TOKEN, "telegram_chat_id": "-1001234567890"},
    },
    {
        "type": "webhook",
        "name": '=HYPERLINK("http://evil")',
        "settings": {"webhook": WEBHOOK_URL},
    },
    {"type": "x", "name": "Tweets", "settings": dict(X_SECRETS), "is_enabled": 0},
]
SECRETS = [SLACK_URL, BOT_TOKEN, WEBHOOK_URL, *X_SECRETS.values()]


@pytest.fixture(autouse=True)
def _tasks_run_inline(settings, monkeypatch) -> None:
    settings.TASKS = IMMEDIATE
    instant_waits(monkeypatch)


@pytest.fixture
def source_key(sandbox: Sandbox) -> str:
    key = sandbox.add_account(seed=0)
    for handler in SET_UP:
        sandbox.add_handler(key, **handler)
    return key


@pytest.fixture
def source(team: Team, owner: User, sandbox: Sandbox, source_key: str) -> Connection:
    return _connection(team, owner, sandbox, source_key, "Test account")


@pytest.fixture
def empty_key(sandbox: Sandbox, source: Connection) -> str:
    return sandbox.add_account(seed=0)


@pytest.fixture
def destination(team: Team, owner: User, sandbox: Sandbox, empty_key: str) -> Connection:
    return _connection(team, owner, sandbox, empty_key, "Live account")


def _connection(team: Team, owner: User, sandbox: Sandbox, key: str, name: str) -> Connection:
    connection = Connection(team=team, name=name, base_url=sandbox.base_url, created_by=owner)
    connection.set_api_key(key)
    connection.save()
    return connection


def export_url(connection: Connection, query: str = "") -> str:
    return reverse("handler_export", args=[connection.pk]) + query


def download(client: Client, connection: Connection, query: str = "", **data: str) -> Any:
    response = client.post(export_url(connection, query), {"file_format": "json", **data})
    assert response.status_code == 200
    return response


def as_text(response: Any) -> str:
    return response.content.decode("utf-8-sig")


def import_file(client: Client, connection: Connection, name: str, content: str) -> str:
    upload = SimpleUploadedFile(name, content.encode(), content_type="application/octet-stream")
    response = client.post(import_url(connection), {"file": upload}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def handlers_as_set_up(sandbox: Sandbox, key: str) -> list[tuple[str, str, dict[str, str], bool]]:
    """What matters of each handler in an account: type, name, the registry's settings, whether
    it is switched on."""
    found = []
    for record in sandbox.handlers(key):
        names = HANDLER_TYPES[record["type"]].field_names
        settings = {k: v for k, v in record["settings"].items() if k in names and v}
        found.append((record["type"], record["name"], settings, record["is_enabled"] != 0))
    return sorted(found)


def posted(sandbox: Sandbox) -> list[str]:
    return [r.path for r in sandbox.requests if r.method != "GET"]


# --- what the files hold --------------------------------------------------------------------


def test_the_json_export_is_a_versioned_document_without_the_connections_key_or_address(
    editor: User, source: Connection, sandbox: Sandbox, source_key: str
) -> None:
    text = as_text(download(client_for(editor), source))
    document = json.loads(text)

    assert document["format"] == "soclook-dashboard-handlers"
    assert document["version"] == 1
    assert document["exported_at"]
    assert document["connection"] == "Test account"
    assert document["secrets"] == "left-out"
    assert [(h["type"], h["name"], h["enabled"]) for h in document["handlers"]] == [
        (h["type"], h["name"], h.get("is_enabled", 1) == 1) for h in SET_UP
    ]
    assert document["handlers"][0]["settings"] == {"email": "oncall@example.com"}
    assert document["handlers"][1] == {
        "name": "Support channel",
        "type": "slack",
        "enabled": True,
        "settings": {},
        "secrets_left_out": ["slack"],
    }
    assert sandbox.base_url not in text
    assert source_key not in text
    for secret in SECRETS:
        assert secret not in text


def test_the_csv_export_has_the_import_templates_columns_and_says_the_secrets_are_left_out(
    editor: User, source: Connection
) -> None:
    response = download(client_for(editor), source, file_format="csv")
    text = as_text(response)
    rows = list(csv.reader(io.StringIO(text)))

    assert response["Content-Type"].startswith("text/csv")
    assert response["Cache-Control"] == "no-store"
    assert rows[0][:4] == ["Type", "Name", "On", "E-mail address"]
    assert rows[0][-1] == "Secrets left out"
    assert len(rows[0]) == len(template_header()) + 2
    listed = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [(r["Type"], r["Name"], r["On"]) for r in listed][:3] == [
        ("E-mail", "On-call mail", "yes"),
        ("Slack", "Support channel", "yes"),
        ("Telegram", "Night bot", "yes"),
    ]
    assert [r["Secrets left out"] for r in listed][:3] == ["", "Slack webhook URL", "Bot token"]
    for secret in SECRETS:
        assert secret not in text


def test_a_formula_in_a_name_is_guarded_in_the_csv_file_and_imports_back_unchanged(
    owner: User, source: Connection, destination: Connection, sandbox: Sandbox, empty_key: str
) -> None:
    client = client_for(owner)
    text = as_text(
        download(client, source, file_format="csv", include_secrets="on", confirmed="True")
    )

    assert '"\'=HYPERLINK(""http://evil"")"' in text
    import_file(client, destination, "export.csv", text)
    start(client, latest_job())
    assert '=HYPERLINK("http://evil")' in [h["name"] for h in sandbox.handlers(empty_key)]


def test_a_selection_exports_only_the_selected_handlers(
    editor: User, source: Connection, sandbox: Sandbox, source_key: str
) -> None:
    ids = [h["id"] for h in sandbox.handlers(source_key)]
    document = json.loads(as_text(download(client_for(editor), source, f"?ids={ids[4]},{ids[0]}")))

    assert [h["name"] for h in document["handlers"]] == ["Tweets", "On-call mail"]


@pytest.mark.parametrize("query", ["?ids=²", "?ids=1,oops", f"?ids={'9' * 40}"])
def test_an_address_with_ids_that_are_not_ids_is_refused_plainly(
    editor: User, source: Connection, query: str
) -> None:
    response = client_for(editor).get(export_url(source, query))

    assert response.status_code == 200
    assert "This address does not name handlers the dashboard can find." in " ".join(
        response.content.decode().split()
    )


@pytest.mark.parametrize("kind", ["zzz", "twilio", "google_chat", "whatsapp"])
def test_a_filter_by_a_type_the_registry_does_not_offer_is_not_a_server_error(
    editor: User, source: Connection, kind: str
) -> None:
    response = client_for(editor).get(export_url(source, f"?all=1&type={kind}"))

    assert response.status_code == 200
    assert "export-scope" in response.content.decode()


def test_the_lists_filter_exports_the_handlers_matching_it(
    editor: User, source: Connection
) -> None:
    client = client_for(editor)
    page = client.get(export_url(source, "?type=telegram&page=3&all=1")).content.decode()
    document = json.loads(as_text(download(client, source, "?type=telegram&page=3&all=1")))

    assert "1 handler matching the list" in page
    assert f'action="{export_url(source, "?type=telegram")}"' in page
    assert f'href="{reverse("handler_list", args=[source.pk])}?type=telegram">Back' in page
    assert [h["name"] for h in document["handlers"]] == ["Night bot"]


def test_the_list_links_to_an_export_of_its_filter(editor: User, source: Connection) -> None:
    url = reverse("handler_list", args=[source.pk]) + "?type=slack&page=1&results_per_page=50"
    html = client_for(editor).get(url).content.decode()

    assert f'id="export-link" href="{export_url(source, "?type=slack")}"' in html


def test_the_page_and_the_download_cost_at_most_one_request_to_soclook(
    editor: User, source: Connection, sandbox: Sandbox
) -> None:
    client = client_for(editor)
    sandbox.clear_requests()
    client.get(export_url(source))
    download(client, source)
    download(client, source, file_format="csv")

    assert [r.method for r in sandbox.requests] == ["GET"]


def test_more_handlers_than_an_import_takes_are_not_exported(
    editor: User, team: Team, owner: User, sandbox: Sandbox
) -> None:
    big = _connection(team, owner, sandbox, sandbox.add_account(seed=1001), "Big")
    response = client_for(editor).post(export_url(big), {"file_format": "json"})

    assert response["Content-Type"].startswith("text/html")
    assert "1001 handlers match; an export holds at most 1000" in response.content.decode()


# --- secrets: owners only, confirmed, journalled ---------------------------------------------


def test_an_owner_is_warned_before_a_download_with_secrets(owner: User, source: Connection) -> None:
    client = client_for(owner)
    assert "Include secrets" in client.get(export_url(source)).content.decode()

    response = client.post(export_url(source), {"file_format": "csv", "include_secrets": "on"})

    html = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert "This file will hold the secrets" in html
    assert 'name="confirmed" value="True"' in html
    for secret in SECRETS:
        assert secret not in html
    assert not JournalEntry.objects.filter(
        action=JournalAction.HANDLERS_EXPORTED_WITH_SECRETS
    ).exists()


def test_the_journal_records_who_exported_secrets(owner: User, source: Connection) -> None:
    client = client_for(owner)
    response = download(client, source, include_secrets="on", confirmed="True")
    document = json.loads(as_text(response))

    assert document["secrets"] == "included"
    assert document["handlers"][1]["settings"] == {"slack": SLACK_URL}
    entry = JournalEntry.objects.get(action=JournalAction.HANDLERS_EXPORTED_WITH_SECRETS)
    assert (entry.user_name, entry.connection_name) == ("olga", "Test account")
    journal = client.get(reverse("journal")).content.decode()
    assert "Handlers exported with their secrets" in journal
    assert "JSON" in journal
    for secret in SECRETS:
        assert secret not in journal


def test_an_export_without_secrets_is_not_journalled(editor: User, source: Connection) -> None:
    download(client_for(editor), source)

    assert not JournalEntry.objects.exists()


def test_an_editor_cannot_include_secrets(
    editor: User, source: Connection, sandbox: Sandbox
) -> None:
    client = client_for(editor)
    page = client.get(export_url(source)).content.decode()
    sandbox.clear_requests()

    response = client.post(
        export_url(source), {"file_format": "json", "include_secrets": "on", "confirmed": "True"}
    )

    assert "Include secrets" not in page
    assert "only an owner of the team can export them" in page
    assert response.status_code == 403
    assert sandbox.requests == []
    assert not JournalEntry.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_viewer_is_refused_with_nothing_sent(
    method: str, viewer: User, source: Connection, sandbox: Sandbox
) -> None:
    sandbox.clear_requests()
    response = getattr(client_for(viewer), method)(export_url(source), {"file_format": "json"})

    assert response.status_code == 403
    assert sandbox.requests == []


def test_the_list_offers_the_export_to_editors_only(
    viewer: User, editor: User, source: Connection
) -> None:
    url = reverse("handler_list", args=[source.pk])

    assert 'id="export-link"' in client_for(editor).get(url).content.decode()
    assert 'id="export-link"' not in client_for(viewer).get(url).content.decode()


# --- export here, import there ---------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_an_owners_export_with_secrets_imports_into_an_empty_account_as_the_same_handlers(
    file_format: str,
    owner: User,
    source: Connection,
    destination: Connection,
    sandbox: Sandbox,
    empty_key: str,
    source_key: str,
) -> None:
    client = client_for(owner)
    text = as_text(
        download(client, source, file_format=file_format, include_secrets="on", confirmed="True")
    )

    preview = import_file(client, destination, f"export.{file_format}", text)
    assert "5 of 5 rows are ready to import." in preview
    for secret in SECRETS:
        assert secret not in preview
    start(client, latest_job())

    # Switched off ones come back switched off, from the CSV file's "On" column too.
    assert handlers_as_set_up(sandbox, empty_key) == handlers_as_set_up(sandbox, source_key)


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_an_export_without_secrets_imports_only_what_needs_no_secret_and_says_why(
    file_format: str,
    editor: User,
    source: Connection,
    destination: Connection,
    sandbox: Sandbox,
    empty_key: str,
) -> None:
    client = client_for(editor)
    text = as_text(download(client, source, file_format=file_format))

    preview = import_file(client, destination, f"export.{file_format}", text)
    assert "1 of 5 rows is ready to import." in preview
    # A CSV file's rows are numbered as a spreadsheet shows them, after the header; a JSON
    # document's by their place in it.
    first = {"json": 1, "csv": 2}[file_format]
    slack = row_html(preview, first + 1)
    assert "Needs the secret: Slack webhook URL (slack) was left out of the export." in slack
    assert "Needs the secret: Bot token (telegram)" in row_html(preview, first + 2)
    sandbox.clear_requests()
    start(client, latest_job())

    assert posted(sandbox) == ["/api/notification-handlers"]
    assert [h["name"] for h in sandbox.handlers(empty_key)] == ["On-call mail"]


def test_a_secret_filled_into_an_export_without_secrets_is_imported(
    editor: User,
    source: Connection,
    destination: Connection,
    sandbox: Sandbox,
    empty_key: str,
    source_key: str,
) -> None:
    client = client_for(editor)
    ids = [h["id"] for h in sandbox.handlers(source_key)]
    text = as_text(download(client, source, f"?ids={ids[1]}", file_format="csv"))
    rows = list(csv.reader(io.StringIO(text)))
    rows[1][rows[0].index("Slack webhook URL")] = SLACK_URL
    filled = io.StringIO()
    csv.writer(filled).writerows(rows)

    preview = import_file(client, destination, "filled.csv", filled.getvalue())
    start(client, latest_job())

    assert "1 of 1 rows is ready to import." in preview
    assert handlers_as_set_up(sandbox, empty_key) == [
        ("slack", "Support channel", {"slack": SLACK_URL}, True)
    ]


# --- both languages ---------------------------------------------------------------------------


def test_a_russian_csv_export_reads_in_russian_and_imports_back_unchanged_in_english(
    owner: User,
    source: Connection,
    destination: Connection,
    sandbox: Sandbox,
    empty_key: str,
    source_key: str,
) -> None:
    client = client_for(owner)
    ru = {"HTTP_ACCEPT_LANGUAGE": "ru"}
    response = client.post(
        export_url(source),
        {"file_format": "csv", "include_secrets": "on", "confirmed": "True"},
        **ru,
    )
    text = as_text(response)
    rows = list(csv.reader(io.StringIO(text)))

    assert rows[0][:4] == ["Тип", "Название", "Включён", "Адрес электронной почты"]
    listed = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert listed["Tweets"]["Включён"] == "нет"
    assert listed["On-call mail"]["Тип"] == "Электронная почта"
    # A chat ID that starts with a minus is guarded for spreadsheets, and read back without it.
    assert listed["Night bot"]["ID чата"] == "'-1001234567890"

    preview = import_file(client, destination, "экспорт.csv", text)
    start(client, latest_job())

    assert "5 of 5 rows are ready to import." in preview
    assert handlers_as_set_up(sandbox, empty_key) == handlers_as_set_up(sandbox, source_key)


def test_a_file_with_api_names_and_an_on_column_says_which_to_switch_off(
    editor: User, destination: Connection, sandbox: Sandbox, empty_key: str
) -> None:
    client = client_for(editor)
    content = (
        "type,name,enabled,email\n"
        "email,Night duty,no,night@example.com\n"
        "email,Day duty,yes,day@example.com\n"
        "email,Odd,maybe,odd@example.com\n"
    )

    preview = import_file(client, destination, "handlers.csv", content)
    start(client, latest_job())

    assert "On: write “yes” to have the handler switched on" in row_html(preview, 4)
    assert [(h[1], h[3]) for h in handlers_as_set_up(sandbox, empty_key)] == [
        ("Day duty", True),
        ("Night duty", False),
    ]


def test_the_export_page_and_the_warning_read_in_russian(owner: User, source: Connection) -> None:
    client = client_for(owner)
    ru = {"HTTP_ACCEPT_LANGUAGE": "ru"}
    page = client.get(export_url(source), **ru).content.decode()
    warning = client.post(
        export_url(source), {"file_format": "json", "include_secrets": "on"}, **ru
    ).content.decode()

    assert "Выгрузить обработчики в файл" in page
    assert "Включить секреты" in page
    assert "файле будут секреты" in warning


def test_a_handler_exported_switched_off_is_switched_off_once_imported_and_journalled(
    owner: User, source: Connection, destination: Connection, sandbox: Sandbox, empty_key: str
) -> None:
    client = client_for(owner)
    text = as_text(download(client, source, include_secrets="on", confirmed="True"))

    preview = import_file(client, destination, "export.json", text)
    job = start(client, latest_job()).content.decode()

    assert "switched off once created, as in the export" in row_html(preview, 5)
    assert "switched off" in row_html(job, 5)
    tweets = next(h for h in sandbox.handlers(empty_key) if h["name"] == "Tweets")
    assert tweets["is_enabled"] == 0
    assert JournalEntry.objects.filter(
        connection=destination, action=JournalAction.HANDLER_DISABLED, handler_id=tweets["id"]
    ).exists()


def test_a_handler_still_on_after_a_refused_switch_off_says_so_and_is_not_sent_twice(
    owner: User, source: Connection, destination: Connection, sandbox: Sandbox, empty_key: str
) -> None:
    client = client_for(owner)
    text = as_text(download(client, source, include_secrets="on", confirmed="True"))
    import_file(client, destination, "export.json", text)
    sandbox.add_fault(Fault("rate_limit", method="POST", path_contains="notification-handlers/"))

    job = start(client, latest_job()).content.decode()

    assert "Added, but it could not be switched off:" in row_html(job, 5)
    assert [h["name"] for h in sandbox.handlers(empty_key)].count("Tweets") == 1


def test_the_import_page_takes_an_export_as_it_is(editor: User, destination: Connection) -> None:
    html = client_for(editor).get(import_url(destination)).content.decode()

    assert 'accept=".csv,text/csv,.json,application/json"' in html
    assert "A file from another connection's Export page (JSON or CSV)" in html
