"""One team's import never keeps another's waiting: the task works in slices queued behind the
other jobs, waits for the request budget without holding a worker, and with several workers a
second team's import finishes while the first meets a dripping upstream.

These run the database task backend and its worker, as `make run` and `make prod` do.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connections
from django.tasks import TaskResultStatus
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from handlers_app.batches.runner import SLICE_ITEMS
from handlers_app.models import (
    Connection,
    ItemOutcome,
    Job,
    JobStatus,
    Membership,
    Role,
    Team,
)
from handlers_app.sandbox import Fault, Sandbox
from tests.helpers import client_for, make_user

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("database_tasks"),
]

# Far longer than any of these tests waits for something to happen; never reached when they pass.
PATIENCE_SECONDS = 60


@pytest.fixture
def database_tasks(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def other_key(sandbox: Sandbox) -> str:
    return sandbox.add_account(seed=0)


@pytest.fixture
def other_connection(sandbox: Sandbox, other_key: str) -> Connection:
    """Another team's connection, to another account."""
    team = Team.objects.create(name="Billing")
    connection = Connection(team=team, name="Billing account", base_url=sandbox.base_url)
    connection.set_api_key(other_key)
    connection.save()
    return connection


@pytest.fixture
def other_editor(other_connection: Connection) -> User:
    user = make_user("bella")
    Membership.objects.create(user=user, team=other_connection.team, role=Role.EDITOR)
    return user


def emails(prefix: str, count: int) -> str:
    rows = "".join(f"email,{prefix} {n},{prefix.lower()}{n}@example.com\n" for n in range(count))
    return "type,name,email\n" + rows


def import_started(client: Client, connection: Connection, content: str) -> Job:
    file = SimpleUploadedFile("handlers.csv", content.encode(), content_type="text/csv")
    client.post(reverse("handler_import", args=[connection.pk]), {"file": file})
    job = Job.objects.filter(connection=connection).latest("pk")
    client.post(reverse("handler_import_start", args=[connection.pk, job.pk]))
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    return job


def job_page(client: Client, job: Job) -> str:
    url = reverse("handler_import_job", args=[job.connection_id, job.pk])
    return client.get(url, headers={"HX-Request": "true"}).content.decode()


def run_worker() -> None:
    """One worker, until no task is ready."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.fixture
def worker_thread() -> Iterator[threading.Thread]:
    """A second worker, in a thread of its own (until no task is ready), as a second
    `db_worker` process would run beside the first."""

    def work() -> None:
        try:
            Worker(
                queue_names=["default"],
                interval=0,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id="second-worker",
                excluded_queue_names=[],
            ).run()
        finally:
            connections.close_all()

    thread = threading.Thread(target=work, name="second-worker", daemon=True)
    yield thread
    thread.join(PATIENCE_SECONDS)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def names_sent(sandbox: Sandbox, key: str) -> list[str]:
    return [r.form["name"] for r in sandbox.requests if r.method == "POST" and r.api_key == key]


def let_deferred_tasks_come_due() -> None:
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())


def test_a_long_import_lets_another_teams_import_run_between_its_slices(
    editor: User,
    connection: Connection,
    api_key: str,
    other_editor: User,
    other_connection: Connection,
    other_key: str,
    sandbox: Sandbox,
) -> None:
    long_job = import_started(client_for(editor), connection, emails("Long", 25))
    short_job = import_started(client_for(other_editor), other_connection, emails("Short", 3))
    sandbox.clear_requests()

    run_worker()

    keys = [r.api_key for r in sandbox.requests if r.method == "POST"]
    long_rows = [i for i, key in enumerate(keys) if key == api_key]
    short_rows = [i for i, key in enumerate(keys) if key == other_key]
    assert len(long_rows) == 25 and len(short_rows) == 3
    assert max(short_rows) < long_rows[SLICE_ITEMS], "the short import waited for the long one"
    for job in (long_job, short_job):
        job.refresh_from_db()
        assert job.status == JobStatus.FINISHED
        assert set(job.items.values_list("outcome", flat=True)) == {ItemOutcome.CREATED}


def test_an_import_waiting_for_its_request_limit_leaves_the_worker_to_another_team(
    editor: User,
    connection: Connection,
    api_key: str,
    other_editor: User,
    other_connection: Connection,
    sandbox: Sandbox,
) -> None:
    client = client_for(editor)
    waiting = import_started(client, connection, emails("Waiting", 3))
    other = import_started(client_for(other_editor), other_connection, emails("Other", 3))
    sandbox.clear_requests()
    sandbox.add_fault(Fault("rate_limit", method="POST"))

    run_worker()

    other.refresh_from_db()
    assert other.status == JobStatus.FINISHED
    waiting.refresh_from_db()
    assert waiting.status == JobStatus.RUNNING
    assert re.search(
        r"Waiting \d+ s for Soclook's request limit to refill", job_page(client, waiting)
    )
    assert names_sent(sandbox, api_key) == ["Waiting 0"]

    # The minute passes: the budget kept in the cache expires, the next slice comes due.
    cache.clear()
    let_deferred_tasks_come_due()
    run_worker()

    waiting.refresh_from_db()
    assert waiting.status == JobStatus.FINISHED
    assert names_sent(sandbox, api_key) == ["Waiting 0", "Waiting 0", "Waiting 1", "Waiting 2"]
    assert [r.status for r in sandbox.requests if r.api_key == api_key] == [429, 201, 201, 201]


def test_stopping_an_import_that_waits_for_its_request_limit_ends_it_at_once(
    editor: User, connection: Connection, sandbox: Sandbox
) -> None:
    client = client_for(editor)
    job = import_started(client, connection, emails("Waiting", 3))
    sandbox.add_fault(Fault("rate_limit", method="POST"))
    run_worker()

    client.post(reverse("handler_import_stop", args=[connection.pk, job.pk]))

    job.refresh_from_db()
    assert job.status == JobStatus.STOPPED
    assert job.payload_encrypted == ""
    assert set(job.items.values_list("outcome", flat=True)) == {ItemOutcome.NOT_SENT}
    cache.clear()
    let_deferred_tasks_come_due()
    sandbox.clear_requests()
    run_worker()
    assert sandbox.requests == []


def test_a_second_teams_import_finishes_while_the_first_meets_a_dripping_upstream(
    editor: User,
    connection: Connection,
    api_key: str,
    other_editor: User,
    other_connection: Connection,
    other_key: str,
    sandbox: Sandbox,
    worker_thread: threading.Thread,
    settings,
) -> None:
    # Even a limit on the whole call would let the drip outlast the second import.
    settings.SOCLOOK_TIMEOUT = PATIENCE_SECONDS
    client = client_for(editor)
    dripping = import_started(client, connection, emails("Dripping", 3))
    other = import_started(client_for(other_editor), other_connection, emails("Other", 3))
    sandbox.clear_requests()
    sandbox.drip_seconds = 1
    sandbox.add_fault(Fault("drip", method="POST"))

    worker_thread.start()
    wait_for(
        lambda: any(r.fault == "drip" and r.api_key == api_key for r in sandbox.requests),
        "the first import's create meets the drip",
    )
    run_worker()

    other.refresh_from_db()
    assert other.status == JobStatus.FINISHED
    assert names_sent(sandbox, other_key) == ["Other 0", "Other 1", "Other 2"]
    dripping.refresh_from_db()
    assert dripping.status == JobStatus.RUNNING
    assert "Importing: 0 of 3 rows done." in job_page(client, dripping)

    # The upstream recovers: the first import goes on, with nothing sent twice.
    sandbox.drip_seconds = 0
    worker_thread.join(PATIENCE_SECONDS)
    dripping.refresh_from_db()
    assert dripping.status == JobStatus.FINISHED
    assert names_sent(sandbox, api_key) == ["Dripping 0", "Dripping 1", "Dripping 2"]
