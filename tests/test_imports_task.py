"""The background task that creates a confirmed import's rows (handlers_app.imports.task):
exactly the valid rows, through the shared request budget, waiting out the rate limit, never
sending a row twice, and stopping when Soclook goes down or the starter may no longer edit."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from handlers_app import pacing
from handlers_app.batches import creating, job_start, runner
from handlers_app.models import (
    Connection,
    ItemOutcome,
    JobStatus,
    JournalAction,
    JournalEntry,
    Membership,
    Role,
)
from handlers_app.pacing import MAX_WAIT_SECONDS
from handlers_app.sandbox import Fault, Sandbox, catalog
from tests.helpers import client_for
from tests.imports_support import (
    IMMEDIATE,
    SLACK_URL,
    THREE_ROWS,
    WEBHOOK_URL,
    created_by_import,
    csv_upload,
    import_url,
    instant_waits,
    latest_job,
    posts,
    row_html,
    run_worker,
    start,
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


def after_posts(sandbox: Sandbox, monkeypatch, count: int, fault: Fault) -> None:
    """Inject `fault` once `count` creates have reached the service: a fault mid-run."""
    seen = []

    def hook(recorded) -> None:
        if recorded.method == "POST":
            seen.append(recorded)
            if len(seen) == count:
                sandbox.add_fault(fault)

    monkeypatch.setattr(sandbox, "on_request", hook)


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
    assert 'data-hx-trigger="every 2s"' not in html
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

    assert len(waits) <= runner.MAX_WAITS_PER_ITEM * (MAX_WAIT_SECONDS // runner._WAIT_STEP_SECONDS)
    assert max(waits) <= MAX_WAIT_SECONDS
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
        create = creating.handler_create

        def create_then_go_down(**kwargs: Any) -> int:
            handler_id = create(**kwargs)
            Connection.objects.filter(pk=connection.pk).update(base_url=closed_port_url())
            return handler_id

        monkeypatch.setattr(creating, "handler_create", create_then_go_down)
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
    # Asked to add them whatever the list holds: the check reads nothing, the budget is whole.
    client.post(
        import_url(connection),
        {"file": csv_upload("type,name,email\n" + rows), "same_place_ok": "on"},
    )
    sandbox.clear_requests()
    sent_before_each_wait: list[int] = []

    def sleep(seconds: float) -> None:
        sent_before_each_wait.append(len(posts(sandbox)))
        cache.clear()

    monkeypatch.setattr(pacing, "sleep", sleep)

    html = start(client, latest_job()).content.decode()

    assert "Finished: 60 created" in html
    assert sent_before_each_wait[0] == 60 - runner.PEOPLE_HEADROOM
    assert 429 not in [r.status for r in sandbox.requests]


def test_an_import_stops_when_its_starter_can_no_longer_edit(
    client: Client, connection: Connection, editor: User, sandbox: Sandbox
) -> None:
    upload(client, connection, THREE_ROWS)
    job = latest_job()
    sandbox.clear_requests()
    Membership.objects.filter(user=editor).update(role=Role.VIEWER)

    job_start(job=job)

    job.refresh_from_db()
    assert job.status == JobStatus.STOPPED
    assert set(job.items.values_list("outcome", flat=True)) == {ItemOutcome.NOT_SENT}
    assert sandbox.requests == []


# --- the database backend and its worker --------------------------------------------------------


@pytest.fixture
def database_tasks(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


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
    assert job.status == JobStatus.QUEUED
    assert not created_by_import(sandbox, api_key, before)

    run_worker()

    job.refresh_from_db()
    assert job.status == JobStatus.FINISHED
    assert job.payload_encrypted == ""
    assert len(created_by_import(sandbox, api_key, before)) == 3
