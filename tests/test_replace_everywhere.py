"""Replace a destination everywhere: every handler sending to an address, in every connection the
person may edit, found and shown per connection, changed by a job per connection, each change
journalled so that the old address comes back from the journal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from handlers_app.models import Connection, JournalAction, JournalEntry, Membership, Role, Team
from handlers_app.sandbox import Sandbox
from tests.helpers import client_for
from tests.imports_support import IMMEDIATE

OLD = "anna@example.com"
NEW = "duty@example.com"
HOOK = "https://hooks.example.com/services/T0/B0/old-secret-token"
NEW_HOOK = "https://hooks.example.com/services/T0/B0/new-secret-token"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings) -> None:
    settings.TASKS = IMMEDIATE


def add_connection(team: Team, sandbox: Sandbox, name: str) -> tuple[Connection, str]:
    api_key = sandbox.add_account(seed=0)
    connection = Connection(team=team, name=name, base_url=sandbox.base_url)
    connection.set_api_key(api_key)
    connection.save()
    return connection, api_key


@pytest.fixture
def second_sandbox() -> Iterator[Sandbox]:
    """A second Soclook, for a connection of its own."""
    server = Sandbox()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def two(
    team: Team, editor: User, sandbox: Sandbox, second_sandbox: Sandbox
) -> list[tuple[Connection, Sandbox, str, int]]:
    """Two connections on two sandboxes (the second in another team of the editor), each with
    a handler e-mailing Anna and one e-mailing someone else."""
    shop = Team.objects.create(name="Shop")
    Membership.objects.create(user=editor, team=shop, role=Role.EDITOR)
    made = []
    for server, owner_team, name in (
        (sandbox, team, "Production"),
        (second_sandbox, shop, "Shop live"),
    ):
        connection, api_key = add_connection(owner_team, server, name)
        anna = server.add_handler(
            api_key, type="email", name=f"Anna in {name}", settings={"email": OLD}
        )
        server.add_handler(
            api_key, type="email", name="Others", settings={"email": "x@example.com"}
        )
        made.append((connection, server, api_key, anna["id"]))
    return made


def email_of(server: Sandbox, api_key: str, handler_id: int) -> str:
    return next(h for h in server.handlers(api_key) if h["id"] == handler_id)["settings"]["email"]


def replace(client: Client, **data: str):
    return client.post(reverse("replace_everywhere"), data)


def test_an_address_is_replaced_in_two_connections_and_each_old_one_comes_back_from_the_journal(
    editor: User, two: list[tuple[Connection, Sandbox, str, int]]
) -> None:
    client = client_for(editor)
    preview = replace(client, kind="email", old=OLD.upper(), new=NEW, find="1")
    assert "2 handlers send there" in preview.text
    assert "Anna in Production" in preview.text and "Anna in Shop live" in preview.text
    assert "Others" not in preview.text
    assert all(email_of(server, key, hid) == OLD for _c, server, key, hid in two)

    done = replace(client, kind="email", old=OLD, new=NEW, confirm="1")

    assert done.status_code == 200
    assert [email_of(server, key, hid) for _c, server, key, hid in two] == [NEW, NEW]
    entries = list(JournalEntry.objects.filter(action=JournalAction.HANDLER_CHANGED))
    assert len(entries) == 2
    assert {entry.connection for entry in entries} == {c for c, _s, _k, _h in two}
    for entry in entries:
        restore = reverse("journal_restore", args=[entry.connection_id, entry.pk])
        assert client.post(restore).status_code == 302
    assert [email_of(server, key, hid) for _c, server, key, hid in two] == [OLD, OLD]


def test_a_web_address_is_replaced_and_never_shown_in_the_journal(
    editor: User, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    hook = sandbox.add_handler(api_key, type="slack", name="Alerts", settings={"slack": HOOK})
    client = client_for(editor)

    replace(client, kind="url", old=HOOK, new=NEW_HOOK, confirm="1")

    stored = next(h for h in sandbox.handlers(api_key) if h["id"] == hook["id"])
    assert stored["settings"]["slack"] == NEW_HOOK
    journal = client.get(reverse("journal")).text
    assert "<em>changed</em>" in journal
    assert HOOK not in journal and NEW_HOOK not in journal


def test_a_connection_the_person_may_only_view_is_left_alone(
    team: Team, editor: User, sandbox: Sandbox
) -> None:
    watched = Team.objects.create(name="Watched")
    Membership.objects.create(user=editor, team=watched, role=Role.VIEWER)
    _connection, api_key = add_connection(watched, sandbox, "Read only")
    anna = sandbox.add_handler(api_key, type="email", name="Anna", settings={"email": OLD})

    page = replace(client_for(editor), kind="email", old=OLD, new=NEW, confirm="1")

    assert "Read only" not in page.text
    assert email_of(sandbox, api_key, anna["id"]) == OLD


def test_a_bad_new_address_keeps_what_was_typed_and_sends_nothing(
    editor: User, two: list[tuple[Connection, Sandbox, str, int]]
) -> None:
    page = replace(client_for(editor), kind="email", old=OLD, new="not an address", confirm="1")

    assert "Enter a full e-mail address" in page.text
    assert 'value="not an address"' in page.text
    assert all(email_of(server, key, hid) == OLD for _c, server, key, hid in two)


def test_the_page_speaks_russian_and_is_linked_from_the_connections(editor: User, two) -> None:
    client = client_for(editor)

    page = client.get(reverse("replace_everywhere"), HTTP_ACCEPT_LANGUAGE="ru").text
    home = client.get(reverse("home")).text

    assert "Заменить адрес везде" in page
    assert reverse("replace_everywhere") in home
