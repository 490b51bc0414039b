"""Bulk actions from the handler list (handlers_app.bulk, views/bulk.py): the selection, the
confirmation that says how many will change, a few run at once, and what each person sees and
the service receives. The background runs of many handlers are in test_bulk_task.py."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from handlers_app import bulk
from handlers_app.models import (
    Connection,
    ItemOutcome,
    Job,
    JournalAction,
    JournalEntry,
)
from handlers_app.sandbox import Sandbox
from tests.helpers import client_for
from tests.imports_support import IMMEDIATE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tasks_run_inline(settings) -> None:
    settings.TASKS = IMMEDIATE


@pytest.fixture
def client(editor: User, connection: Connection) -> Client:
    return client_for(editor)


def bulk_url(connection: Connection) -> str:
    return reverse("handler_bulk", args=[connection.pk])


def enabled_ids(sandbox: Sandbox, api_key: str, count: int) -> list[int]:
    return [h["id"] for h in sandbox.handlers(api_key) if h["is_enabled"] == 1][:count]


def writes(sandbox: Sandbox) -> list[str]:
    return [r.path for r in sandbox.requests if r.method in ("POST", "DELETE")]


def handler_id_of(path: str) -> int:
    return int(re.findall(r"\d+", path)[-1])


def text(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def test_editors_see_a_checkbox_per_row_and_the_bulk_bar(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    html = client.get(connection.get_absolute_url()).content.decode()

    first = sandbox.handlers(api_key)[0]["id"]
    assert f'name="ids" value="{first}" form="bulk-form"' in html
    assert 'id="bulk-form"' in html
    assert "Select all 40 handlers" in html
    assert 'value="disable"' in html and 'value="delete"' in html


def test_viewers_get_no_checkboxes_nor_bulk_bar(
    viewer: User, connection: Connection, sandbox: Sandbox
) -> None:
    html = client_for(viewer).get(connection.get_absolute_url()).content.decode()

    assert 'id="bulk-form"' not in html
    assert 'name="ids"' not in html


def test_the_filtered_list_offers_all_matching_this_filter(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    emails = [h for h in sandbox.handlers(api_key) if h["type"] == "email"]

    html = client.get(connection.get_absolute_url() + "?type=email").content.decode()

    assert f"Select all {len(emails)} matching this filter" in html
    assert '<input type="hidden" name="type" value="email">' in html


def test_the_confirmation_says_how_many_handlers_will_change(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    off = next(h["id"] for h in sandbox.handlers(api_key) if h["is_enabled"] == 0)
    ids = [*enabled_ids(sandbox, api_key, 3), off]
    sandbox.clear_requests()

    response = client.get(bulk_url(connection), {"action": "disable", "ids": ids})

    html = text(response.content.decode())
    assert "3 handlers will be switched off." in html
    assert "1 selected handler is already as asked and stays as it is." in html
    assert "Switch off 3 handlers" in html
    assert writes(sandbox) == []


def test_a_few_handlers_are_switched_off_at_once_each_journalled(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    ids = enabled_ids(sandbox, api_key, 3)

    response = client.post(
        bulk_url(connection), {"action": "disable", "ids": ",".join(map(str, ids))}, follow=True
    )

    html = text(response.content.decode())
    assert "Finished: 3 done, 0 needed no change, 0 no longer existed" in html
    states = {h["id"]: h["is_enabled"] for h in sandbox.handlers(api_key)}
    assert [states[i] for i in ids] == [0, 0, 0]
    entries = JournalEntry.objects.filter(action=JournalAction.HANDLER_DISABLED)
    assert sorted(entries.values_list("handler_id", flat=True)) == sorted(ids)
    assert 'hx-trigger="every 2s"' not in html


def test_all_matching_this_filter_switches_on_exactly_the_filtered_handlers(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    for handler_id in enabled_ids(sandbox, api_key, 2):
        client.post(
            reverse("handler_toggle", args=[connection.pk, handler_id]), {"is_enabled": "0"}
        )
    off = {h["id"] for h in sandbox.handlers(api_key) if h["is_enabled"] == 0}
    sandbox.clear_requests()

    confirm = client.get(bulk_url(connection), {"action": "enable", "all": "1", "is_enabled": "0"})
    assert f"{len(off)} handlers will be switched on." in text(confirm.content.decode())
    client.post(
        bulk_url(connection),
        {"action": "enable", "ids": ",".join(str(h.id) for h in confirm.context["handlers"])},
    )

    switched = {handler_id_of(r.path) for r in sandbox.requests if r.method == "POST"}
    assert switched == off
    assert all(h["is_enabled"] != 0 for h in sandbox.handlers(api_key))


def test_a_bulk_delete_is_restorable_from_the_journal(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    victims = sandbox.handlers(api_key)[:2]

    client.post(
        bulk_url(connection),
        {"action": "delete", "ids": ",".join(str(h["id"]) for h in victims)},
    )

    left = {h["id"] for h in sandbox.handlers(api_key)}
    assert not left & {h["id"] for h in victims}
    entry = JournalEntry.objects.get(
        action=JournalAction.HANDLER_DELETED, handler_id=victims[0]["id"]
    )
    assert entry.is_restorable
    client.post(reverse("journal_restore", args=[connection.pk, entry.pk]))
    names = [h["name"] for h in sandbox.handlers(api_key)]
    assert victims[0]["name"] in names


def test_handlers_already_so_are_not_sent(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    off = [h["id"] for h in sandbox.handlers(api_key) if h["is_enabled"] == 0]
    sandbox.clear_requests()

    response = client.post(
        bulk_url(connection), {"action": "disable", "ids": ",".join(map(str, off))}, follow=True
    )

    assert "Nothing to change: every handler is already as asked." in response.content.decode()
    assert writes(sandbox) == []
    assert not Job.objects.exists()


def test_nothing_ticked_sends_the_person_back_with_a_message(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    response = client.get(bulk_url(connection), {"action": "disable", "type": "email"})

    assert response.status_code == 302
    assert response["Location"] == connection.get_absolute_url() + "?type=email"
    page = client.get(response["Location"]).content.decode()
    assert "Tick the handlers first" in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_viewer_is_refused_with_nothing_sent(
    viewer: User, connection: Connection, sandbox: Sandbox, api_key: str, method: str
) -> None:
    ids = ",".join(map(str, enabled_ids(sandbox, api_key, 8)))
    sandbox.clear_requests()

    response = getattr(client_for(viewer), method)(
        bulk_url(connection), {"action": "disable", "ids": ids}
    )

    assert response.status_code == 403
    assert sandbox.requests == []
    assert not Job.objects.exists()


def test_a_stranger_cannot_see_a_teams_bulk_job(
    client: Client, stranger: User, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    ids = enabled_ids(sandbox, api_key, 2)
    client.post(bulk_url(connection), {"action": "disable", "ids": ",".join(map(str, ids))})
    job = Job.objects.get()

    response = client_for(stranger).get(reverse("handler_bulk_job", args=[connection.pk, job.pk]))

    assert response.status_code == 404
    assert set(job.items.values_list("outcome", flat=True)) == {ItemOutcome.DONE}


def test_the_bar_offers_copy_export_and_saving_as_set_ups(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    html = client.get(connection.get_absolute_url()).content.decode()

    for action in ("copy", "export", "save_presets"):
        assert f'value="{action}"' in html


def test_a_linked_flow_gets_the_ids_or_the_filter_and_all(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    by_ids = client.get(bulk_url(connection), {"action": "export", "ids": ["3", "1"]})
    by_filter = client.get(
        bulk_url(connection), {"action": "export", "all": "1", "type": "email", "page": "2"}
    )
    to_copy = client.get(bulk_url(connection), {"action": "copy", "ids": ["2"]})

    export_url = reverse("handler_export", args=[connection.pk])
    assert by_ids["Location"] == f"{export_url}?ids=3,1"
    assert by_filter["Location"] == f"{export_url}?type=email&all=1"
    assert to_copy["Location"] == f"{reverse('handlers_copy', args=[connection.pk])}?ids=2"


def test_an_unexpected_error_in_a_short_run_is_shown_on_its_page_not_a_server_error(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, monkeypatch
) -> None:
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(bulk, "handler_set_enabled", broken)
    ids = enabled_ids(sandbox, api_key, 2)

    response = client.post(
        bulk_url(connection), {"action": "disable", "ids": ",".join(map(str, ids))}, follow=True
    )

    assert response.status_code == 200
    assert "An unexpected error in the dashboard stopped it." in response.content.decode()


@pytest.mark.parametrize("bad", ["x", "²", "-3", "9" * 40])
def test_a_selection_with_an_id_that_is_not_a_plain_number_is_refused_plainly(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, bad: str
) -> None:
    [handler_id] = enabled_ids(sandbox, api_key, 1)

    response = client.get(
        bulk_url(connection), {"action": "disable", "ids": f"{bad},{handler_id}"}, follow=True
    )

    assert response.status_code == 200
    assert "This address does not name handlers the dashboard can find." in text(
        response.content.decode()
    )
    assert writes(sandbox) == []
