"""A connection's stored API key goes only to the address it was entered for.

An owner who points a connection at another address must type the key again; the dashboard's
edit page refuses otherwise, before anything is sent, and journals the attempt. The Django
admin shows connections but changes none. "Elsewhere" is a second sandbox on another host,
standing for a server of the owner's own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from handlers_app.models import Connection, JournalAction, JournalEntry
from handlers_app.sandbox import Sandbox
from tests.helpers import client_for


@pytest.fixture(scope="module")
def elsewhere_server() -> Iterator[Sandbox]:
    server = Sandbox()
    server.start(host="127.0.0.2")
    yield server
    server.stop()


@pytest.fixture
def elsewhere(elsewhere_server: Sandbox) -> Iterator[Sandbox]:
    elsewhere_server.reset()
    yield elsewhere_server
    elsewhere_server.reset()


def edit(owner: User, connection: Connection, **data: str) -> object:
    form = {"name": connection.name, "base_url": connection.base_url, "api_key": "", **data}
    return client_for(owner).post(reverse("connection_edit", args=[connection.pk]), form)


def journal_text() -> str:
    return str(list(JournalEntry.objects.values_list("connection_name", "changes")))


def test_the_edit_form_says_a_new_address_needs_the_key_again(
    owner: User, connection: Connection
) -> None:
    page = client_for(owner).get(reverse("connection_edit", args=[connection.pk]))
    assert "If you change the address, type the key again" in page.text


def test_a_new_address_without_the_key_is_refused_and_nothing_is_sent_anywhere(
    owner: User, connection: Connection, api_key: str, sandbox: Sandbox, elsewhere: Sandbox
) -> None:
    sandbox.clear_requests()

    response = edit(owner, connection, base_url=elsewhere.base_url)

    assert response.status_code == 200
    assert "You changed the address: type the API key again." in response.text
    assert f'value="{elsewhere.base_url}"' in response.text, "what was typed is kept"
    assert elsewhere.requests == []
    assert sandbox.requests == []
    connection.refresh_from_db()
    assert (connection.base_url, connection.api_key) == (sandbox.base_url, api_key)


def test_the_refused_attempt_is_journalled_without_the_key(
    owner: User, connection: Connection, api_key: str, sandbox: Sandbox, elsewhere: Sandbox
) -> None:
    edit(owner, connection, name="Renamed too", base_url=elsewhere.base_url)

    entry = JournalEntry.objects.get()
    assert entry.action == JournalAction.CONNECTION_CHANGE_REFUSED
    assert (entry.user, entry.connection, entry.connection_name) == (
        owner,
        connection,
        "Soclook main",
    )
    page = client_for(owner).get(reverse("journal")).text
    assert "Connection change refused" in page
    assert elsewhere.base_url in page and sandbox.base_url in page
    assert "the API key was not typed again for the new address" in page
    assert api_key not in page and api_key not in journal_text()


def test_retyping_the_key_with_the_new_address_saves_both_and_journals_the_change(
    owner: User, connection: Connection, api_key: str, sandbox: Sandbox, elsewhere: Sandbox
) -> None:
    their_key = elsewhere.add_account(seed=3, api_key="a-key-of-that-other-account")
    sandbox.clear_requests()

    response = edit(owner, connection, base_url=elsewhere.base_url, api_key=their_key)

    assert response.status_code == 302
    assert [r.api_key for r in elsewhere.requests] == [their_key]
    assert sandbox.requests == []
    connection.refresh_from_db()
    assert (connection.base_url, connection.api_key) == (elsewhere.base_url, their_key)
    entry = JournalEntry.objects.get()
    assert entry.action == JournalAction.CONNECTION_CHANGED
    assert entry.changes == [
        {"field": "base_url", "before": sandbox.base_url, "after": elsewhere.base_url},
        {"field": "api_key", "secret": True},
    ]
    assert api_key not in journal_text() and their_key not in journal_text()


def test_a_new_address_that_fails_the_check_saves_nothing_and_is_journalled(
    owner: User, connection: Connection, api_key: str, sandbox: Sandbox, elsewhere: Sandbox
) -> None:
    response = edit(owner, connection, base_url=elsewhere.base_url, api_key="not-a-key-there")

    assert response.status_code == 200
    assert "did not accept this API key" in response.text
    assert [r.api_key for r in elsewhere.requests] == ["not-a-key-there"]
    connection.refresh_from_db()
    assert (connection.base_url, connection.api_key) == (sandbox.base_url, api_key)
    entry = JournalEntry.objects.get()
    assert entry.action == JournalAction.CONNECTION_CHANGE_REFUSED
    assert entry.changes[-1] == {"field": "reason", "before": None, "after": "check_failed"}
    assert "not-a-key-there" not in journal_text()


def test_keeping_the_address_still_keeps_the_stored_key_and_journals_the_rename(
    owner: User, connection: Connection, api_key: str, sandbox: Sandbox
) -> None:
    response = edit(owner, connection, name="Renamed")

    assert response.status_code == 302
    assert {r.api_key for r in sandbox.requests} == {api_key}
    entry = JournalEntry.objects.get()
    assert entry.action == JournalAction.CONNECTION_CHANGED
    assert entry.changes == [{"field": "name", "before": "Soclook main", "after": "Renamed"}]


@pytest.fixture
def operator(db: None) -> User:
    return User.objects.create_superuser("root", password="an-operator-passphrase-77")


def test_the_admin_shows_a_connection_but_cannot_change_its_address_or_key(
    operator: User, connection: Connection, api_key: str, sandbox: Sandbox, elsewhere: Sandbox
) -> None:
    client = Client()
    client.force_login(operator)
    url = reverse("admin:handlers_app_connection_change", args=[connection.pk])

    page = client.get(url)
    attempt = client.post(
        url, {"team": connection.team_id, "name": "Mine", "base_url": elsewhere.base_url}
    )
    removal = client.post(reverse("admin:handlers_app_connection_delete", args=[connection.pk]))

    assert page.status_code == 200
    assert 'name="base_url"' not in page.text and api_key not in page.text
    assert (attempt.status_code, removal.status_code) == (403, 403)
    connection.refresh_from_db()
    assert (connection.name, connection.base_url) == ("Soclook main", sandbox.base_url)
    assert elsewhere.requests == []
