"""A copy of more than a few handlers to another connection runs as a bulk job in the
background (handlers_app.bulk, handlers_app.sharing): created with the destination's key within
the destination's budget, skipped ones reported, cancelled on request, resumed after an
interrupted worker without a handler created twice, and refused to a person who may not add
handlers to the destination."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from handlers_app import budget
from handlers_app.batches import creating, runner
from handlers_app.clients import client_for as soclook_client
from handlers_app.models import (
    Connection,
    ItemOutcome,
    Job,
    JobStatus,
    JournalAction,
    JournalEntry,
    Membership,
    Role,
    Team,
)
from handlers_app.sandbox import Sandbox
from tests.helpers import client_for, make_user
from tests.imports_support import IMMEDIATE, run_worker
from tests.sharing_support import add_connection

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Sixty hooks in the source; the destination already sends to the first three, and one more
# source hook sends where the sixth does: 57 copies, 4 skipped.
HOOKS = 60
ALREADY_THERE = 3
SWITCHED_OFF = {2, 10, 20, 30, 40, 50}


def hook_url(number: int) -> str:
    return f"https://hooks.example.com/s3cr3t-path-{number}"


@pytest.fixture
def live_sandbox() -> Iterator[Sandbox]:
    """The destination: another Soclook at its own address."""
    with Sandbox() as server:
        yield server


@pytest.fixture
def source_key(sandbox: Sandbox) -> str:
    key = sandbox.add_account(seed=0)
    for number in range(HOOKS):
        sandbox.add_handler(
            key,
            type="webhook",
            name=f"Hook {number}",
            settings={"webhook": hook_url(number)},
            is_enabled=0 if number in SWITCHED_OFF else 1,
        )
    sandbox.add_handler(key, type="webhook", name="Hook 5 again", settings={"webhook": hook_url(5)})
    return key


@pytest.fixture
def live_key(live_sandbox: Sandbox) -> str:
    key = live_sandbox.add_account(seed=0)
    for number in range(ALREADY_THERE):
        live_sandbox.add_handler(
            key, type="webhook", name=f"Live hook {number}", settings={"webhook": hook_url(number)}
        )
    return key


@pytest.fixture
def source(team: Team, owner: User, sandbox: Sandbox, source_key: str) -> Connection:
    return add_connection(team, owner, name="Staging", base_url=sandbox.base_url, key=source_key)


@pytest.fixture
def live(team: Team, owner: User, live_sandbox: Sandbox, live_key: str) -> Connection:
    return add_connection(
        team, owner, name="Soclook live", base_url=live_sandbox.base_url, key=live_key
    )


@pytest.fixture
def client(editor: User) -> Client:
    return client_for(editor)


@pytest.fixture
def database_tasks(settings) -> None:
    settings.TASKS = DATABASE_TASKS


def all_ids(sandbox: Sandbox, key: str) -> list[int]:
    return [h["id"] for h in sandbox.handlers(key)]


def copy(client: Client, source: Connection, destination: Connection, ids: list[int]):
    return client.post(
        reverse("handlers_copy", args=[source.pk]),
        {"ids": ",".join(map(str, ids)), "destination": destination.pk},
        follow=True,
    )


def text(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def job_page(client: Client, job: Job) -> str:
    return text(client.get(reverse("handler_bulk_job", args=[job.connection_id, job.pk])).text)


def names_in(sandbox: Sandbox, key: str) -> Counter[str]:
    return Counter(h["name"] for h in sandbox.handlers(key))


def creates(sandbox: Sandbox) -> list[object]:
    return [r for r in sandbox.requests if r.method == "POST" and r.path.rstrip("/").endswith("s")]


def used_budget(connection: Connection) -> int:
    fingerprint = budget.key_fingerprint(base_url=connection.base_url, api_key=connection.api_key)
    return budget.CacheBudget(fingerprint=fingerprint).state().used


@pytest.mark.django_db
def test_copying_60_handlers_runs_within_the_destinations_budget_and_reports_each(
    client: Client,
    source: Connection,
    live: Connection,
    sandbox: Sandbox,
    live_sandbox: Sandbox,
    source_key: str,
    live_key: str,
    monkeypatch,
    settings,
) -> None:
    settings.TASKS = IMMEDIATE
    # The destination's 60 requests a minute, in a window of five seconds (ours as well): the
    # copy's 70 or so requests cannot all go in one window.
    live_sandbox.window_seconds = 5
    monkeypatch.setattr(budget, "RATE_WINDOW_SECONDS", 5)
    ids = all_ids(sandbox, source_key)
    url = reverse("handlers_copy", args=[source.pk])
    preview = text(client.get(url, {"ids": ",".join(map(str, ids)), "destination": live.pk}).text)
    assert "57 will be added" in preview and "4 will be skipped" in preview
    assert "They are copied in the background" in preview
    sandbox.clear_requests()

    page = text(copy(client, source, live, ids).content.decode())

    assert "Copy to “Soclook live”" in page
    assert (
        "Finished: 57 added, 4 skipped as already there, 0 no longer existed, "
        "0 refused by Soclook, 0 unknown." in page
    )
    assert "Already there as “Live hook 0”." in page
    assert "Sends to the same place as “Hook 5”, copied with it." in page
    assert "s3cr3t-path" not in page
    assert [r for r in sandbox.requests + live_sandbox.requests if r.status == 429] == []
    copied = {h["name"]: h for h in live_sandbox.handlers(live_key)}
    assert names_in(live_sandbox, live_key) == Counter(
        [f"Live hook {n}" for n in range(ALREADY_THERE)]
        + [f"Hook {n}" for n in range(ALREADY_THERE, HOOKS)]
    )
    for number in range(ALREADY_THERE, HOOKS):
        hook = copied[f"Hook {number}"]
        assert hook["settings"]["webhook"] == hook_url(number)
        assert hook["is_enabled"] == (0 if number in SWITCHED_OFF else 1)
    # Every write went to the destination with its key; the source was read, a few times only.
    assert {r.api_key for r in live_sandbox.requests} == {live_key}
    assert len(creates(live_sandbox)) == HOOKS - ALREADY_THERE
    assert [r.method for r in sandbox.requests] == ["GET"] * len(sandbox.requests)
    assert len(sandbox.requests) <= 3
    journal = Counter(JournalEntry.objects.filter(connection=live).values_list("action", flat=True))
    assert journal == {
        JournalAction.HANDLER_CREATED: HOOKS - ALREADY_THERE,
        JournalAction.HANDLER_DISABLED: len(SWITCHED_OFF - {2}),
    }
    assert not JournalEntry.objects.filter(connection=source).exists()


# --- with the database task backend and its worker ----------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_background_copy_spends_the_destinations_budget_not_the_sources(
    client: Client,
    source: Connection,
    live: Connection,
    sandbox: Sandbox,
    live_sandbox: Sandbox,
    source_key: str,
    live_key: str,
) -> None:
    ids = all_ids(sandbox, source_key)[:12]

    page = text(copy(client, source, live, ids).content.decode())

    assert "Waiting to start" in page
    assert 'hx-trigger="every 2s"' in page
    assert creates(live_sandbox) == []
    run_worker()
    job = Job.objects.get()
    assert "Finished: 9 added, 3 skipped as already there" in job_page(client, job)
    assert len(creates(live_sandbox)) == 9
    # Each key's budget counts the requests sent with it, and nothing else.
    assert used_budget(live) == len(live_sandbox.requests)
    assert used_budget(source) == len(sandbox.requests)
    assert [r.method for r in sandbox.requests] == ["GET"] * len(sandbox.requests)
    assert used_budget(source) < used_budget(live)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_cancelling_a_queued_copy_adds_nothing(
    client: Client,
    source: Connection,
    live: Connection,
    sandbox: Sandbox,
    live_sandbox: Sandbox,
    source_key: str,
    live_key: str,
) -> None:
    copy(client, source, live, all_ids(sandbox, source_key))
    job = Job.objects.get()

    client.post(reverse("handler_bulk_cancel", args=[source.pk, job.pk]))
    run_worker()

    job.refresh_from_db()
    assert job.status == JobStatus.STOPPED
    assert Counter(job.items.values_list("outcome", flat=True)) == {
        ItemOutcome.NOT_SENT: HOOKS - ALREADY_THERE,
        ItemOutcome.SKIPPED: ALREADY_THERE + 1,
    }
    assert creates(live_sandbox) == []
    assert len(live_sandbox.handlers(live_key)) == ALREADY_THERE
    assert "0 added, 4 skipped as already there, 0 refused by Soclook, 0 unknown, 57 not sent." in (
        job_page(client, job)
    )


class WorkerStops(KeyboardInterrupt):
    """The worker told to stop at once, right after a create reached the service."""


def stop_after_creating(monkeypatch, count: int) -> None:
    real = creating.handler_create
    made: list[int] = []

    def create_then_stop(**kwargs):
        made.append(real(**kwargs))
        if len(made) == count:
            monkeypatch.setattr(creating, "handler_create", real)
            raise WorkerStops
        return made[-1]

    monkeypatch.setattr(creating, "handler_create", create_then_stop)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_copy_resumed_after_its_worker_stopped_creates_no_handler_twice(
    client: Client,
    source: Connection,
    live: Connection,
    sandbox: Sandbox,
    live_sandbox: Sandbox,
    source_key: str,
    live_key: str,
    monkeypatch,
) -> None:
    ids = all_ids(sandbox, source_key)[ALREADY_THERE : ALREADY_THERE + 10]
    copy(client, source, live, ids)
    job = Job.objects.get()
    # The eighth copy is "Hook 10", switched off in the source: created, not yet switched off.
    stop_after_creating(monkeypatch, 8)

    with pytest.raises(WorkerStops):
        runner.job_run.call(job_id=job.pk)
    assert job.items.get(name="Hook 10").outcome == ItemOutcome.SENDING
    run_worker()

    job.refresh_from_db()
    assert job.status == JobStatus.FINISHED
    assert set(job.items.values_list("outcome", flat=True)) == {ItemOutcome.CREATED}
    names = [f"Hook {n}" for n in range(ALREADY_THERE, ALREADY_THERE + 10)]
    assert names_in(live_sandbox, live_key) == Counter(
        [f"Live hook {n}" for n in range(ALREADY_THERE)] + names
    )
    assert len(creates(live_sandbox)) == 10
    copied = {h["name"]: h for h in live_sandbox.handlers(live_key)}
    assert copied["Hook 10"]["is_enabled"] == 0
    created = JournalEntry.objects.filter(connection=live, action=JournalAction.HANDLER_CREATED)
    assert sorted(created.values_list("handler_name", flat=True)) == sorted(names)


def killed_outright(job: Job) -> None:
    """The worker killed with the job: nothing queued, its heartbeat gone quiet long ago."""
    DBTaskResult.objects.all().delete()
    long_ago = timezone.now() - timedelta(hours=1)
    Job.objects.filter(pk=job.pk).update(waiting_until=None, updated_at=long_ago)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_copy_whose_worker_vanished_is_resumed_by_housekeeping_without_doubles(
    client: Client,
    source: Connection,
    live: Connection,
    sandbox: Sandbox,
    live_sandbox: Sandbox,
    source_key: str,
    live_key: str,
    monkeypatch,
) -> None:
    ids = all_ids(sandbox, source_key)[ALREADY_THERE : ALREADY_THERE + 10]
    copy(client, source, live, ids)
    job = Job.objects.get()
    stop_after_creating(monkeypatch, 4)
    with pytest.raises(WorkerStops):
        runner.job_run.call(job_id=job.pk)
    killed_outright(job)

    call_command("jobs_housekeeping")
    run_worker()

    job.refresh_from_db()
    assert job.status == JobStatus.FINISHED
    assert set(job.items.values_list("outcome", flat=True)) == {ItemOutcome.CREATED}
    names = [f"Hook {n}" for n in range(ALREADY_THERE, ALREADY_THERE + 10)]
    assert names_in(live_sandbox, live_key) == Counter(
        [f"Live hook {n}" for n in range(ALREADY_THERE)] + names
    )
    assert len(creates(live_sandbox)) == 10
    created = JournalEntry.objects.filter(connection=live, action=JournalAction.HANDLER_CREATED)
    assert sorted(created.values_list("handler_name", flat=True)) == sorted(names)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_copy_cancelled_after_its_worker_died_keeps_what_was_made_and_sends_no_more(
    client: Client,
    source: Connection,
    live: Connection,
    sandbox: Sandbox,
    live_sandbox: Sandbox,
    source_key: str,
    live_key: str,
    monkeypatch,
) -> None:
    ids = all_ids(sandbox, source_key)[ALREADY_THERE : ALREADY_THERE + 10]
    copy(client, source, live, ids)
    job = Job.objects.get()
    stop_after_creating(monkeypatch, 4)
    with pytest.raises(WorkerStops):
        runner.job_run.call(job_id=job.pk)
    killed_outright(job)

    client.post(reverse("handler_bulk_cancel", args=[source.pk, job.pk]))
    call_command("jobs_housekeeping")
    run_worker()

    job.refresh_from_db()
    assert job.status == JobStatus.STOPPED
    outcomes = [o for _n, o in job.items.order_by("position").values_list("name", "outcome")]
    assert outcomes == [ItemOutcome.CREATED] * 4 + [ItemOutcome.NOT_SENT] * 6
    made = [f"Hook {n}" for n in range(ALREADY_THERE, ALREADY_THERE + 4)]
    assert names_in(live_sandbox, live_key) == Counter(
        [f"Live hook {n}" for n in range(ALREADY_THERE)] + made
    )
    assert len(creates(live_sandbox)) == 4
    created = JournalEntry.objects.filter(connection=live, action=JournalAction.HANDLER_CREATED)
    assert sorted(created.values_list("handler_name", flat=True)) == sorted(made)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_viewer_of_the_destination_is_refused_with_nothing_sent(
    source: Connection,
    live: Connection,
    sandbox: Sandbox,
    live_sandbox: Sandbox,
    source_key: str,
) -> None:
    elsewhere = Team.objects.create(name="Platform")
    person = make_user("pavel")
    Membership.objects.create(user=person, team=source.team, role=Role.OWNER)
    Membership.objects.create(user=person, team=elsewhere, role=Role.VIEWER)
    viewed = add_connection(
        elsewhere, person, name="Viewed only", base_url=live.base_url, key=live.api_key
    )
    live_sandbox.clear_requests()

    response = copy(client_for(person), source, viewed, all_ids(sandbox, source_key))

    html = response.content.decode()
    assert "Choose one of the connections shown." in html
    assert "Viewed only" not in html
    assert live_sandbox.requests == []
    assert not Job.objects.exists()
    run_worker()
    assert live_sandbox.requests == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_copy_whose_starter_may_no_longer_add_to_the_destination_stops_with_nothing_sent(
    source: Connection,
    live: Connection,
    sandbox: Sandbox,
    live_sandbox: Sandbox,
    source_key: str,
    live_key: str,
) -> None:
    elsewhere = Team.objects.create(name="Platform")
    person = make_user("pavel")
    Membership.objects.create(user=person, team=source.team, role=Role.OWNER)
    Membership.objects.create(user=person, team=elsewhere, role=Role.EDITOR)
    theirs = add_connection(
        elsewhere, person, name="Platform live", base_url=live.base_url, key=live_key
    )
    client = client_for(person)
    copy(client, source, theirs, all_ids(sandbox, source_key))
    job = Job.objects.get()
    Membership.objects.filter(user=person, team=elsewhere).update(role=Role.VIEWER)

    run_worker()

    job.refresh_from_db()
    assert job.status == JobStatus.STOPPED
    assert creates(live_sandbox) == []
    assert (
        "It stopped: The person who started it can no longer copy handlers to that connection."
        in (job_page(client, job))
    )
    # Only a member of the destination's team sees which connection it was.
    assert "Platform live" not in job_page(client_for(source.created_by), job)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_copy_made_but_not_journalled_when_its_worker_stopped_is_journalled_once(
    client: Client,
    source: Connection,
    live: Connection,
    sandbox: Sandbox,
    live_sandbox: Sandbox,
    source_key: str,
    live_key: str,
    monkeypatch,
) -> None:
    ids = all_ids(sandbox, source_key)[ALREADY_THERE : ALREADY_THERE + 8]
    copy(client, source, live, ids)
    job = Job.objects.get()
    real = creating.handler_create

    def send_then_stop(*, connection, user, name, type, settings):
        # The service created it; the worker stopped before the journal heard of it.
        soclook_client(connection, writes=True).create_handler(
            name=name, type=type, settings=settings
        )
        monkeypatch.setattr(creating, "handler_create", real)
        raise WorkerStops

    monkeypatch.setattr(creating, "handler_create", send_then_stop)
    with pytest.raises(WorkerStops):
        runner.job_run.call(job_id=job.pk)
    run_worker()

    job.refresh_from_db()
    assert set(job.items.values_list("outcome", flat=True)) == {ItemOutcome.CREATED}
    assert names_in(live_sandbox, live_key)["Hook 3"] == 1
    created = JournalEntry.objects.filter(connection=live, action=JournalAction.HANDLER_CREATED)
    assert Counter(created.values_list("handler_name", flat=True)) == Counter(
        f"Hook {n}" for n in range(ALREADY_THERE, ALREADY_THERE + 8)
    )
    assert created.get(handler_name="Hook 3").user == job.created_by


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_second_copy_between_the_same_connections_opens_the_one_under_way(
    client: Client,
    source: Connection,
    live: Connection,
    sandbox: Sandbox,
    live_sandbox: Sandbox,
    source_key: str,
    live_key: str,
) -> None:
    ids = all_ids(sandbox, source_key)
    copy(client, source, live, ids)

    page = text(copy(client, source, live, ids).content.decode())

    assert "A copy to “Soclook live” is already under way: here is its progress." in page
    assert "Waiting to start" in page
    job = Job.objects.get()
    assert job.items.count() == HOOKS + 1
