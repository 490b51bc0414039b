"""Housekeeping of imports (handlers_app.imports.housekeeping, `manage.py imports_housekeeping`):
previews nobody confirmed and jobs whose worker went away are ended there, secrets erased, while
the pages only read: a stalled job is shown as it will end before housekeeping ends it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from django.db import connection as database
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from handlers_app.management.commands import imports_housekeeping
from handlers_app.models import (
    Connection,
    ImportJob,
    ImportRow,
    ImportRowOutcome,
    ImportStatus,
    ImportStopReason,
)
from tests.helpers import client_for
from tests.imports_support import (
    IMMEDIATE,
    THREE_ROWS,
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


def stalled_job(client: Client, connection: Connection) -> ImportJob:
    """A job whose worker went away ten minutes ago, after its first row was created and while
    its second was being sent."""
    upload(client, connection, THREE_ROWS)
    job = latest_job()
    start(client, job)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, updated_at=timezone.now() - timedelta(minutes=10)
    )
    job.rows.filter(number=2).update(outcome=ImportRowOutcome.CREATED, handler_id=1234)
    job.rows.filter(number=3).update(outcome=ImportRowOutcome.SENDING)
    return job


def queued_job(client: Client, connection: Connection, *, queued_for: timedelta) -> ImportJob:
    upload(client, connection, THREE_ROWS)
    job = latest_job()
    start(client, job)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - queued_for)
    return job


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

    call_command("imports_housekeeping")
    html = client.get(job_url(job)).content.decode()

    assert "The dashboard&#x27;s background worker stopped while it ran." in html
    assert "Unknown — check the list" in row_html(html, 3)
    assert "Not sent" in row_html(html, 4)
    job.refresh_from_db()
    assert job.payload_encrypted == ""


def test_the_page_of_a_job_whose_worker_went_away_shows_it_stopped_and_writes_nothing(
    client: Client, connection: Connection, settings
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = stalled_job(client, connection)

    with CaptureQueriesContext(database) as queries:
        html = client.get(job_url(job)).content.decode()
        partial = client.get(job_url(job), headers={"HX-Request": "true"}).content.decode()

    for page in (html, partial):
        assert "The dashboard&#x27;s background worker stopped while it ran." in page
        assert "Created" in row_html(page, 2)
        assert "Unknown — check the list" in row_html(page, 3)
        assert "Not sent" in row_html(page, 4)
        assert 'data-hx-trigger="every 2s"' not in page
        assert 'id="import-stop"' not in page
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING
    assert job.payload_encrypted
    assert job.rows.get(number=3).outcome == ImportRowOutcome.SENDING


def test_a_queued_job_no_worker_took_for_a_day_is_given_up(
    client: Client, connection: Connection, settings
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    forgotten = queued_job(client, connection, queued_for=timedelta(days=1, minutes=1))
    waiting = queued_job(client, connection, queued_for=timedelta(hours=1))

    call_command("imports_housekeeping")

    forgotten.refresh_from_db()
    assert forgotten.status == ImportStatus.STOPPED
    assert forgotten.stop_reason == ImportStopReason.INTERRUPTED
    assert forgotten.payload_encrypted == ""
    assert set(forgotten.rows.values_list("outcome", flat=True)) == {ImportRowOutcome.NOT_SENT}
    waiting.refresh_from_db()
    assert waiting.status == ImportStatus.QUEUED
    assert waiting.payload_encrypted


def test_a_running_job_whose_worker_still_beats_goes_on(
    client: Client, connection: Connection, settings
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = stalled_job(client, connection)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=4))

    call_command("imports_housekeeping")

    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING
    assert job.payload_encrypted
    assert "Importing: 1 of 3 rows done." in client.get(job_url(job)).content.decode()


def test_previews_nobody_confirmed_within_an_hour_are_thrown_away_with_their_rows(
    client: Client, connection: Connection
) -> None:
    upload(client, connection, THREE_ROWS)
    old = latest_job()
    ImportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=2))
    upload(client, connection, THREE_ROWS)
    fresh = latest_job()

    call_command("imports_housekeeping")

    assert list(ImportJob.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not ImportRow.objects.filter(job_id=old.pk).exists()
    assert client.get(job_url(old)).status_code == 404


def test_a_round_that_fails_is_logged_and_the_next_one_runs(
    client: Client, connection: Connection, settings, monkeypatch, caplog
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = stalled_job(client, connection)
    sweep = imports_housekeeping.import_jobs_sweep
    rounds: list[str] = []

    def sweep_failing_once() -> tuple[int, int]:
        if not rounds:
            rounds.append("failed")
            raise DatabaseError("the database is restarting")
        rounds.append("swept")
        return sweep()

    class Stop(Exception):
        pass

    def sleep(seconds: float) -> None:
        if len(rounds) == 2:
            raise Stop

    monkeypatch.setattr(imports_housekeeping, "import_jobs_sweep", sweep_failing_once)
    monkeypatch.setattr(imports_housekeeping, "sleep", sleep)
    # The test's transaction holds the connection that the loop would otherwise close and reopen.
    monkeypatch.setattr(imports_housekeeping, "close_old_connections", lambda: None)

    with pytest.raises(Stop):
        call_command("imports_housekeeping", "--every", "60")

    assert rounds == ["failed", "swept"]
    assert "Import housekeeping failed; trying again in 60 s." in caplog.text
    assert "the database is restarting" in caplog.text
    job.refresh_from_db()
    assert job.status == ImportStatus.STOPPED


def test_a_period_under_a_second_is_refused() -> None:
    with pytest.raises(CommandError) as refused:
        call_command("imports_housekeeping", "--every", "0")

    assert str(refused.value) == "--every takes a number of seconds, 1 or more."
