"""The import jobs (handlers_app.imports.jobs): the rows kept encrypted until the job ends, a
preview cancelled or too old to start, a second click that sends nothing, a stop that is heard
before the worker comes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import serializers
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from handlers_app import crypto
from handlers_app.models import Connection, Job, JobItem, JobStatus
from handlers_app.sandbox import Sandbox
from tests.helpers import client_for
from tests.imports_support import (
    IMMEDIATE,
    SECRET_ROWS,
    SECRETS,
    SLACK_URL,
    THREE_ROWS,
    WEBHOOK_URL,
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


def test_the_stored_rows_are_encrypted_and_erased_when_the_job_ends(
    client: Client, connection: Connection
) -> None:
    upload(client, connection, SECRET_ROWS)
    job = latest_job()
    assert job.payload_encrypted
    assert job.payload["2"]["slack"] == SLACK_URL
    dump = serializers.serialize("json", [job, *JobItem.objects.filter(job=job)])
    for secret in SECRETS:
        assert secret not in dump

    start(client, job)

    job.refresh_from_db()
    assert job.status == JobStatus.FINISHED
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


def test_cancelling_a_preview_throws_it_away(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    upload(client, connection, THREE_ROWS)
    job = latest_job()

    response = client.post(
        reverse("handler_import_stop", args=[connection.pk, job.pk]), follow=True
    )

    assert "The import was cancelled; nothing was sent to Soclook." in response.content.decode()
    assert not Job.objects.exists()
    assert not posts(sandbox)


def test_a_preview_left_for_over_an_hour_cannot_be_imported(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    upload(client, connection, THREE_ROWS)
    job = latest_job()
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=2))
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


@pytest.fixture
def database_tasks(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


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
    assert job.status == JobStatus.STOPPED
    assert job.payload_encrypted == ""
    assert sandbox.requests == []
