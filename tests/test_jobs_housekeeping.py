"""Housekeeping of the background jobs (handlers_app.batches.jobs_sweep, `manage.py
jobs_housekeeping`), shown on imports: previews nobody confirmed are thrown away with their
secrets, jobs no worker picked up are given up, and a job whose worker went away is queued again
and goes on where it stopped, without creating a handler twice; the pages only read."""

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

from handlers_app.management.commands import jobs_housekeeping
from handlers_app.models import (
    Connection,
    ItemOutcome,
    Job,
    JobItem,
    JobStatus,
    StopReason,
)
from handlers_app.sandbox import Sandbox
from tests.helpers import client_for
from tests.imports_support import (
    IMMEDIATE,
    SLACK_URL,
    THREE_ROWS,
    instant_waits,
    job_url,
    latest_job,
    posts,
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


def stalled_job(client: Client, connection: Connection) -> Job:
    """A job whose worker went away ten minutes ago, after its first row was created and while
    its second was being sent."""
    upload(client, connection, THREE_ROWS)
    job = latest_job()
    start(client, job)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, updated_at=timezone.now() - timedelta(minutes=10)
    )
    job.items.filter(position=2).update(outcome=ItemOutcome.CREATED, handler_id=1234)
    job.items.filter(position=3).update(outcome=ItemOutcome.SENDING)
    return job


def queued_job(client: Client, connection: Connection, *, queued_for: timedelta) -> Job:
    upload(client, connection, THREE_ROWS)
    job = latest_job()
    start(client, job)
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - queued_for)
    return job


def test_a_job_whose_worker_went_away_goes_on_where_it_stopped(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, settings
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = stalled_job(client, connection)
    sandbox.clear_requests()
    settings.TASKS = IMMEDIATE

    call_command("jobs_housekeeping")
    html = client.get(job_url(job)).content.decode()

    job.refresh_from_db()
    assert job.status == JobStatus.FINISHED
    assert job.payload_encrypted == "", "the secrets are erased once it ended"
    assert "Created" in row_html(html, 3) and "Created" in row_html(html, 4)
    assert len(posts(sandbox)) == 2, "rows 3 and 4, each once"


def test_a_row_that_reached_soclook_before_its_worker_went_away_is_not_created_twice(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, settings
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = stalled_job(client, connection)
    # Row 3's create reached Soclook; its worker stopped before settling the row.
    made = sandbox.add_handler(
        api_key, type="slack", name="Support channel", settings={"slack": SLACK_URL}
    )
    sandbox.clear_requests()
    settings.TASKS = IMMEDIATE

    call_command("jobs_housekeeping")

    same = [h["id"] for h in sandbox.handlers(api_key) if h["settings"].get("slack") == SLACK_URL]
    assert same == [made["id"]]
    assert len(posts(sandbox)) == 1, "row 4 only"
    assert job.items.get(position=3).outcome == ItemOutcome.CREATED


def test_the_page_of_a_job_whose_worker_went_away_says_so_and_writes_nothing(
    client: Client, connection: Connection, settings
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = stalled_job(client, connection)

    with CaptureQueriesContext(database) as queries:
        html = client.get(job_url(job)).content.decode()
        partial = client.get(job_url(job), headers={"HX-Request": "true"}).content.decode()

    for page in (html, partial):
        assert "The dashboard's background worker stopped while it ran." in page
        assert "It goes on from where it stopped once a worker runs again" in page
        assert "Created" in row_html(page, 2)
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert job.payload_encrypted
    assert job.items.get(position=3).outcome == ItemOutcome.SENDING


def test_a_queued_job_no_worker_took_for_a_day_is_given_up(
    client: Client, connection: Connection, settings
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    forgotten = queued_job(client, connection, queued_for=timedelta(days=1, minutes=1))
    waiting = queued_job(client, connection, queued_for=timedelta(hours=1))

    call_command("jobs_housekeeping")

    forgotten.refresh_from_db()
    assert forgotten.status == JobStatus.STOPPED
    assert forgotten.stop_reason == StopReason.INTERRUPTED
    assert forgotten.payload_encrypted == ""
    assert set(forgotten.items.values_list("outcome", flat=True)) == {ItemOutcome.NOT_SENT}
    waiting.refresh_from_db()
    assert waiting.status == JobStatus.QUEUED
    assert waiting.payload_encrypted


def test_a_running_job_whose_worker_still_beats_goes_on(
    client: Client, connection: Connection, settings
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = stalled_job(client, connection)
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=4))

    call_command("jobs_housekeeping")

    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert job.payload_encrypted
    assert "Importing: 1 of 3 rows done." in client.get(job_url(job)).content.decode()


def test_previews_nobody_confirmed_within_an_hour_are_thrown_away_with_their_rows(
    client: Client, connection: Connection
) -> None:
    upload(client, connection, THREE_ROWS)
    old = latest_job()
    Job.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=2))
    upload(client, connection, THREE_ROWS)
    fresh = latest_job()

    call_command("jobs_housekeeping")

    assert list(Job.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not JobItem.objects.filter(job_id=old.pk).exists()
    assert client.get(job_url(old)).status_code == 404


def test_a_round_that_fails_is_logged_and_the_next_one_runs(
    client: Client, connection: Connection, settings, monkeypatch, caplog
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = stalled_job(client, connection)
    sweep = jobs_housekeeping.jobs_sweep
    rounds: list[str] = []

    def sweep_failing_once() -> tuple[int, int, int]:
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

    monkeypatch.setattr(jobs_housekeeping, "jobs_sweep", sweep_failing_once)
    monkeypatch.setattr(jobs_housekeeping, "sleep", sleep)
    # The test's transaction holds the connection that the loop would otherwise close and reopen.
    monkeypatch.setattr(jobs_housekeeping, "close_old_connections", lambda: None)

    with pytest.raises(Stop):
        call_command("jobs_housekeeping", "--every", "60")

    assert rounds == ["failed", "swept"]
    assert "Job housekeeping failed; trying again in 60 s." in caplog.text
    assert "the database is restarting" in caplog.text
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert job.waiting_until is not None, "queued again for a worker"


def test_a_period_under_a_second_is_refused() -> None:
    with pytest.raises(CommandError) as refused:
        call_command("jobs_housekeeping", "--every", "0")

    assert str(refused.value) == "--every takes a number of seconds, 1 or more."
