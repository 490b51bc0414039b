"""The background read of a big account: a job of one request a page, begun by the first view,
paced within the key's budget with the people's share left to them, begun again by Refresh."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from handlers_app.accountcopy.store import copy_for
from handlers_app.batches import ItemOutcome, Job, JobAction, JobStatus, job_stop
from handlers_app.budget import CacheBudget, key_fingerprint
from handlers_app.models import Connection
from tests.helpers import client_for
from tests.imports_support import IMMEDIATE, run_worker

BIG = 2500
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def big(team, owner, sandbox) -> Connection:
    key = sandbox.add_account(seed=BIG - 1)
    sandbox.add_handler(
        key, type="email", name="Night desk", settings={"email": "night@zebra.example"}
    )
    connection = Connection(team=team, name="Big", base_url=sandbox.base_url)
    connection.set_api_key(key)
    connection.created_by = owner
    connection.save()
    return connection


@pytest.fixture
def client(viewer) -> Client:
    return client_for(viewer)


def pages_read(sandbox) -> list[str]:
    return [
        r.query["page"]
        for r in sandbox.requests
        if r.method == "GET" and r.query.get("results_per_page") == "1000"
    ]


def list_url(connection: Connection) -> str:
    return reverse("handler_list", args=[connection.pk])


def spend(connection: Connection, requests: int) -> None:
    """Requests made with the key elsewhere in the dashboard this minute."""
    fingerprint = key_fingerprint(base_url=connection.base_url, api_key=connection.api_key)
    budget = CacheBudget(fingerprint=fingerprint)
    for _ in range(requests):
        budget.reserve()


def test_the_first_view_reads_the_rest_in_the_background_a_request_a_page(
    client: Client, sandbox, big: Connection, settings
) -> None:
    settings.TASKS = IMMEDIATE

    client.get(list_url(big))
    found = client.get(list_url(big), {"search": "zebra.example"}).text

    assert pages_read(sandbox) == ["1", "2", "3"]
    assert "Night desk" in found
    assert "All 2500 handlers are read" in found
    job = Job.objects.get(action=JobAction.READ)
    assert job.status == JobStatus.FINISHED
    assert list(job.items.values_list("position", "outcome")) == [
        (2, ItemOutcome.DONE),
        (3, ItemOutcome.DONE),
    ]


@pytest.mark.django_db(transaction=True)
def test_the_read_waits_while_the_people_would_lose_their_share(
    client: Client, sandbox, big: Connection, settings
) -> None:
    settings.TASKS = DATABASE_TASKS
    # All but eleven of the minute's requests are spent: the first view takes one, and the ten
    # left are the people's.
    spend(big, 49)
    client.get(list_url(big))
    sandbox.clear_requests()

    run_worker()

    assert pages_read(sandbox) == []
    job = Job.objects.get(action=JobAction.READ)
    assert job.waiting_until is not None
    person = client.get(list_url(big), {"page": "60"})
    assert "could not be loaded" not in person.text
    assert "Showing 1476\N{EN DASH}1500 of 2500 handlers" in person.text
    assert [r.status for r in sandbox.requests] == [200]


@pytest.mark.django_db(transaction=True)
def test_refresh_begins_a_new_read_and_the_list_shows_the_last_one_meanwhile(
    client: Client, sandbox, big: Connection, settings
) -> None:
    settings.TASKS = IMMEDIATE
    client.get(list_url(big))
    first = copy_for(big).served
    settings.TASKS = DATABASE_TASKS
    sandbox.clear_requests()

    client.get(list_url(big), {"refresh": "1"})
    meanwhile = client.get(list_url(big), {"search": "zebra.example"}).text

    copy = copy_for(big)
    assert copy.served == first
    assert copy.reading is not None and copy.reading != first
    assert "Night desk" in meanwhile
    assert "reading the account again: 0 of" in meanwhile
    # The refresh itself asked Soclook for the page shown; nothing else is read here.
    assert pages_read(sandbox) == []
    assert Job.objects.filter(action=JobAction.READ, status=JobStatus.QUEUED).count() == 1

    run_worker()

    copy = copy_for(big)
    assert copy.served != first and copy.reading is None
    assert pages_read(sandbox) == ["1", "2", "3"]


def test_a_second_refresh_right_away_does_not_throw_the_read_away(
    client: Client, sandbox, big: Connection, settings
) -> None:
    settings.TASKS = IMMEDIATE
    client.get(list_url(big))
    settings.TASKS = DATABASE_TASKS

    client.get(list_url(big), {"refresh": "1"})
    client.get(list_url(big), {"refresh": "1"})

    assert Job.objects.filter(action=JobAction.READ, status=JobStatus.QUEUED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_read_replaced_by_a_newer_one_sends_nothing_more(
    client: Client, sandbox, big: Connection, settings
) -> None:
    settings.TASKS = DATABASE_TASKS
    client.get(list_url(big))
    stale = Job.objects.get(action=JobAction.READ)
    # Someone else's Refresh began a newer read meanwhile.
    copy = copy_for(big)
    copy.reading_from = copy.reading_from.replace(year=2000)
    copy.save()
    client.get(list_url(big), {"refresh": "1"})
    sandbox.clear_requests()

    run_worker()

    stale.refresh_from_db()
    assert stale.status == JobStatus.STOPPED
    assert pages_read(sandbox) == ["1", "2", "3"]


@pytest.mark.django_db(transaction=True)
def test_a_read_whose_job_stopped_is_not_asked_after_and_goes_on_at_the_next_view(
    client: Client, sandbox, big: Connection, settings
) -> None:
    settings.TASKS = DATABASE_TASKS
    client.get(list_url(big))
    job_stop(job=Job.objects.get(action=JobAction.READ))

    polled = client.get(list_url(big), {"coverage": "1"}, HTTP_HX_REQUEST="true").text

    assert "Read 1000 of 2500 handlers so far." in polled
    assert "The reading has stopped for now" in polled
    assert "every 3s" not in polled
    again = client.get(list_url(big)).text
    assert "every 3s" in again
    run_worker()
    assert pages_read(sandbox) == ["1", "2", "3"]
    assert copy_for(big).reading is None
