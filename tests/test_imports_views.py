"""The import pages (handlers_app.views.imports): what the upload page explains, no secret on
any page, the job page's progress and htmx polling, and who may see or do what."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from handlers_app.models import Connection, ItemOutcome, Job, JobStatus
from handlers_app.sandbox import Sandbox
from handlers_app.soclook.types import HANDLER_TYPES
from tests.helpers import client_for
from tests.imports_support import (
    HX,
    IMMEDIATE,
    SECRET_ROWS,
    SECRETS,
    THREE_ROWS,
    csv_upload,
    import_url,
    instant_waits,
    job_url,
    latest_job,
    row_html,
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


def test_uploading_without_a_file_asks_for_one(client: Client, connection: Connection) -> None:
    response = client.post(import_url(connection), {})

    assert response.status_code == 200
    assert "Choose the CSV file to import." in response.content.decode()


def test_the_upload_page_explains_the_columns_of_every_type(
    client: Client, connection: Connection
) -> None:
    html = client.get(import_url(connection)).content.decode()

    for handler_type in HANDLER_TYPES.values():
        assert f"{handler_type.label}</th>" in html
        for spec in handler_type.fields:
            assert f"{spec.label}: <code>{spec.name}</code>" in html
    assert reverse("handler_import_template", args=[connection.pk]) in html


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
    assert "Chat ID -1001234567890" in row_html(preview, 4)
    assert "••••ue03" in row_html(preview, 5)


def test_the_job_page_polls_while_the_import_waits_and_answers_htmx_with_the_progress_only(
    client: Client, connection: Connection, settings
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    upload(client, connection, THREE_ROWS)
    job = latest_job()

    page = start(client, job).content.decode()
    partial = client.get(job_url(job), headers=HX).content.decode()

    assert "Waiting to start." in page
    assert f'data-hx-get="{job_url(job)}" data-hx-trigger="every 2s"' in page
    assert 'id="import-refresh"' in page and "js-hidden" in page
    assert partial.lstrip().startswith('<div id="import-progress"')
    assert "<html" not in partial
    assert 'data-hx-trigger="every 2s"' in partial
    assert "background worker may not be running" not in partial

    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=2))
    later = client.get(job_url(job), headers=HX).content.decode()

    assert "background worker may not be running" in later


def test_a_running_job_shows_how_far_it_got_and_when_it_goes_on(
    client: Client, connection: Connection, settings
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    upload(client, connection, THREE_ROWS)
    job = latest_job()
    start(client, job)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, waiting_until=timezone.now() + timedelta(seconds=42)
    )
    job.items.filter(position=2).update(outcome=ItemOutcome.CREATED, handler_id=1234)

    html = client.get(job_url(job), headers=HX).content.decode()

    assert "Importing: 1 of 3 rows done." in html
    assert re.search(r"Waiting 4[12] s for Soclook's request limit", html)
    assert '<progress id="import-bar" class="w-100" value="1" max="3">' in html


# --- who may do what ---------------------------------------------------------------------------


def every_import_url(connection: Connection, job: Job) -> list[tuple[str, str]]:
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
    assert job.status == JobStatus.PREVIEW
    assert Job.objects.count() == 1
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
