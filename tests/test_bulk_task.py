"""Bulk actions on many handlers run in the background (handlers_app.bulk, on the batches core):
within the shared request budget so that Soclook never answers 429, reported handler by
handler, cancelled on request, and resumed after an interrupted worker without changing
anything twice."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from handlers_app import budget, bulk, services
from handlers_app.batches import MAX_SELECTED, runner
from handlers_app.clients import client_for as soclook_client
from handlers_app.models import (
    Connection,
    ItemOutcome,
    Job,
    JobAction,
    JobStatus,
    JournalAction,
    JournalEntry,
    Membership,
    Role,
    Team,
)
from handlers_app.sandbox import Fault, Sandbox
from tests.helpers import client_for, make_user
from tests.imports_support import IMMEDIATE, run_worker

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
MANY = 150


@pytest.fixture
def big_key(sandbox: Sandbox) -> str:
    """An account of MANY handlers, all on."""
    key = sandbox.add_account(seed=0)
    for number in range(MANY):
        sandbox.add_handler(
            key,
            type="webhook",
            name=f"Hook {number}",
            settings={"webhook": f"https://hooks.example.com/{number}"},
        )
    return key


@pytest.fixture
def big_connection(big_key: str, sandbox: Sandbox) -> Connection:
    team = Team.objects.create(name="Platform")
    connection = Connection(team=team, name="Platform account", base_url=sandbox.base_url)
    connection.set_api_key(big_key)
    connection.save()
    return connection


@pytest.fixture
def big_editor(big_connection: Connection) -> User:
    user = make_user("petr")
    Membership.objects.create(user=user, team=big_connection.team, role=Role.EDITOR)
    return user


def ids_of(sandbox: Sandbox, key: str) -> list[int]:
    return [h["id"] for h in sandbox.handlers(key)]


def switch_off(client: Client, connection: Connection, ids: list[int]):
    return client.post(
        reverse("handler_bulk", args=[connection.pk]),
        {"action": "disable", "ids": ",".join(map(str, ids))},
        follow=True,
    )


def updates_by_handler(sandbox: Sandbox, key: str) -> Counter[int]:
    return Counter(
        int(re.findall(r"\d+", r.path)[-1])
        for r in sandbox.requests
        if r.method == "POST" and r.api_key == key and r.status == 200
    )


def job_page(client: Client, job: Job) -> str:
    html = client.get(reverse("handler_bulk_job", args=[job.connection_id, job.pk]))
    return re.sub(r"\s+", " ", html.content.decode())


@pytest.mark.django_db
def test_switching_off_150_handlers_never_meets_a_429_and_reports_each(
    big_editor: User,
    big_connection: Connection,
    big_key: str,
    sandbox: Sandbox,
    monkeypatch,
    settings,
) -> None:
    settings.TASKS = IMMEDIATE
    # Soclook's 60 requests a minute, in a window of a second (ours a little longer, as ever).
    sandbox.window_seconds = 1
    monkeypatch.setattr(budget, "RATE_WINDOW_SECONDS", 1)
    client = client_for(big_editor)
    ids = ids_of(sandbox, big_key)
    sandbox.clear_requests()

    response = switch_off(client, big_connection, ids)

    html = re.sub(r"\s+", " ", response.content.decode())
    assert [r for r in sandbox.requests if r.status == 429] == []
    assert all(h["is_enabled"] == 0 for h in sandbox.handlers(big_key))
    assert updates_by_handler(sandbox, big_key) == Counter(ids)
    assert f"Finished: {MANY} done, 0 needed no change" in html
    for handler_id in ids:
        row = re.search(rf'<tr id="bulk-item-{handler_id}">(.*?)</tr>', html)
        assert row and "Done" in row[1]
    journalled = JournalEntry.objects.filter(action=JournalAction.HANDLER_DISABLED)
    assert sorted(journalled.values_list("handler_id", flat=True)) == sorted(ids)


# --- with the database task backend and its worker ----------------------------------------------


@pytest.fixture
def database_tasks(settings) -> None:
    settings.TASKS = DATABASE_TASKS


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_large_selection_runs_in_the_background_with_a_progress_page(
    editor: User, connection: Connection, api_key: str, sandbox: Sandbox
) -> None:
    client = client_for(editor)
    ids = [h["id"] for h in sandbox.handlers(api_key) if h["is_enabled"] == 1][:8]
    sandbox.clear_requests()

    html = re.sub(r"\s+", " ", switch_off(client, connection, ids).content.decode())

    assert "Waiting to start" in html
    assert 'hx-trigger="every 2s"' in html
    assert 'id="bulk-refresh"' in html
    assert [r for r in sandbox.requests if r.method == "POST"] == []
    run_worker()
    job = Job.objects.get()
    assert "Finished: 8 done" in job_page(client, job)
    assert updates_by_handler(sandbox, api_key) == Counter(ids)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_cancelling_a_queued_job_sends_nothing(
    editor: User, owner: User, connection: Connection, api_key: str, sandbox: Sandbox
) -> None:
    client = client_for(editor)
    ids = [h["id"] for h in sandbox.handlers(api_key) if h["is_enabled"] == 1][:8]
    switch_off(client, connection, ids)
    job = Job.objects.get()
    sandbox.clear_requests()

    client.post(reverse("handler_bulk_cancel", args=[connection.pk, job.pk]))
    run_worker()

    job.refresh_from_db()
    assert job.status == JobStatus.STOPPED
    assert set(job.items.values_list("outcome", flat=True)) == {ItemOutcome.NOT_SENT}
    assert [r for r in sandbox.requests if r.method == "POST"] == []
    # The person who stopped it is told so; a colleague, that someone on the team did.
    page = job_page(client, job)
    assert "It stopped: You stopped it." in page
    # None of the 8 was reached: the bar is empty, not full.
    assert '<progress id="bulk-bar" class="w-100" value="0" max="8">' in page
    assert "0 of 8" in page
    assert "It stopped: Someone on the team stopped it." in job_page(client_for(owner), job)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_cancelling_a_job_waiting_for_the_request_limit_stops_the_rest(
    editor: User, connection: Connection, api_key: str, sandbox: Sandbox
) -> None:
    client = client_for(editor)
    ids = [h["id"] for h in sandbox.handlers(api_key) if h["is_enabled"] == 1][:8]
    switch_off(client, connection, ids)
    job = Job.objects.get()
    sandbox.add_fault(Fault("rate_limit", method="POST"))
    run_worker()
    assert re.search(r"Waiting \d+ s for Soclook's request limit to refill", job_page(client, job))

    client.post(reverse("handler_bulk_cancel", args=[connection.pk, job.pk]))
    cache.clear()
    DBTaskResult.objects.update(run_after=timezone.now())
    sandbox.clear_requests()
    run_worker()

    job.refresh_from_db()
    assert job.status == JobStatus.STOPPED
    assert set(job.items.values_list("outcome", flat=True)) == {ItemOutcome.NOT_SENT}
    assert sandbox.requests == []
    assert all(h["is_enabled"] == 1 for h in sandbox.handlers(api_key) if h["id"] in ids)


class WorkerStops(KeyboardInterrupt):
    """The worker told to stop at once, right after a change reached the service."""


def stop_after(monkeypatch, changes: int) -> None:
    real = bulk.handler_set_enabled
    done: list[int] = []

    def change_then_stop(**kwargs):
        result = real(**kwargs)
        done.append(result.id)
        if len(done) == changes:
            monkeypatch.setattr(bulk, "handler_set_enabled", real)
            raise WorkerStops
        return result

    monkeypatch.setattr(bulk, "handler_set_enabled", change_then_stop)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_stopped_worker_leaves_the_job_to_the_next_without_doubles(
    editor: User, connection: Connection, api_key: str, sandbox: Sandbox, monkeypatch
) -> None:
    client = client_for(editor)
    ids = [h["id"] for h in sandbox.handlers(api_key) if h["is_enabled"] == 1][:8]
    switch_off(client, connection, ids)
    job = Job.objects.get()
    stop_after(monkeypatch, 3)

    with pytest.raises(WorkerStops):
        runner.job_run.call(job_id=job.pk)
    assert job.items.get(handler_id=ids[2]).outcome == ItemOutcome.SENDING
    run_worker()

    job.refresh_from_db()
    assert job.status == JobStatus.FINISHED
    assert set(job.items.values_list("outcome", flat=True)) == {ItemOutcome.DONE}
    assert updates_by_handler(sandbox, api_key) == Counter(ids)
    journalled = JournalEntry.objects.filter(action=JournalAction.HANDLER_DISABLED)
    assert sorted(journalled.values_list("handler_id", flat=True)) == sorted(ids)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_job_whose_worker_vanished_resumes_by_housekeeping_without_doubles(
    editor: User, connection: Connection, api_key: str, sandbox: Sandbox, monkeypatch
) -> None:
    client = client_for(editor)
    ids = [h["id"] for h in sandbox.handlers(api_key) if h["is_enabled"] == 1][:8]
    switch_off(client, connection, ids)
    job = Job.objects.get()
    stop_after(monkeypatch, 3)
    with pytest.raises(WorkerStops):
        runner.job_run.call(job_id=job.pk)
    # Killed outright instead: nothing queued, the job running with its heartbeat gone quiet.
    DBTaskResult.objects.all().delete()
    long_ago = timezone.now() - timedelta(hours=1)
    Job.objects.filter(pk=job.pk).update(waiting_until=None, updated_at=long_ago)
    assert "The dashboard's background worker stopped while it ran." in job_page(client, job)

    call_command("jobs_housekeeping")
    run_worker()

    job.refresh_from_db()
    assert job.status == JobStatus.FINISHED
    assert set(job.items.values_list("outcome", flat=True)) == {ItemOutcome.DONE}
    assert updates_by_handler(sandbox, api_key) == Counter(ids)
    journalled = JournalEntry.objects.filter(action=JournalAction.HANDLER_DISABLED)
    assert sorted(journalled.values_list("handler_id", flat=True)) == sorted(ids)


def stop_before_journalling_delete(monkeypatch, deletes: int) -> None:
    """The worker stops right after Soclook confirmed a DELETE, before its journal entry."""
    real = services.record_handler_deleted
    calls: list[int] = []

    def stop_instead(**kwargs):
        calls.append(kwargs["kept"].id)
        if len(calls) == deletes:
            monkeypatch.setattr(services, "record_handler_deleted", real)
            raise WorkerStops
        return real(**kwargs)

    monkeypatch.setattr(services, "record_handler_deleted", stop_instead)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_delete_whose_worker_died_before_journalling_it_is_journalled_once_and_restorable(
    editor: User, connection: Connection, api_key: str, sandbox: Sandbox, monkeypatch
) -> None:
    client = client_for(editor)
    ids = [h["id"] for h in sandbox.handlers(api_key)[:8]]
    # A switched-off handler with secrets: it must come back with them, and still off.
    (victim,) = [h for h in sandbox.handlers(api_key) if h["id"] in ids and h["type"] == "telegram"]
    soclook_client(connection).update_handler(
        handler_id=victim["id"],
        name=victim["name"],
        type=victim["type"],
        settings=victim["settings"],
        is_enabled=False,
    )
    victim = next(h for h in sandbox.handlers(api_key) if h["id"] == victim["id"])
    assert victim["is_enabled"] == 0 and victim["settings"]["telegram"]
    order = ids.index(victim["id"])
    client.post(
        reverse("handler_bulk", args=[connection.pk]),
        {"action": "delete", "ids": ",".join(map(str, ids))},
    )
    job = Job.objects.get()
    stop_before_journalling_delete(monkeypatch, order + 1)

    with pytest.raises(WorkerStops):
        runner.job_run.call(job_id=job.pk)
    assert victim["id"] not in ids_of(sandbox, api_key), "Soclook confirmed the DELETE"
    assert not JournalEntry.objects.filter(handler_id=victim["id"]).exists()
    # Killed outright: nothing queued, the job running with its heartbeat gone quiet.
    DBTaskResult.objects.all().delete()
    long_ago = timezone.now() - timedelta(hours=1)
    Job.objects.filter(pk=job.pk).update(waiting_until=None, updated_at=long_ago)
    call_command("jobs_housekeeping")
    run_worker()

    job.refresh_from_db()
    assert job.status == JobStatus.FINISHED
    assert set(job.items.values_list("outcome", flat=True)) == {ItemOutcome.DONE}
    assert set(job.items.values_list("snapshot_encrypted", flat=True)) == {""}
    deletes = Counter(
        int(re.findall(r"\d+", r.path)[-1]) for r in sandbox.requests if r.method == "DELETE"
    )
    assert deletes == Counter(ids), "each handler was sent one DELETE"
    (entry,) = JournalEntry.objects.filter(
        action=JournalAction.HANDLER_DELETED, handler_id=victim["id"]
    )
    assert entry.user == editor
    journalled = JournalEntry.objects.filter(action=JournalAction.HANDLER_DELETED)
    assert sorted(journalled.values_list("handler_id", flat=True)) == sorted(ids)
    assert entry.is_restorable

    response = client.post(reverse("journal_restore", args=[connection.pk, entry.pk]))

    assert response.status_code == 302
    restored = JournalEntry.objects.get(action=JournalAction.HANDLER_RESTORED)
    assert restored.previous_handler_id == victim["id"]
    (again,) = [h for h in sandbox.handlers(api_key) if h["id"] == restored.handler_id]
    assert (again["name"], again["type"]) == (victim["name"], victim["type"])
    assert again["settings"] == victim["settings"]
    assert again["is_enabled"] == victim["is_enabled"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_delete_cancelled_after_its_worker_died_journals_what_was_deleted_and_sends_no_more(
    editor: User, connection: Connection, api_key: str, sandbox: Sandbox, monkeypatch
) -> None:
    client = client_for(editor)
    ids = [h["id"] for h in sandbox.handlers(api_key)[:8]]
    client.post(
        reverse("handler_bulk", args=[connection.pk]),
        {"action": "delete", "ids": ",".join(map(str, ids))},
    )
    job = Job.objects.get()
    stop_before_journalling_delete(monkeypatch, 3)
    with pytest.raises(WorkerStops):
        runner.job_run.call(job_id=job.pk)
    victim = ids[2]
    assert victim not in ids_of(sandbox, api_key), "Soclook confirmed the third DELETE"
    DBTaskResult.objects.all().delete()
    long_ago = timezone.now() - timedelta(hours=1)
    Job.objects.filter(pk=job.pk).update(waiting_until=None, updated_at=long_ago)

    # The person cancels before the job is picked up again.
    client.post(reverse("handler_bulk_cancel", args=[connection.pk, job.pk]))
    call_command("jobs_housekeeping")
    run_worker()

    job.refresh_from_db()
    assert job.status == JobStatus.STOPPED
    outcomes = dict(job.items.values_list("handler_id", "outcome"))
    assert [outcomes[i] for i in ids[:3]] == [ItemOutcome.DONE] * 3
    assert {outcomes[i] for i in ids[3:]} == {ItemOutcome.NOT_SENT}
    assert set(ids[3:]) <= set(ids_of(sandbox, api_key)), "nothing more was deleted"
    assert set(job.items.values_list("snapshot_encrypted", flat=True)) == {""}
    journalled = JournalEntry.objects.filter(action=JournalAction.HANDLER_DELETED)
    assert sorted(journalled.values_list("handler_id", flat=True)) == sorted(ids[:3])
    assert journalled.get(handler_id=victim).is_restorable


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_delete_whose_worker_died_before_sending_it_is_sent_and_journalled_once(
    editor: User, connection: Connection, api_key: str, sandbox: Sandbox, monkeypatch
) -> None:
    client = client_for(editor)
    ids = [h["id"] for h in sandbox.handlers(api_key)[:8]]
    client.post(
        reverse("handler_bulk", args=[connection.pk]),
        {"action": "delete", "ids": ",".join(map(str, ids))},
    )
    job = Job.objects.get()
    real = bulk.handler_delete

    def stop_before_sending(**kwargs):
        monkeypatch.setattr(bulk, "handler_delete", real)
        raise WorkerStops

    monkeypatch.setattr(bulk, "handler_delete", stop_before_sending)

    with pytest.raises(WorkerStops):
        runner.job_run.call(job_id=job.pk)
    assert [r for r in sandbox.requests if r.method == "DELETE"] == []
    run_worker()

    job.refresh_from_db()
    assert set(job.items.values_list("outcome", flat=True)) == {ItemOutcome.DONE}
    assert not set(ids) & set(ids_of(sandbox, api_key))
    deletes = Counter(
        int(re.findall(r"\d+", r.path)[-1]) for r in sandbox.requests if r.method == "DELETE"
    )
    assert deletes == Counter(ids)
    journalled = JournalEntry.objects.filter(action=JournalAction.HANDLER_DELETED)
    assert sorted(journalled.values_list("handler_id", flat=True)) == sorted(ids)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_delete_soclook_fails_keeps_no_copy_of_the_handlers_secrets(
    editor: User, connection: Connection, api_key: str, sandbox: Sandbox
) -> None:
    client = client_for(editor)
    telegram = next(h for h in sandbox.handlers(api_key) if h["type"] == "telegram")
    sandbox.add_fault(Fault("json_500", method="DELETE", count=10))

    client.post(
        reverse("handler_bulk", args=[connection.pk]),
        {"action": "delete", "ids": str(telegram["id"])},
    )

    job = Job.objects.get()
    assert telegram["id"] in ids_of(sandbox, api_key)
    assert job.items.get().outcome != ItemOutcome.DONE
    assert set(job.items.values_list("snapshot_encrypted", flat=True)) == {""}
    assert not JournalEntry.objects.filter(action=JournalAction.HANDLER_DELETED).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_handler_deleted_before_its_turn_is_reported_as_no_longer_existing(
    editor: User, connection: Connection, api_key: str, sandbox: Sandbox
) -> None:
    client = client_for(editor)
    ids = [h["id"] for h in sandbox.handlers(api_key) if h["is_enabled"] == 1][:8]
    switch_off(client, connection, ids)
    job = Job.objects.get()
    # Deleted meanwhile, by someone using the key outside the dashboard.
    soclook_client(connection).delete_handler(ids[4])

    run_worker()

    job.refresh_from_db()
    outcomes = dict(job.items.values_list("handler_id", "outcome"))
    assert outcomes.pop(ids[4]) == ItemOutcome.GONE
    assert set(outcomes.values()) == {ItemOutcome.DONE}
    page = job_page(client, job)
    assert "Finished: 7 done, 0 needed no change, 1 no longer existed" in page
    assert "No longer exists" in re.search(rf'id="bulk-item-{ids[4]}">(.*?)</tr>', page)[1]


@pytest.mark.django_db
def test_a_filter_matching_more_than_one_action_takes_is_refused_with_nothing_changed(
    big_editor: User, big_connection: Connection, big_key: str, sandbox: Sandbox, settings
) -> None:
    settings.TASKS = IMMEDIATE
    for number in range(MAX_SELECTED + 1 - MANY):
        sandbox.add_handler(big_key, type="email", name=f"Mail {number}", settings={})
    client = client_for(big_editor)
    sandbox.clear_requests()

    response = client.get(
        reverse("handler_bulk", args=[big_connection.pk]), {"action": "disable", "all": "1"}
    )

    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "1001 handlers match this filter; one bulk action takes at most 1000." in page
    assert [r for r in sandbox.requests if r.method != "GET"] == []
    # The list shown again reads the account of 1001 whole in the background: no bulk job.
    assert not Job.objects.exclude(action=JobAction.READ).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
def test_a_key_soclook_no_longer_accepts_stops_the_job_with_the_rest_not_sent(
    editor: User, connection: Connection, api_key: str, sandbox: Sandbox
) -> None:
    client = client_for(editor)
    ids = [h["id"] for h in sandbox.handlers(api_key) if h["is_enabled"] == 1][:8]
    switch_off(client, connection, ids)
    job = Job.objects.get()
    connection.set_api_key("sbx_revoked_key_0000")
    connection.save()
    cache.clear()

    run_worker()

    job.refresh_from_db()
    assert job.status == JobStatus.STOPPED
    assert set(job.items.values_list("outcome", flat=True)) == {ItemOutcome.NOT_SENT}
    assert "It stopped: Soclook did not accept the connection&#x27;s API key." in job_page(
        client, job
    )
    assert all(h["is_enabled"] == 1 for h in sandbox.handlers(api_key) if h["id"] in ids)
