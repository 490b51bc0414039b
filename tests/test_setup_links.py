"""Linked set-ups: a handler added from a saved set-up remembers it, and the set-up's page lists
where it is used (connection, handler, whether it still matches), with what an update from the
set-up would change, secrets only as changed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from handlers_app.models import (
    Connection,
    JournalAction,
    JournalEntry,
    Membership,
    Role,
    SavedSetup,
    SetupLink,
    Team,
)
from handlers_app.presets import setup_create, setup_update
from handlers_app.readcache import handler_cache_clear
from handlers_app.sandbox import Sandbox
from tests.helpers import client_for, make_user
from tests.imports_support import IMMEDIATE
from tests.sandbox_support import Api

TOKEN = "123456789:AAHsecret-bot-token-Zq8xW2vY7"
NEW_TOKEN = "987654321:AAHanother-bot-token-Qq1"
CHAT = "-1009876543210"


def add_connection(team: Team, sandbox: Sandbox, name: str) -> tuple[Connection, str]:
    api_key = sandbox.add_account(seed=0)
    connection = Connection(team=team, name=name, base_url=sandbox.base_url)
    connection.set_api_key(api_key)
    connection.save()
    return connection, api_key


@pytest.fixture
def setup(team: Team, editor: User) -> SavedSetup:
    return setup_create(
        team=team,
        user=editor,
        name="On-call Telegram",
        type="telegram",
        settings={"telegram": TOKEN, "telegram_chat_id": CHAT},
    )


@pytest.fixture
def two(team: Team, sandbox: Sandbox) -> list[tuple[Connection, str]]:
    return [add_connection(team, sandbox, "Production"), add_connection(team, sandbox, "Staging")]


def apply(client: Client, setup: SavedSetup, connections: list[Connection]) -> None:
    url = reverse("setup_apply", args=[setup.team_id, setup.pk])
    response = client.post(
        url, {"name": "Bot", "connections": [c.pk for c in connections], "confirm": "1"}
    )
    assert response.status_code == 200


def used_page(client: Client, setup: SavedSetup, **headers: str) -> str:
    return client.get(reverse("setup_used", args=[setup.team_id, setup.pk]), **headers).text


def test_the_setups_page_lists_the_handlers_made_from_it(
    editor: User, setup: SavedSetup, two: list[tuple[Connection, str]], sandbox: Sandbox
) -> None:
    client = client_for(editor)
    apply(client, setup, [connection for connection, _key in two])

    page = used_page(client, setup)

    links = list(SetupLink.objects.order_by("connection__name"))
    assert [link.connection.name for link in links] == ["Production", "Staging"]
    for (_connection, api_key), link in zip(
        sorted(two, key=lambda c: c[0].name), links, strict=True
    ):
        [made] = sandbox.handlers(api_key)
        assert made["id"] == link.handler_id
    assert "2 handlers made from it" in page
    assert page.count("Matches</span>") == 2
    assert "Production" in page and "Staging" in page
    assert TOKEN not in page
    setups = client.get(reverse("setup_list", args=[setup.team_id])).text
    assert reverse("setup_used", args=[setup.team_id, setup.pk]) in setups


def test_a_handler_added_from_the_form_with_a_setup_is_linked(
    editor: User, setup: SavedSetup, connection: Connection
) -> None:
    client = client_for(editor)
    client.post(
        reverse("handler_new", args=[connection.pk]),
        {
            "setup": setup.pk,
            "name": "Shop bot",
            "type": "telegram",
            "telegram": "",
            "telegram_chat_id": CHAT,
        },
    )

    page = used_page(client, setup)

    assert "1 handler made from it" in page and "Shop bot" in page


def test_after_the_setup_changes_the_page_says_what_differs_without_secrets(
    editor: User, setup: SavedSetup, two: list[tuple[Connection, str]]
) -> None:
    client = client_for(editor)
    apply(client, setup, [two[0][0]])
    setup_update(
        setup=setup,
        user=editor,
        name=setup.name,
        settings={"telegram": NEW_TOKEN, "telegram_chat_id": "-1001"},
    )

    page = used_page(client, setup)

    assert "Differs</span>" in page
    assert f"<del>{CHAT}</del> → -1001" in page
    assert "<em>changed</em>" in page
    assert TOKEN not in page and NEW_TOKEN not in page


def test_a_handler_deleted_in_soclook_is_shown_gone(
    editor: User, setup: SavedSetup, two: list[tuple[Connection, str]], sandbox: Sandbox
) -> None:
    client = client_for(editor)
    connection, api_key = two[0]
    apply(client, setup, [connection])
    [made] = sandbox.handlers(api_key)
    Api(sandbox.base_url, api_key).delete(made["id"])
    # Once the list the dashboard read has expired (SOCLOOK_CACHE_SECONDS).
    handler_cache_clear(connection=connection)

    page = used_page(client, setup)

    assert "No longer in Soclook" in page


def test_a_connection_the_person_cannot_see_is_not_listed(
    editor: User, setup: SavedSetup, sandbox: Sandbox
) -> None:
    elsewhere = Team.objects.create(name="Elsewhere")
    Membership.objects.create(user=editor, team=elsewhere, role=Role.EDITOR)
    hidden, _key = add_connection(elsewhere, sandbox, "Hidden shop")
    apply(client_for(editor), setup, [hidden])
    colleague = make_user("ivan")
    Membership.objects.create(user=colleague, team=setup.team, role=Role.EDITOR)

    page = used_page(client_for(colleague), setup)

    assert "Hidden shop" not in page
    assert "No handler made from this set-up yet" in page


def test_the_page_speaks_russian(
    editor: User, setup: SavedSetup, two: list[tuple[Connection, str]]
) -> None:
    client = client_for(editor)
    apply(client, setup, [two[0][0]])

    page = used_page(client, setup, HTTP_ACCEPT_LANGUAGE="ru")

    assert "Где используется «On-call Telegram»" in page
    assert "Совпадает" in page


# --- updating the handlers made from a set-up ----------------------------------------------------


@pytest.fixture
def _immediate_tasks(settings) -> None:
    settings.TASKS = IMMEDIATE


@pytest.mark.usefixtures("_immediate_tasks")
def test_after_a_change_the_handlers_made_from_it_are_updated_and_can_be_undone(
    editor: User, setup: SavedSetup, two: list[tuple[Connection, str]], sandbox: Sandbox
) -> None:
    client = client_for(editor)
    apply(client, setup, [connection for connection, _key in two])
    setup_update(
        setup=setup,
        user=editor,
        name=setup.name,
        settings={"telegram": NEW_TOKEN, "telegram_chat_id": "-1001"},
    )
    assert "Update the 2 handlers made from it" in used_page(client, setup)

    page = client.post(reverse("setup_used", args=[setup.team_id, setup.pk]), {"update": "1"})

    assert page.status_code == 200
    assert page.text.count("Matches</span>") == 2
    for _connection, api_key in two:
        [made] = sandbox.handlers(api_key)
        assert made["name"] == "Bot"
        assert made["settings"]["telegram"] == NEW_TOKEN
        assert made["settings"]["telegram_chat_id"] == "-1001"
    changes = JournalEntry.objects.filter(action=JournalAction.HANDLER_CHANGED)
    assert changes.count() == 2
    entry = changes.first()
    client.post(reverse("journal_restore", args=[entry.connection_id, entry.pk]))
    api_key = next(key for connection, key in two if connection.pk == entry.connection_id)
    [made] = sandbox.handlers(api_key)
    assert made["settings"]["telegram"] == TOKEN


@pytest.mark.usefixtures("_immediate_tasks")
def test_an_editor_may_not_send_the_setups_secrets_to_another_teams_connection(
    team: Team, owner: User, editor: User, setup: SavedSetup, sandbox: Sandbox
) -> None:
    shop = Team.objects.create(name="Shop")
    for person in (owner, editor):
        Membership.objects.create(user=person, team=shop, role=Role.EDITOR)
    elsewhere, api_key = add_connection(shop, sandbox, "Shop live")
    apply(client_for(owner), setup, [elsewhere])
    setup_update(
        setup=setup,
        user=owner,
        name=setup.name,
        settings={"telegram": NEW_TOKEN, "telegram_chat_id": "-1001"},
    )

    page = client_for(editor).post(
        reverse("setup_used", args=[setup.team_id, setup.pk]), {"update": "1"}, follow=True
    )

    assert "Only an owner of the team" in page.text
    [made] = sandbox.handlers(api_key)
    assert made["settings"]["telegram"] == TOKEN
