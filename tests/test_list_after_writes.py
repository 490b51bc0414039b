"""After a write the list is never worse than before: an add keeps the last list to show, a switch
shows when the change happened, and a save that changes nothing sends nothing."""

# ruff: noqa: RUF001
from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from handlers_app.models import Connection
from handlers_app.sandbox import Sandbox
from handlers_app.service_time import service_moment
from tests.helpers import client_for
from tests.sharing_support import add_chosen, add_connection, add_live_account

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client(editor: User, connection: Connection) -> Client:
    return client_for(editor)


def list_url(connection: Connection) -> str:
    return reverse("handler_list", args=[connection.pk])


def stored(sandbox, api_key: str, handler_id: int) -> dict:
    return next(h for h in sandbox.handlers(api_key) if h["id"] == handler_id)


def last_change_cell(row: str) -> str:
    """The "Last change" column: the row's last date cell."""
    cells = re.findall(r'<td class="date">(.*?)</td>', row, re.S)
    assert len(cells) == 2, "the row has no date columns"
    return cells[1]


# --- an add keeps the list ---------------------------------------------------------------------


def test_the_list_stays_after_an_add_that_spends_the_minutes_last_requests(
    client: Client, connection: Connection, sandbox, api_key: str
) -> None:
    # Reads stop three requests before the limit: one list read, then the add takes the last
    # request a read may not use.
    sandbox.rate_limit = 5
    client.get(list_url(connection))

    response = client.post(
        reverse("handler_new", args=[connection.pk]),
        {"name": "Night shift", "type": "email", "email": "night@example.com"},
        follow=True,
    )

    assert "The handlers could not be loaded" not in response.text
    # The service's answer described the new handler: the list needs no read to show it.
    assert "This is the list as Soclook gave it" not in response.text
    assert "Showing 26–41 of 41 handlers" in response.text
    assert "Night shift" in response.text
    assert [r.method for r in sandbox.requests] == ["GET", "POST"]
    assert all(r.status < 400 for r in sandbox.requests)


def test_after_an_add_the_list_shows_the_handler_as_the_service_answered_without_a_read(
    client: Client, connection: Connection, sandbox, api_key: str
) -> None:
    client.get(list_url(connection))
    sandbox.clear_requests()

    response = client.post(
        reverse("handler_new", args=[connection.pk]),
        {"name": "Night shift", "type": "email", "email": "night@example.com"},
        follow=True,
    )

    assert [r.method for r in sandbox.requests] == ["POST"]
    new_id = sandbox.handlers(api_key)[-1]["id"]
    row = re.search(rf'<tr id="handler-{new_id}".*?</tr>', response.text, re.S).group(0)
    # As the service has it: an e-mail address waits for its owner's confirmation.
    assert "Waiting for confirmation" in row
    assert "This is the list as Soclook gave it" not in response.text


# --- a switch shows when it happened -----------------------------------------------------------


@pytest.mark.parametrize("variant", ["live", "seed"])
def test_after_a_switch_the_row_shows_the_time_of_the_change(
    client: Client, connection: Connection, sandbox, api_key: str, variant: str
) -> None:
    handler = sandbox.add_handler(
        api_key, type="webhook", name="Never changed", settings={"webhook": "https://a.example/h"}
    )
    client.get(list_url(connection), {"page": "2"})
    sandbox.variant = variant

    row = client.post(
        reverse("handler_toggle", args=[connection.pk, handler["id"]]),
        {"is_enabled": "0"},
        **HTMX,
    ).text

    assert "changed by egor" in row
    cell = last_change_cell(row)
    assert "<time datetime=" in cell, cell
    listed = client.get(list_url(connection), {"page": "2"}).text
    row_in_list = re.search(rf'<tr id="handler-{handler["id"]}".*?</tr>', listed, re.S).group(0)
    assert "<time datetime=" in last_change_cell(row_in_list)


def test_the_switch_takes_the_time_of_the_change_from_the_services_answer(
    client: Client, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.add_handler(
        api_key, type="webhook", name="Never changed", settings={"webhook": "https://a.example/h"}
    )

    row = client.post(
        reverse("handler_toggle", args=[connection.pk, handler["id"]]),
        {"is_enabled": "0"},
        **HTMX,
    ).text

    changed = stored(sandbox, api_key, handler["id"])["last_datetime"]
    assert changed is not None
    connection.refresh_from_db()
    moment = service_moment(datetime.fromisoformat(changed), connection.service_utc_offset)
    assert f'<time datetime="{timezone.localtime(moment).isoformat()}"' in last_change_cell(row)


# --- a save that changes nothing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "Nothing to save: “Unchanged” is unchanged."), ("ru", "Сохранять нечего")],
)
def test_a_save_with_nothing_changed_sends_nothing_and_says_so(
    client: Client, connection: Connection, sandbox, api_key: str, language: str, said: str
) -> None:
    handler = sandbox.add_handler(
        api_key,
        type="email",
        name="Unchanged",
        settings={"email": "same@example.com"},
        last_datetime="2024-05-06 07:08:09",
    )
    sandbox.clear_requests()

    response = client.post(
        reverse("handler_edit", args=[connection.pk, handler["id"]]),
        {"name": "Unchanged", "type": "email", "email": "same@example.com"},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 302
    (message,) = get_messages(response.wsgi_request)
    assert str(message).startswith(said)
    assert [r for r in sandbox.requests if r.method == "POST"] == []
    assert stored(sandbox, api_key, handler["id"])["last_datetime"] == "2024-05-06 07:08:09"


def test_a_save_with_only_a_secret_left_empty_sends_nothing(
    client: Client, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.add_handler(
        api_key, type="webhook", name="Hook", settings={"webhook": "https://a.example/t0ken"}
    )
    sandbox.clear_requests()

    client.post(
        reverse("handler_edit", args=[connection.pk, handler["id"]]),
        {"name": "Hook", "type": "webhook", "webhook": ""},
    )

    assert [r for r in sandbox.requests if r.method == "POST"] == []


# --- many writes at once -----------------------------------------------------------------------


def test_a_copy_costs_a_write_a_handler_and_the_switch_offs_and_no_read_of_the_list(
    client: Client, connection: Connection, sandbox, api_key: str, team, owner
) -> None:
    chosen = add_chosen(sandbox, api_key)
    with Sandbox() as live_sandbox:
        live_key = add_live_account(live_sandbox)
        live = add_connection(
            team, owner, name="Soclook live", base_url=live_sandbox.base_url, key=live_key
        )
        client.get(list_url(live))
        live_sandbox.clear_requests()

        client.post(
            reverse("handlers_copy", args=[connection.pk]),
            {"ids": ",".join(map(str, chosen.values())), "destination": live.pk},
        )
        text = client.get(list_url(live)).text

        # Two created (one was there already), one of them switched off as its source is.
        assert [r.method for r in live_sandbox.requests] == ["POST", "POST", "POST"]
    assert "On-call bot" in text
    assert "Night shift" in text
