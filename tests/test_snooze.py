"""Snooze: a handler switched off at once until a moment (in the viewer's zone), the row saying
until when, and switched back on by itself by the worker `make run` starts (a deferred task on
the database backend, or the housekeeping loop when the task is lost); a refusal is tried again;
a person who switches it by hand meanwhile wins; "Switch on now" ends it early."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from handlers_app.models import Connection, JournalAction, JournalEntry, Snooze, SnoozeState
from handlers_app.sandbox import Fault
from handlers_app.service_time import TZ_COOKIE
from tests.helpers import client_for
from tests.imports_support import IMMEDIATE

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture(autouse=True)
def _immediate_tasks(settings) -> None:
    settings.TASKS = IMMEDIATE


@pytest.fixture
def desk(sandbox, api_key: str) -> int:
    return sandbox.add_handler(
        api_key, type="email", name="Night desk", settings={"email": "desk@example.com"}
    )["id"]


def in_moscow(user: User) -> Client:
    client = client_for(user)
    client.cookies[TZ_COOKIE] = "Europe/Moscow"
    return client


def is_enabled(sandbox, api_key: str, handler_id: int) -> int:
    return next(h for h in sandbox.handlers(api_key) if h["id"] == handler_id)["is_enabled"]


def snooze_url(connection: Connection, handler_id: int) -> str:
    return reverse("handler_snooze", args=[connection.pk, handler_id])


def list_page(client: Client, connection: Connection) -> str:
    return client.get(reverse("handler_list", args=[connection.pk]) + "?search=Night").text


def two_minutes_ahead() -> datetime:
    return (timezone.now() + timedelta(minutes=2)).astimezone(MOSCOW).replace(
        second=0, microsecond=0
    ) + timedelta(minutes=1)


def snooze_until(client: Client, connection: Connection, handler_id: int, moment: datetime):
    local = moment.astimezone(MOSCOW).strftime("%Y-%m-%dT%H:%M")
    return client.post(snooze_url(connection, handler_id), {"until": local})


def time_passes(snooze: Snooze) -> None:
    """Its moment has come (instead of waiting for it)."""
    past = timezone.now() - timedelta(seconds=1)
    Snooze.objects.filter(pk=snooze.pk).update(until=past, next_try_at=past)


def test_a_snooze_until_a_moment_switches_it_off_at_once_and_the_row_says_until_when(
    sandbox, api_key: str, connection: Connection, editor: User, desk: int
) -> None:
    client = in_moscow(editor)
    moment = two_minutes_ahead()

    response = snooze_until(client, connection, desk, moment)

    assert response.status_code == 302
    assert is_enabled(sandbox, api_key, desk) == 0
    snooze = Snooze.objects.get()
    assert snooze.until == moment and snooze.created_by == editor
    page = list_page(client, connection)
    assert f"Off until {moment.astimezone(MOSCOW):%H:%M}" in page
    assert "Switch on now" in page
    entry = JournalEntry.objects.get(action=JournalAction.HANDLER_SNOOZED)
    assert entry.user == editor
    journal = client.get(reverse("journal")).text
    assert "Handler snoozed" in journal
    assert f"{moment.astimezone(MOSCOW):%H:%M}" in journal


@pytest.mark.django_db(transaction=True)
def test_the_worker_switches_it_back_on_at_its_moment(
    settings, sandbox, api_key: str, connection: Connection, editor: User, desk: int
) -> None:
    settings.TASKS = DATABASE_TASKS
    moment = two_minutes_ahead()
    snooze_until(in_moscow(editor), connection, desk, moment)
    [queued] = DBTaskResult.objects.all()
    assert queued.run_after == moment
    snooze = Snooze.objects.get()
    time_passes(snooze)
    DBTaskResult.objects.update(run_after=timezone.now())

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert is_enabled(sandbox, api_key, desk) == 1
    assert Snooze.objects.get().state == SnoozeState.DONE
    ended = JournalEntry.objects.get(action=JournalAction.HANDLER_SNOOZE_ENDED)
    assert ended.user == editor
    page = list_page(client_for(editor), connection)
    assert "Off until" not in page


@pytest.mark.django_db(transaction=True)
def test_the_worker_does_nothing_before_the_moment(
    settings, sandbox, api_key: str, connection: Connection, editor: User, desk: int
) -> None:
    settings.TASKS = DATABASE_TASKS
    snooze_until(in_moscow(editor), connection, desk, two_minutes_ahead())
    DBTaskResult.objects.update(run_after=timezone.now())

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    call_command("jobs_housekeeping")

    assert is_enabled(sandbox, api_key, desk) == 0
    assert Snooze.objects.get().state == SnoozeState.ACTIVE


def test_housekeeping_switches_it_on_when_no_task_was_deferred(
    sandbox, api_key: str, connection: Connection, editor: User, desk: int
) -> None:
    client_for(editor).post(snooze_url(connection, desk), {"length": "4h"})
    snooze = Snooze.objects.get()
    assert timedelta(hours=3, minutes=59) < snooze.until - timezone.now() <= timedelta(hours=4)
    time_passes(snooze)

    call_command("jobs_housekeeping")

    assert is_enabled(sandbox, api_key, desk) == 1
    assert Snooze.objects.get().state == SnoozeState.DONE


def test_until_tomorrow_means_nine_in_the_viewers_zone(
    connection: Connection, editor: User, desk: int
) -> None:
    in_moscow(editor).post(snooze_url(connection, desk), {"length": "tomorrow"})

    until = Snooze.objects.get().until.astimezone(MOSCOW)
    today = timezone.now().astimezone(MOSCOW).date()
    assert (until.date(), until.hour, until.minute) == (today + timedelta(days=1), 9, 0)


def test_a_refusal_is_tried_again_later(
    sandbox, api_key: str, connection: Connection, editor: User, desk: int
) -> None:
    client_for(editor).post(snooze_url(connection, desk), {"length": "1h"})
    time_passes(Snooze.objects.get())
    sandbox.add_fault(Fault("503", count=5, method="POST"))

    call_command("jobs_housekeeping")

    snooze = Snooze.objects.get()
    assert snooze.state == SnoozeState.ACTIVE
    assert snooze.next_try_at > timezone.now()
    assert is_enabled(sandbox, api_key, desk) == 0
    sandbox.clear_faults()
    time_passes(snooze)

    call_command("jobs_housekeeping")

    assert is_enabled(sandbox, api_key, desk) == 1
    assert Snooze.objects.get().state == SnoozeState.DONE


def test_a_person_who_switched_it_by_hand_meanwhile_wins(
    sandbox, api_key: str, connection: Connection, editor: User, desk: int
) -> None:
    client = client_for(editor)
    client.post(snooze_url(connection, desk), {"length": "1h"})
    toggle = reverse("handler_toggle", args=[connection.pk, desk])
    client.post(toggle, {"is_enabled": "1"})
    client.post(toggle, {"is_enabled": "0"})
    time_passes(Snooze.objects.get())

    call_command("jobs_housekeeping")

    assert is_enabled(sandbox, api_key, desk) == 0
    assert Snooze.objects.get().state == SnoozeState.OVERRIDDEN
    assert "Off until" not in list_page(client, connection)


def test_switch_on_now_from_the_row_ends_the_snooze(
    sandbox, api_key: str, connection: Connection, editor: User, desk: int
) -> None:
    client = client_for(editor)
    client.post(snooze_url(connection, desk), {"length": "1h"})

    response = client.post(
        reverse("handler_snooze_end", args=[connection.pk, desk]), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert f'id="handler-{desk}"' in response.text and "Off until" not in response.text
    assert is_enabled(sandbox, api_key, desk) == 1
    assert Snooze.objects.get().state == SnoozeState.SWITCHED_ON_NOW


def test_a_moment_in_the_past_is_refused_and_nothing_is_switched(
    sandbox, api_key: str, connection: Connection, editor: User, desk: int
) -> None:
    response = snooze_until(
        in_moscow(editor), connection, desk, timezone.now() - timedelta(hours=1)
    )

    assert response.status_code == 200
    assert "Choose a moment in the future." in response.text
    assert is_enabled(sandbox, api_key, desk) == 1
    assert not Snooze.objects.exists()


def test_the_page_speaks_russian_and_is_reached_from_more_and_edit(
    connection: Connection, editor: User, desk: int
) -> None:
    client = client_for(editor)
    url = snooze_url(connection, desk)

    page = client.get(url, HTTP_ACCEPT_LANGUAGE="ru").text
    more = client.get(reverse("handler_more", args=[connection.pk, desk])).text
    edit = client.get(reverse("handler_edit", args=[connection.pk, desk])).text

    assert "Пауза для «Night desk»" in page and 'type="datetime-local"' in page
    assert 'name="until"' in page
    assert url in more and url in edit


def test_a_viewer_sees_until_when_but_cannot_switch_it_on(
    connection: Connection, editor: User, viewer: User, desk: int
) -> None:
    client_for(editor).post(snooze_url(connection, desk), {"length": "1h"})

    page = list_page(client_for(viewer), connection)

    assert "Off until" in page and "Switch on now" not in page
    assert client_for(viewer).get(snooze_url(connection, desk)).status_code == 403


# --- a selection ---------------------------------------------------------------------------------


def test_a_selection_is_snoozed_by_a_job_and_each_wakes_by_itself(
    sandbox, api_key: str, connection: Connection, editor: User, desk: int
) -> None:
    other = sandbox.add_handler(
        api_key, type="email", name="Night shift", settings={"email": "shift@example.com"}
    )["id"]
    off = sandbox.add_handler(
        api_key, type="email", name="Night off", settings={"email": "o@example.com"}, is_enabled=0
    )["id"]
    client = client_for(editor)
    url = reverse("handlers_snooze", args=[connection.pk])
    ids = f"{desk},{other},{off}"
    form = client.get(url, {"ids": ids}).text
    assert "Snooze 2 handlers" in form and "1 ticked handler is off already" in form

    response = client.post(url, {"ids": ids, "length": "4h"})

    assert response.status_code == 302 and "/bulk/" in response["Location"]
    assert [is_enabled(sandbox, api_key, h) for h in (desk, other, off)] == [0, 0, 0]
    assert Snooze.objects.count() == 2
    for snooze in Snooze.objects.all():
        time_passes(snooze)
    call_command("jobs_housekeeping")
    assert [is_enabled(sandbox, api_key, h) for h in (desk, other, off)] == [1, 1, 0]


def test_the_bulk_bar_offers_snooze_and_carries_the_selection(
    connection: Connection, editor: User, desk: int
) -> None:
    client = client_for(editor)
    page = list_page(client, connection)
    assert 'value="snooze"' in page

    response = client.get(
        reverse("handler_bulk", args=[connection.pk]), {"action": "snooze", "ids": f"{desk},3"}
    )

    assert response.status_code == 302
    assert (
        response["Location"] == reverse("handlers_snooze", args=[connection.pk]) + f"?ids={desk},3"
    )
