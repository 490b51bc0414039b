"""When the service misbehaves, every flow says so plainly, keeps what the person typed, never
answers with a server error, and leaves the service in a known state: a write whose outcome is
unknown is reported as such and never sent twice.

Each flow meets each fault: an answer slower than the timeout, a 500 with an HTML body, a JSON
answer cut short, a refused connection, and the rate limit reached halfway through; the
handler forms, the switch and deletion also meet a handler deleted elsewhere in the meantime.
Restoring from the journal is a write too, and meets the same faults.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
import requests
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from handlers_app.models import Connection, JournalAction, JournalEntry
from handlers_app.sandbox import Fault
from tests.helpers import client_for

HTMX = {"HX-Request": "true"}
SLOW, HTML_500, TRUNCATED, REFUSED, RATE_LIMIT = (
    "slow",
    "html_500",
    "truncated_json",
    "refused",
    "rate_limit",
)
FAULTS = (SLOW, HTML_500, TRUNCATED, REFUSED, RATE_LIMIT)

UNKNOWN = "did not confirm whether the change was saved"
UNKNOWN_ON_FORM = "may or may not have been saved"
UNAVAILABLE = "not responding properly"
LIMITED = "try again in"
# What a person reads for each fault when nothing was written (reads, refused writes).
READ_MESSAGE = {
    SLOW: UNAVAILABLE,
    HTML_500: UNAVAILABLE,
    TRUNCATED: UNAVAILABLE,
    REFUSED: UNAVAILABLE,
    RATE_LIMIT: LIMITED,
}
# A write the service may have applied: the answer came too late or could not be read.
OUTCOME_UNKNOWN = {SLOW, TRUNCATED}
GONE = "no longer exists in Soclook"


@pytest.fixture(autouse=True)
def _short_timeout(settings, sandbox) -> None:
    settings.SOCLOOK_TIMEOUT = 0.5
    sandbox.slow_seconds = 3


@pytest.fixture
def client(editor: User) -> Client:
    return client_for(editor)


def closed_port_url() -> str:
    """The address of a port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/"


def inject(kind: str, *, sandbox, connection: Connection, method: str | None = None) -> None:
    if kind == REFUSED:
        connection.base_url = closed_port_url()
        connection.save()
    else:
        sandbox.add_fault(Fault(kind, method=method))


def writes(sandbox, method: str = "POST") -> list[Any]:
    return [r for r in sandbox.requests if r.method == method]


def first_of_type(sandbox, api_key: str, type_: str, *, enabled: int = 1) -> dict[str, Any]:
    return next(
        r for r in sandbox.handlers(api_key) if r["type"] == type_ and r["is_enabled"] == enabled
    )


def delete_elsewhere(sandbox, api_key: str, handler_id: int) -> None:
    """Someone else deletes the handler, straight through the API."""
    response = requests.delete(
        f"{sandbox.base_url}notification-handlers/{handler_id}",
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=5,
    )
    assert response.status_code in (200, 204)


def list_url(connection: Connection) -> str:
    return reverse("handler_list", args=[connection.pk])


# --- the list ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", FAULTS)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_the_list_explains_a_fault_instead_of_failing(
    kind: str, headers: dict[str, str], client: Client, connection: Connection, sandbox
) -> None:
    inject(kind, sandbox=sandbox, connection=connection, method="GET")

    response = client.get(list_url(connection), headers=headers)

    assert response.status_code == 200
    assert "The handlers could not be loaded." in response.text
    assert READ_MESSAGE[kind] in response.text


# --- creating ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", FAULTS)
def test_creating_through_a_fault_keeps_the_input_and_never_sends_twice(
    kind: str, client: Client, connection: Connection, sandbox, api_key: str
) -> None:
    before = sandbox.handlers(api_key)
    inject(kind, sandbox=sandbox, connection=connection, method="POST")

    response = client.post(
        reverse("handler_new", args=[connection.pk]),
        {"name": "Night shift", "type": "email", "email": "night@example.com"},
    )

    assert response.status_code == 200
    assert 'value="Night shift"' in response.text
    assert 'value="night@example.com"' in response.text
    if kind in OUTCOME_UNKNOWN:
        assert UNKNOWN_ON_FORM in response.text
        assert "so that it is not added twice" in response.text
        assert len(writes(sandbox)) == 1, "an unknown outcome is never retried"
    else:
        assert "The handler was not added:" in response.text
        assert READ_MESSAGE[kind] in response.text
        assert len(writes(sandbox)) == (0 if kind == REFUSED else 1)
        assert sandbox.handlers(api_key) == before


def test_after_an_unknown_outcome_the_list_shows_what_the_service_has(
    client: Client, connection: Connection, sandbox
) -> None:
    sandbox.add_fault(Fault(SLOW, method="POST"))
    client.post(
        reverse("handler_new", args=[connection.pk]),
        {"name": "Night shift", "type": "email", "email": "night@example.com"},
    )

    response = client.get(list_url(connection), {"search": "Night shift"})

    assert "Night shift" in response.text, "the slow create was applied; the list must show it"


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_a_create_through_htmx_or_not_reports_an_unknown_outcome(
    headers: dict[str, str], client: Client, connection: Connection, sandbox
) -> None:
    sandbox.add_fault(Fault(TRUNCATED, method="POST"))
    response = client.post(
        reverse("handler_new", args=[connection.pk]),
        {"name": "Night shift", "type": "email", "email": "night@example.com"},
        headers=headers,
    )
    assert response.status_code == 200
    assert UNKNOWN_ON_FORM in response.text


# --- editing -------------------------------------------------------------------------------------


def open_edit(client: Client, connection: Connection, handler_id: int) -> str:
    url = reverse("handler_edit", args=[connection.pk, handler_id])
    assert client.get(url).status_code == 200
    return url


@pytest.mark.parametrize("kind", FAULTS)
def test_saving_an_edit_through_a_fault_keeps_the_input_and_never_sends_twice(
    kind: str, client: Client, connection: Connection, sandbox, api_key: str
) -> None:
    handler = first_of_type(sandbox, api_key, "email")
    url = open_edit(client, connection, handler["id"])
    before = sandbox.handlers(api_key)
    sandbox.clear_requests()
    inject(kind, sandbox=sandbox, connection=connection, method="POST")

    response = client.post(
        url, {"name": "Renamed shift", "type": "email", "email": "renamed@example.com"}
    )

    assert response.status_code == 200
    assert 'value="Renamed shift"' in response.text
    assert 'value="renamed@example.com"' in response.text
    if kind in OUTCOME_UNKNOWN:
        assert UNKNOWN_ON_FORM in response.text
        assert len(writes(sandbox)) == 1, "an unknown outcome is never retried"
    else:
        assert READ_MESSAGE[kind] in response.text
        assert len(writes(sandbox)) <= 1
        assert sandbox.handlers(api_key) == before


@pytest.mark.parametrize("kind", FAULTS)
def test_opening_the_edit_page_through_a_fault_says_why_it_cannot_be_loaded(
    kind: str, client: Client, connection: Connection, sandbox, api_key: str
) -> None:
    handler = first_of_type(sandbox, api_key, "email")
    inject(kind, sandbox=sandbox, connection=connection, method="GET")

    response = client.get(reverse("handler_edit", args=[connection.pk, handler["id"]]))

    assert response.status_code == 200
    assert "could not be loaded" in response.text
    assert READ_MESSAGE[kind] in response.text


def test_editing_a_handler_deleted_elsewhere_keeps_the_input_and_says_it_is_gone(
    client: Client, connection: Connection, sandbox, api_key: str
) -> None:
    handler = first_of_type(sandbox, api_key, "email")
    url = open_edit(client, connection, handler["id"])
    delete_elsewhere(sandbox, api_key, handler["id"])
    sandbox.clear_requests()

    response = client.post(
        url, {"name": "Renamed shift", "type": "email", "email": "renamed@example.com"}
    )

    assert response.status_code == 200
    assert GONE in response.text
    assert 'value="Renamed shift"' in response.text
    assert 'value="renamed@example.com"' in response.text
    assert len(writes(sandbox)) == 1
    assert handler["id"] not in {r["id"] for r in sandbox.handlers(api_key)}


# --- the switch ----------------------------------------------------------------------------------


def toggle(client: Client, connection: Connection, handler_id: int, *, to: str) -> Any:
    return client.post(
        reverse("handler_toggle", args=[connection.pk, handler_id]),
        {"is_enabled": to},
        headers=HTMX,
    )


@pytest.mark.parametrize("kind", FAULTS)
def test_switching_through_a_fault_says_so_and_never_sends_twice(
    kind: str, client: Client, connection: Connection, sandbox, api_key: str
) -> None:
    handler = first_of_type(sandbox, api_key, "webhook")
    client.get(list_url(connection))
    before = sandbox.handlers(api_key)
    sandbox.clear_requests()
    inject(kind, sandbox=sandbox, connection=connection, method="POST")

    response = toggle(client, connection, handler["id"], to="0")

    assert response.status_code == 200
    if kind in OUTCOME_UNKNOWN:
        assert UNKNOWN in response.text
        assert len(writes(sandbox)) == 1, "an unknown outcome is never retried"
    else:
        assert READ_MESSAGE[kind] in response.text
        assert f'formaction="{handler["id"]}/toggle/"' in response.text, (
            "the switch is shown as it was"
        )
        assert 'aria-pressed="true"' in response.text
        assert sandbox.handlers(api_key) == before


def test_switching_a_handler_deleted_elsewhere_says_it_is_gone_and_drops_its_row(
    client: Client, connection: Connection, sandbox, api_key: str
) -> None:
    handler = first_of_type(sandbox, api_key, "webhook")
    client.get(list_url(connection))
    delete_elsewhere(sandbox, api_key, handler["id"])

    response = toggle(client, connection, handler["id"], to="0")

    assert response.status_code == 200
    assert GONE in response.text
    assert f'id="handler-{handler["id"]}"' not in response.text


# --- deleting ------------------------------------------------------------------------------------


def delete(client: Client, connection: Connection, handler_id: int) -> Any:
    return client.post(
        reverse("handler_delete", args=[connection.pk, handler_id]),
        {"next": list_url(connection)},
        headers=HTMX,
    )


@pytest.mark.parametrize("kind", [SLOW, HTML_500, REFUSED, RATE_LIMIT])
def test_deleting_through_a_fault_says_so_and_never_sends_twice(
    kind: str, client: Client, connection: Connection, sandbox, api_key: str
) -> None:
    handler = first_of_type(sandbox, api_key, "slack")
    client.get(list_url(connection))
    before = sandbox.handlers(api_key)
    sandbox.clear_requests()
    inject(kind, sandbox=sandbox, connection=connection, method="DELETE")

    response = delete(client, connection, handler["id"])

    assert response.status_code == 200
    assert len(writes(sandbox, "DELETE")) == (0 if kind == REFUSED else 1)
    if kind in OUTCOME_UNKNOWN:
        assert UNKNOWN in response.text
        assert "was not deleted" not in response.text, "it may well have been"
    else:
        assert "The handler was not deleted" in response.text
        assert READ_MESSAGE[kind] in response.text
        assert sandbox.handlers(api_key) == before


def test_a_delete_whose_empty_answer_is_cut_short_still_counts_as_done(
    client: Client, connection: Connection, sandbox, api_key: str
) -> None:
    handler = first_of_type(sandbox, api_key, "slack")
    client.get(list_url(connection))
    sandbox.add_fault(Fault(TRUNCATED, method="DELETE"))

    response = delete(client, connection, handler["id"])

    assert response.status_code == 200
    assert handler["id"] not in {r["id"] for r in sandbox.handlers(api_key)}
    assert f"Deleted “{handler['name']}”" in response.text or UNKNOWN in response.text


def test_deleting_a_handler_deleted_elsewhere_says_it_is_gone(
    client: Client, connection: Connection, sandbox, api_key: str
) -> None:
    handler = first_of_type(sandbox, api_key, "slack")
    client.get(list_url(connection))
    delete_elsewhere(sandbox, api_key, handler["id"])

    response = delete(client, connection, handler["id"])

    assert response.status_code == 200
    assert GONE in response.text
    assert f'id="handler-{handler["id"]}"' not in response.text


# --- restoring from the journal ------------------------------------------------------------------


@pytest.mark.parametrize("kind", FAULTS)
def test_restoring_a_deleted_handler_through_a_fault_says_so_and_never_sends_twice(
    kind: str, client: Client, connection: Connection, sandbox, api_key: str
) -> None:
    handler = first_of_type(sandbox, api_key, "email")
    client.get(list_url(connection))
    delete(client, connection, handler["id"])
    entry = JournalEntry.objects.get(action=JournalAction.HANDLER_DELETED)
    before = sandbox.handlers(api_key)
    sandbox.clear_requests()
    inject(kind, sandbox=sandbox, connection=connection, method="POST")

    response = client.post(reverse("journal_restore", args=[connection.pk, entry.pk]))

    assert response.status_code == 200
    if kind in OUTCOME_UNKNOWN:
        assert UNKNOWN in response.text
        assert len(writes(sandbox)) == 1, "an unknown outcome is never retried"
    else:
        assert READ_MESSAGE[kind] in response.text
        assert len(writes(sandbox)) == (0 if kind == REFUSED else 1)
        assert sandbox.handlers(api_key) == before
