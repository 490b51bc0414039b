"""Importing handlers from a CSV file: reading and checking it (with no request to Soclook), the
preview, and the background task that creates the rows through the shared request budget.

The task runs inline here (django.tasks' ImmediateBackend), except in the tests of the
database backend and its worker.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import serializers
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from handlers_app import crypto, imports
from handlers_app.models import (
    Connection,
    ImportJob,
    ImportRow,
    ImportRowOutcome,
    ImportStatus,
    JournalAction,
    JournalEntry,
    Membership,
    Role,
)
from handlers_app.sandbox import Fault, Sandbox, catalog
from handlers_app.soclook.types import HANDLER_TYPES
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

SLACK_URL = "https://hooks.slack.com/services/T0SECRET/B0SECRET/slackWebhookSecret42"
WEBHOOK_URL = "https://hooks.example.com/notify/webhookSecretPath77"
BOT_TOKEN = "7000000001:AAHimported-bot-token-that-stays-secret"
X_SECRETS = {
    "x_consumer_key": "consumerKeySecretValue01",
    "x_consumer_secret": "consumerSecretSecretValue02",
    "x_access_token": "accessTokenSecretValue03",
    "x_access_token_secret": "accessTokenSecretSecret04",
}
SECRETS = [SLACK_URL, WEBHOOK_URL, BOT_TOKEN, *X_SECRETS.values()]


@pytest.fixture(autouse=True)
def _tasks_run_inline(settings) -> None:
    settings.TASKS = IMMEDIATE


@pytest.fixture(autouse=True)
def waits(monkeypatch) -> list[float]:
    """The task's waits, made instant: each lets the rate-limit window pass (the budget kept in
    the cache is forgotten, as it would expire)."""
    waited: list[float] = []

    def fake_sleep(seconds: float) -> None:
        waited.append(seconds)
        cache.clear()

    monkeypatch.setattr(imports, "sleep", fake_sleep)
    return waited


@pytest.fixture
def client(editor: User, connection: Connection) -> Client:
    return client_for(editor)


def csv_upload(content: str | bytes, name: str = "handlers.csv") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


def upload(client: Client, connection: Connection, content: str | bytes) -> HttpResponse:
    return client.post(import_url(connection), {"file": csv_upload(content)}, follow=True)


def import_url(connection: Connection) -> str:
    return reverse("handler_import", args=[connection.pk])


def job_url(job: ImportJob) -> str:
    return reverse("handler_import_job", args=[job.connection_id, job.pk])


def latest_job() -> ImportJob:
    return ImportJob.objects.latest("pk")


def start(client: Client, job: ImportJob) -> HttpResponse:
    return client.post(
        reverse("handler_import_start", args=[job.connection_id, job.pk]), follow=True
    )


def row_html(html: str, number: int) -> str:
    found = re.search(rf'<tr id="import-row-{number}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, f"row {number} is not on the page"
    return re.sub(r"\s+", " ", found[1])


def posts(sandbox: Sandbox) -> list[Any]:
    return [r for r in sandbox.requests if r.method == "POST"]


def created_by_import(sandbox: Sandbox, api_key: str, before: set[int]) -> list[dict[str, Any]]:
    return [h for h in sandbox.handlers(api_key) if h["id"] not in before]


def after_posts(sandbox: Sandbox, monkeypatch, count: int, fault: Fault) -> None:
    """Inject `fault` once `count` creates have reached the service: a fault mid-run."""
    seen = []

    def hook(recorded) -> None:
        if recorded.method == "POST":
            seen.append(recorded)
            if len(seen) == count:
                sandbox.add_fault(fault)

    monkeypatch.setattr(sandbox, "on_request", hook)


THREE_ROWS = (
    "type,name,email,slack,webhook\n"
    "email,On-call mail,oncall@example.com,,\n"
    f"slack,Support channel,,{SLACK_URL},\n"
    f"webhook,Status page,,,{WEBHOOK_URL}\n"
)


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
    assert "Chat ID ••••7890" in row_html(html, 3)
    assert sandbox.requests == []


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
    assert not ImportJob.objects.exists()
    assert sandbox.requests == []


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
    assert not ImportJob.objects.exists()


def test_exactly_1000_rows_are_accepted(client: Client, connection: Connection) -> None:
    rows = "".join(f"email,Person {n},p{n}@example.com\n" for n in range(1000))

    response = upload(client, connection, "type,name,email\n" + rows)

    assert "1000 of 1000 rows are ready to import." in response.content.decode()


def test_a_file_over_1_mb_is_refused(client: Client, connection: Connection) -> None:
    filler = "x" * 100
    rows = "".join(f"email,{filler},p{n}@example.com\n" for n in range(11_000))

    response = upload(client, connection, "type,name,email\n" + rows)

    assert "larger than 1 MB" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_not_in_utf8_is_refused_with_how_to_save_it(
    client: Client, connection: Connection
) -> None:
    content = "type,name,email\nemail,Дежурный,duty@example.com\n".encode("cp1251")

    response = upload(client, connection, content)

    assert "The file is not in UTF-8." in response.content.decode()
    assert "CSV UTF-8" in response.content.decode()


def test_uploading_without_a_file_asks_for_one(client: Client, connection: Connection) -> None:
    response = client.post(import_url(connection), {})

    assert response.status_code == 200
    assert "Choose the CSV file to import." in response.content.decode()


# --- checking each row -------------------------------------------------------------------------


BAD_ROWS = [
    ("email,Mail,not-an-address", "E-mail address (email): Enter a full e-mail address"),
    ("webhook,Hook,,ftp://example.com/x", "Webhook URL (webhook): Enter a full web address"),
    ("telegram,Bot,,,123 456,-100123", "Bot token (telegram): Remove the spaces"),
    ("telegram,Bot,,,7000:abc,chat", "Chat ID (telegram_chat_id): Enter a numeric chat ID"),
    ("telegram,Bot,,,7000:abcdefgh,", "Chat ID (telegram_chat_id): This field is required."),
    ("slack,,,,,,https://hooks.slack.com/services/T/B/X", "Name: this field is required."),
    ("email," + "n" * 129 + ",a@example.com", "Name: keep it to at most 128 characters"),
    ("pager,Pager,a@example.com", "Type: not a type this dashboard knows."),
    (",Nameless,a@example.com", "Type: this field is required."),
    ("email,Mixed,a@example.com,https://example.com/x", "Leave “webhook” empty"),
    ("email,Too many,a@example.com,,,,,,extra", "values outside the named columns"),
]


@pytest.mark.parametrize(("line", "problem"), BAD_ROWS)
def test_each_row_is_checked_by_the_rules_of_its_type_without_asking_soclook(
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
    assert sandbox.requests == []


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


def test_the_template_has_every_column_and_its_examples_pass_the_checks_and_soclook(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    sandbox.clear_requests()

    response = client.get(reverse("handler_import_template", args=[connection.pk]))

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    content = response.content.decode("utf-8")
    assert content.startswith('\ufeff"type","name","email","webhook","slack","discord","telegram",')
    for handler_type in HANDLER_TYPES.values():
        for name in handler_type.field_names:
            assert name in content.splitlines()[0]
    html = upload(client, connection, response.content).content.decode()
    count = len(HANDLER_TYPES)
    assert f"{count} of {count} rows are ready to import." in html
    assert sandbox.requests == []

    html = start(client, latest_job()).content.decode()

    assert f"Finished: {count} created, 0 refused by Soclook" in html


def test_the_upload_page_explains_the_columns_of_every_type(
    client: Client, connection: Connection
) -> None:
    html = client.get(import_url(connection)).content.decode()

    for handler_type in HANDLER_TYPES.values():
        assert f"<code>{handler_type.slug}</code>" in html
        for name in handler_type.field_names:
            assert f"<code>{name}</code>" in html
    assert reverse("handler_import_template", args=[connection.pk]) in html


# --- importing ---------------------------------------------------------------------------------


def test_confirming_creates_exactly_the_valid_rows_in_soclook(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    before = {h["id"] for h in sandbox.handlers(api_key)}
    upload(client, connection, THREE_ROWS + "slack,Broken,,not a url,\n")
    job = latest_job()
    assert sandbox.handlers(api_key) and not created_by_import(sandbox, api_key, before)

    response = start(client, job)

    html = response.content.decode()
    made = created_by_import(sandbox, api_key, before)
    assert [(h["type"], h["name"]) for h in made] == [
        ("email", "On-call mail"),
        ("slack", "Support channel"),
        ("webhook", "Status page"),
    ]
    assert made[0]["settings"]["email"] == "oncall@example.com"
    assert made[1]["settings"]["slack"] == SLACK_URL
    assert made[2]["settings"]["webhook"] == WEBHOOK_URL
    assert "Finished: 3 created, 0 refused by Soclook, 0 unknown, 1 left out for problems." in html
    for number, handler in zip((2, 3, 4), made, strict=True):
        assert "Created" in row_html(html, number)
        assert f"No. {handler['id']}" in row_html(html, number)
    assert "Skipped" in row_html(html, 5)
    assert 'hx-trigger="every 2s"' not in html
    entries = JournalEntry.objects.filter(action=JournalAction.HANDLER_CREATED)
    assert sorted(entries.values_list("handler_id", flat=True)) == [h["id"] for h in made]


def test_the_list_shows_the_imported_handlers_right_away(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    list_url = reverse("handler_list", args=[connection.pk])
    client.get(list_url)
    upload(client, connection, THREE_ROWS)

    start(client, latest_job())

    assert "Status page" in client.get(list_url + "?search=Status").content.decode()


def test_a_plan_limit_refuses_only_the_rows_over_it_and_the_rest_go_on(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    slack_now = sum(1 for h in sandbox.handlers(api_key) if h["type"] == "slack")
    sandbox.set_plan_limit(api_key, "slack", slack_now + 1)
    content = "type,name,email,slack\n"
    content += f"slack,First slack,,{SLACK_URL}\n"
    content += f"slack,Second slack,,{SLACK_URL}/2\n"
    content += "email,After it,after@example.com,\n"
    upload(client, connection, content)

    html = start(client, latest_job()).content.decode()

    assert "Created" in row_html(html, 2)
    assert "Refused" in row_html(html, 3)
    assert catalog.TITLE_PLAN_LIMIT in row_html(html, 3)
    assert "Created" in row_html(html, 4)
    names = [h["name"] for h in sandbox.handlers(api_key)]
    assert "Second slack" not in names and "After it" in names


def test_a_429_mid_run_waits_for_the_limit_then_goes_on_without_doubles(
    client: Client,
    connection: Connection,
    sandbox: Sandbox,
    api_key: str,
    monkeypatch,
    waits: list[float],
) -> None:
    before = {h["id"] for h in sandbox.handlers(api_key)}
    upload(client, connection, THREE_ROWS)
    sandbox.clear_requests()
    after_posts(sandbox, monkeypatch, 1, Fault("rate_limit", method="POST"))

    html = start(client, latest_job()).content.decode()

    assert [h["name"] for h in created_by_import(sandbox, api_key, before)] == [
        "On-call mail",
        "Support channel",
        "Status page",
    ]
    assert [r.status for r in posts(sandbox)] == [201, 429, 201, 201]
    assert sum(waits) >= 50, "it waited for the window the 429 announced"
    assert "Finished: 3 created" in html


def test_a_limit_that_never_lifts_stops_the_import_after_bounded_waits(
    client: Client, connection: Connection, sandbox: Sandbox, waits: list[float]
) -> None:
    upload(client, connection, THREE_ROWS)
    sandbox.add_fault(Fault("rate_limit", method="POST", count=100))

    html = start(client, latest_job()).content.decode()

    assert len(waits) <= imports.MAX_WAITS_PER_ROW * (
        imports.MAX_WAIT_SECONDS // imports._WAIT_SLICE_SECONDS
    )
    assert max(waits) <= imports.MAX_WAIT_SECONDS
    assert "Soclook kept refusing requests over its limit." in html
    assert all("Not sent" in row_html(html, n) for n in (2, 3, 4))


@pytest.mark.parametrize("kind", ["slow", "truncated_json"])
def test_a_create_without_a_clear_answer_is_reported_unknown_and_never_sent_again(
    kind: str, client: Client, connection: Connection, sandbox: Sandbox, api_key: str, settings
) -> None:
    settings.SOCLOOK_TIMEOUT = 0.5
    sandbox.slow_seconds = 3
    before = {h["id"] for h in sandbox.handlers(api_key)}
    upload(client, connection, THREE_ROWS)
    sandbox.clear_requests()
    sandbox.add_fault(Fault(kind, method="POST"))

    html = start(client, latest_job()).content.decode()

    assert len(posts(sandbox)) == 3, "the row whose answer never came was not sent twice"
    assert "Unknown — check the list" in row_html(html, 2)
    assert "Created" in row_html(html, 3) and "Created" in row_html(html, 4)
    assert "did not confirm whether the handler was created" in html
    # The service did apply that create: only the list can tell.
    assert len(created_by_import(sandbox, api_key, before)) == 3


@pytest.mark.parametrize("kind", ["html_500", "503", "refused"])
def test_when_soclook_goes_down_the_import_stops_and_the_rest_is_not_sent(
    kind: str,
    client: Client,
    connection: Connection,
    sandbox: Sandbox,
    api_key: str,
    monkeypatch,
) -> None:
    before = {h["id"] for h in sandbox.handlers(api_key)}
    upload(client, connection, THREE_ROWS)
    sandbox.clear_requests()
    if kind == "refused":
        create = imports.handler_create

        def create_then_go_down(**kwargs: Any) -> int:
            handler_id = create(**kwargs)
            Connection.objects.filter(pk=connection.pk).update(base_url=closed_port_url())
            return handler_id

        monkeypatch.setattr(imports, "handler_create", create_then_go_down)
    else:
        after_posts(sandbox, monkeypatch, 1, Fault(kind, method="POST"))

    html = start(client, latest_job()).content.decode()

    assert "Created" in row_html(html, 2)
    assert "Not sent" in row_html(html, 3) and "Not sent" in row_html(html, 4)
    assert "The import stopped: Soclook stopped responding properly." in html
    assert "1 created, 0 refused by Soclook, 0 unknown, 2 not sent." in html
    assert [h["name"] for h in created_by_import(sandbox, api_key, before)] == ["On-call mail"]
    assert len(posts(sandbox)) == (1 if kind == "refused" else 2)


def closed_port_url() -> str:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/"


def test_an_import_leaves_part_of_each_minute_to_the_people_using_the_dashboard(
    client: Client, connection: Connection, sandbox: Sandbox, monkeypatch
) -> None:
    rows = "".join(f"email,Person {n},p{n}@example.com\n" for n in range(60))
    upload(client, connection, "type,name,email\n" + rows)
    sandbox.clear_requests()
    sent_before_each_wait: list[int] = []

    def sleep(seconds: float) -> None:
        sent_before_each_wait.append(len(posts(sandbox)))
        cache.clear()

    monkeypatch.setattr(imports, "sleep", sleep)

    html = start(client, latest_job()).content.decode()

    assert "Finished: 60 created" in html
    assert sent_before_each_wait[0] == 60 - imports.PEOPLE_HEADROOM
    assert 429 not in [r.status for r in sandbox.requests]


# --- what the pages show, and what is stored ---------------------------------------------------


SECRET_ROWS = (
    "type,name,slack,webhook,telegram,telegram_chat_id," + ",".join(X_SECRETS) + "\n"
    f"slack,Support,{SLACK_URL},,,,,,,\n"
    f"webhook,Status,,{WEBHOOK_URL},,,,,,\n"
    f"telegram,Night bot,,,{BOT_TOKEN},-1001234567890,,,,\n"
    "x,Tweets,,,,," + ",".join(X_SECRETS.values()) + "\n"
    f"telegram,Broken bot,,,{BOT_TOKEN} with spaces,-100,,,,\n"
)


def test_no_secret_reaches_the_preview_or_the_job_page(
    client: Client, connection: Connection
) -> None:
    preview = upload(client, connection, SECRET_ROWS).content.decode()
    job = latest_job()
    result = start(client, job).content.decode()
    partial = client.get(job_url(job), headers=HX).content.decode()
    upload_page = client.get(import_url(connection)).content.decode()

    for page in (preview, result, partial, upload_page):
        for secret in SECRETS:
            assert secret not in page
    assert "hooks.slack.com" in row_html(preview, 2)
    assert "hooks.example.com" in row_html(preview, 3)
    assert "Chat ID ••••7890" in row_html(preview, 4)
    assert "••••ue03" in row_html(preview, 5)


def test_the_stored_rows_are_encrypted_and_erased_when_the_job_ends(
    client: Client, connection: Connection
) -> None:
    upload(client, connection, SECRET_ROWS)
    job = latest_job()
    assert job.payload_encrypted
    assert job.payload["2"]["slack"] == SLACK_URL
    dump = serializers.serialize("json", [job, *ImportRow.objects.filter(job=job)])
    for secret in SECRETS:
        assert secret not in dump

    start(client, job)

    job.refresh_from_db()
    assert job.status == ImportStatus.FINISHED
    assert job.payload_encrypted == ""


def test_key_rotation_re_encrypts_an_import_waiting_for_confirmation(
    client: Client, connection: Connection, settings
) -> None:
    upload(client, connection, SECRET_ROWS)
    job = latest_job()
    new_key = crypto.generate_key()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]

    call_command("rotate_encryption_keys", verbosity=0)

    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    job.refresh_from_db()
    assert job.payload["3"]["webhook"] == WEBHOOK_URL


def test_the_job_page_polls_while_the_import_waits_and_answers_htmx_with_the_progress_only(
    client: Client, connection: Connection, settings
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    upload(client, connection, THREE_ROWS)
    job = latest_job()

    page = start(client, job).content.decode()
    partial = client.get(job_url(job), headers=HX).content.decode()

    assert "Waiting to start." in page
    assert f'hx-get="{job_url(job)}" hx-trigger="every 2s"' in page
    assert 'id="import-refresh"' in page and "js-hidden" in page
    assert partial.lstrip().startswith('<div id="import-progress"')
    assert "<html" not in partial
    assert 'hx-trigger="every 2s"' in partial
    assert "background worker may not be running" not in partial

    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=2))
    later = client.get(job_url(job), headers=HX).content.decode()

    assert "background worker may not be running" in later


def test_a_running_job_shows_how_far_it_got_and_when_it_goes_on(
    client: Client, connection: Connection, settings
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    upload(client, connection, THREE_ROWS)
    job = latest_job()
    start(client, job)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, waiting_until=timezone.now() + timedelta(seconds=42)
    )
    job.rows.filter(number=2).update(outcome=ImportRowOutcome.CREATED, handler_id=1234)

    html = client.get(job_url(job), headers=HX).content.decode()

    assert "Importing: 1 of 3 rows done." in html
    assert re.search(r"Waiting 4[12] s for Soclook's request limit", html)
    assert '<progress id="import-bar" class="w-100" value="1" max="3">' in html


def test_a_job_whose_worker_went_away_is_given_up_and_its_secrets_erased(
    client: Client, connection: Connection, settings
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    upload(client, connection, THREE_ROWS)
    job = latest_job()
    start(client, job)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, updated_at=timezone.now() - timedelta(minutes=10)
    )
    job.rows.filter(number=2).update(outcome=ImportRowOutcome.CREATED, handler_id=1234)
    job.rows.filter(number=3).update(outcome=ImportRowOutcome.SENDING)

    html = client.get(job_url(job)).content.decode()

    assert "The dashboard&#x27;s background worker stopped while it ran." in html
    assert "Unknown — check the list" in row_html(html, 3)
    assert "Not sent" in row_html(html, 4)
    job.refresh_from_db()
    assert job.payload_encrypted == ""


# --- who may do what ---------------------------------------------------------------------------


def every_import_url(connection: Connection, job: ImportJob) -> list[tuple[str, str]]:
    ids = [connection.pk, job.pk]
    return [
        ("get", import_url(connection)),
        ("post", import_url(connection)),
        ("get", reverse("handler_import_template", args=[connection.pk])),
        ("get", reverse("handler_import_job", args=ids)),
        ("get", reverse("handler_import_job", args=ids)),
        ("post", reverse("handler_import_start", args=ids)),
        ("post", reverse("handler_import_stop", args=ids)),
    ]


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("stranger", 404)])
def test_viewers_are_refused_and_strangers_see_nothing_without_a_request_to_soclook(
    who: str, status: int, request, client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    upload(client, connection, THREE_ROWS)
    job = latest_job()
    sandbox.clear_requests()
    other = client_for(request.getfixturevalue(who))

    for method, url in every_import_url(connection, job):
        data = {"file": csv_upload(THREE_ROWS)} if method == "post" else None
        assert getattr(other, method)(url, data).status_code == status, (method, url)

    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEW
    assert ImportJob.objects.count() == 1
    assert sandbox.requests == []


def test_a_preview_is_its_uploaders_own_until_it_is_confirmed(
    client: Client, connection: Connection, owner: User, sandbox: Sandbox
) -> None:
    upload(client, connection, THREE_ROWS)
    job = latest_job()
    colleague = client_for(owner)

    assert colleague.get(job_url(job)).status_code == 404
    assert start(colleague, job).status_code == 404

    start(client, job)
    assert colleague.get(job_url(job)).status_code == 200


def test_an_import_stops_when_its_starter_can_no_longer_edit(
    client: Client, connection: Connection, editor: User, sandbox: Sandbox
) -> None:
    upload(client, connection, THREE_ROWS)
    job = latest_job()
    sandbox.clear_requests()
    Membership.objects.filter(user=editor).update(role=Role.VIEWER)

    imports.import_job_start(job=job)

    job.refresh_from_db()
    assert job.status == ImportStatus.STOPPED
    assert set(job.rows.values_list("outcome", flat=True)) == {ImportRowOutcome.NOT_SENT}
    assert sandbox.requests == []


def test_cancelling_a_preview_throws_it_away(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    upload(client, connection, THREE_ROWS)
    job = latest_job()

    response = client.post(
        reverse("handler_import_stop", args=[connection.pk, job.pk]), follow=True
    )

    assert "The import was cancelled; nothing was sent to Soclook." in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not posts(sandbox)


def test_a_preview_left_for_over_an_hour_cannot_be_imported(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    upload(client, connection, THREE_ROWS)
    job = latest_job()
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=2))
    sandbox.clear_requests()

    html = start(client, job).content.decode()

    assert "more than an hour old" in html
    assert not posts(sandbox)


def test_a_second_click_on_import_sends_nothing_twice(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    upload(client, connection, THREE_ROWS)
    job = latest_job()
    sandbox.clear_requests()

    start(client, job)
    start(client, job)

    assert len(posts(sandbox)) == 3


def test_the_list_offers_import_to_editors_but_not_to_viewers(
    client: Client, connection: Connection, viewer: User
) -> None:
    list_url = reverse("handler_list", args=[connection.pk])

    assert import_url(connection) in client.get(list_url).content.decode()
    assert import_url(connection) not in client_for(viewer).get(list_url).content.decode()


def test_recent_imports_are_listed_with_their_results(
    client: Client, connection: Connection, owner: User
) -> None:
    upload(client, connection, THREE_ROWS + "slack,Broken,,not a url,\n")
    start(client, latest_job())

    html = client_for(owner).get(import_url(connection)).content.decode()

    assert 'id="import-jobs"' in html
    assert "handlers.csv" in html
    assert "3 created, 0 refused, 0 unknown, 0 not sent" in html


# --- the database backend and its worker --------------------------------------------------------


@pytest.fixture
def database_tasks(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_the_worker_runs_a_queued_import(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    before = {h["id"] for h in sandbox.handlers(api_key)}
    upload(client, connection, THREE_ROWS)
    job = latest_job()

    start(client, job)
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED
    assert not created_by_import(sandbox, api_key, before)

    run_worker()

    job.refresh_from_db()
    assert job.status == ImportStatus.FINISHED
    assert job.payload_encrypted == ""
    assert len(created_by_import(sandbox, api_key, before)) == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_an_import_stopped_while_queued_sends_nothing_when_the_worker_comes(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    upload(client, connection, THREE_ROWS)
    job = latest_job()
    start(client, job)
    sandbox.clear_requests()

    html = client.post(
        reverse("handler_import_stop", args=[connection.pk, job.pk]), follow=True
    ).content.decode()
    run_worker()

    assert "The import stopped: Someone on the team stopped it." in html
    assert all("Not sent" in row_html(html, n) for n in (2, 3, 4))
    job.refresh_from_db()
    assert job.status == ImportStatus.STOPPED
    assert job.payload_encrypted == ""
    assert sandbox.requests == []
