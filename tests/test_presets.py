"""Saved set-ups: saving a handler's set-up in the team, the team's page of them, changing and
deleting one, adding a handler from one, and adding one to several connections at once."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from handlers_app import crypto
from handlers_app.models import (
    Connection,
    JournalAction,
    JournalEntry,
    Membership,
    Role,
    SavedSetup,
    Team,
)
from handlers_app.presets import setup_create
from handlers_app.sandbox import Fault, Sandbox
from handlers_app.selectors import budget_state
from handlers_app.views import presets as views
from tests.fake_destinations import allow_local, running_destination
from tests.helpers import client_for

TOKEN = "123456789:AAHsecret-bot-token-Zq8xW2vY7"
CHAT = "-1001234567890"
RU = {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9"}


def add_connection(team: Team, sandbox: Sandbox, name: str) -> tuple[Connection, str]:
    api_key = sandbox.add_account(seed=2)
    connection = Connection(team=team, name=name, base_url=sandbox.base_url)
    connection.set_api_key(api_key)
    connection.save()
    return connection, api_key


def telegram_of(sandbox: Sandbox, api_key: str) -> dict:
    return next(h for h in sandbox.handlers(api_key) if h["type"] == "telegram")


def new_handlers(sandbox: Sandbox, api_key: str, name: str) -> list[dict]:
    return [h for h in sandbox.handlers(api_key) if h["name"] == name]


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
def client(editor: User) -> Client:
    return client_for(editor)


# --- saving a handler as a set-up ----------------------------------------------------------------


def test_a_handler_is_saved_as_a_setup_with_its_secrets_sealed(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, editor: User
) -> None:
    handler = telegram_of(sandbox, api_key)
    url = reverse("setup_save", args=[connection.pk, handler["id"]])

    page = client.get(url)
    response = client.post(url, {"name": "Support bot"})

    assert handler["settings"]["telegram"] not in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == reverse("setup_list", args=[connection.team_id])
    saved = SavedSetup.objects.get()
    assert (saved.name, saved.type, saved.created_by) == ("Support bot", "telegram", editor)
    assert saved.settings == {
        "telegram": handler["settings"]["telegram"],
        "telegram_chat_id": handler["settings"]["telegram_chat_id"],
    }
    assert handler["settings"]["telegram"] not in saved.settings_encrypted
    entry = JournalEntry.objects.get(action=JournalAction.SETUP_SAVED)
    assert (entry.subject, entry.user, entry.team_id) == ("Support bot", editor, connection.team_id)
    assert {"field": "telegram", "setting": True, "secret": True, "set": True} in entry.changes


def test_saving_a_setup_sends_no_write(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    handler = telegram_of(sandbox, api_key)
    sandbox.clear_requests()

    client.post(reverse("setup_save", args=[connection.pk, handler["id"]]), {"name": "Bot"})

    assert [r.method for r in sandbox.requests if r.method != "GET"] == []


def test_the_lists_selection_is_saved_as_set_ups_each_under_its_own_name(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    records = sandbox.handlers(api_key)
    chosen = [next(h for h in records if h["type"] == t) for t in ("telegram", "slack", "twilio")]
    ids = ",".join(str(h["id"]) for h in chosen)
    url = reverse("setup_save_many", args=[connection.pk])
    page = " ".join(client.get(url, {"ids": ids}).content.decode().split())
    sandbox.clear_requests()

    response = client.post(url, {"ids": f"{ids},{ids}"})

    assert "These 2 handlers are saved as set-ups" in page
    assert "does not know this handler&#x27;s type" in page
    assert response.status_code == 302
    saved = {s.name: s for s in SavedSetup.objects.all()}
    for record in chosen[:2]:
        assert saved[record["name"]].type == record["type"]
        assert saved[record["name"]].settings.items() <= record["settings"].items()
    assert len(saved) == 2
    assert [r.method for r in sandbox.requests if r.method != "GET"] == []
    assert JournalEntry.objects.filter(action=JournalAction.SETUP_SAVED).count() == 2


def test_at_most_a_declared_number_of_handlers_are_saved_at_once(
    client: Client, connection: Connection, sandbox: Sandbox, monkeypatch
) -> None:
    monkeypatch.setattr(views, "SAVE_MAX_HANDLERS", 2)
    sandbox.clear_requests()

    response = client.get(reverse("setup_save_many", args=[connection.pk]), {"ids": "1,2,3"})

    assert response["Location"] == connection.get_absolute_url()
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Choose at most 2 handlers to save as set-ups at a time (you chose 3)."
    ]
    assert sandbox.requests == []


# --- the team's page of set-ups ------------------------------------------------------------------


def test_the_setups_page_shows_secrets_only_as_set(
    client: Client, setup: SavedSetup, team: Team, editor: User
) -> None:
    html = client.get(reverse("setup_list", args=[team.pk])).content.decode()

    assert "On-call Telegram" in html
    assert TOKEN not in html and TOKEN[-4:] not in html
    assert CHAT in html, "a chat ID is no secret: staff see which chat a bot posts to"
    assert html.count(">set</dd>") == 1
    assert f"Saved by {editor.username}" in html


def test_the_setups_page_speaks_russian(client: Client, setup: SavedSetup, team: Team) -> None:
    html = client.get(reverse("setup_list", args=[team.pk]), **RU).content.decode()

    assert "Сохранённые шаблоны" in html
    assert TOKEN not in html


def test_a_setup_no_key_reads_is_named_and_can_still_be_deleted(
    client: Client, setup: SavedSetup, team: Team, settings
) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [crypto.generate_key()]

    html = client.get(reverse("setup_list", args=[team.pk])).content.decode()
    edit = client.get(reverse("setup_edit", args=[team.pk, setup.pk]))
    deleted = client.post(reverse("setup_delete", args=[team.pk, setup.pk]))

    assert "can no longer be read" in html
    assert edit.status_code == 302
    assert deleted.status_code == 302
    assert not SavedSetup.objects.exists()


# --- changing and deleting -----------------------------------------------------------------------


def test_an_empty_secret_keeps_the_stored_one_and_the_journal_shows_no_value(
    client: Client, setup: SavedSetup, team: Team, editor: User
) -> None:
    url = reverse("setup_edit", args=[team.pk, setup.pk])
    page = client.get(url).content.decode()

    response = client.post(url, {"name": "Night bot", "telegram": "", "telegram_chat_id": "@night"})

    assert TOKEN not in page and TOKEN[-4:] not in page
    assert page.count("Set; leave empty to keep it.") == 1
    assert response.status_code == 302
    setup.refresh_from_db()
    assert setup.name == "Night bot"
    assert setup.settings == {"telegram": TOKEN, "telegram_chat_id": "@night"}
    assert setup.changed_by == editor
    entry = JournalEntry.objects.get(action=JournalAction.SETUP_CHANGED)
    assert entry.subject == "Night bot"
    assert entry.changes[0] == {
        "field": "name",
        "before": "On-call Telegram",
        "after": "Night bot",
    }
    assert entry.changes[1] == {
        "field": "telegram_chat_id",
        "setting": True,
        "before": CHAT,
        "after": "@night",
    }
    assert TOKEN not in str(entry.changes)


def test_a_new_secret_is_journalled_as_changed_without_its_value(
    client: Client, setup: SavedSetup, team: Team
) -> None:
    new_token = "987654321:AAHanother-token-Qw3"
    client.post(
        reverse("setup_edit", args=[team.pk, setup.pk]),
        {"name": setup.name, "telegram": new_token, "telegram_chat_id": CHAT},
    )

    setup.refresh_from_db()
    assert setup.settings["telegram"] == new_token
    entry = JournalEntry.objects.get(action=JournalAction.SETUP_CHANGED)
    assert entry.changes == [{"field": "telegram", "setting": True, "secret": True}]
    assert new_token not in str(entry.changes) and TOKEN not in str(entry.changes)


def test_a_bad_value_keeps_what_was_typed(client: Client, setup: SavedSetup, team: Team) -> None:
    response = client.post(
        reverse("setup_edit", args=[team.pk, setup.pk]),
        {"name": "Renamed", "telegram": "", "telegram_chat_id": "not a chat"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a numeric chat ID" in html
    assert 'value="Renamed"' in html
    setup.refresh_from_db()
    assert setup.name == "On-call Telegram"


def test_deleting_a_setup_is_journalled(
    client: Client, setup: SavedSetup, team: Team, editor: User
) -> None:
    url = reverse("setup_delete", args=[team.pk, setup.pk])
    confirm = client.get(url)

    response = client.post(url)

    assert "On-call Telegram" in confirm.content.decode()
    assert response.status_code == 302
    assert not SavedSetup.objects.exists()
    entry = JournalEntry.objects.get(action=JournalAction.SETUP_DELETED)
    assert (entry.subject, entry.user) == ("On-call Telegram", editor)


def test_the_journal_page_lists_setup_events_without_secrets(
    client: Client, setup: SavedSetup, team: Team
) -> None:
    client.post(reverse("setup_delete", args=[team.pk, setup.pk]))

    html = client.get(reverse("journal")).content.decode()

    assert "Set-up saved" in html and "Set-up deleted" in html
    assert "On-call Telegram" in html
    assert TOKEN not in html


# --- adding a handler from a set-up --------------------------------------------------------------


def test_the_create_page_fills_in_from_a_setup_without_its_secrets(
    client: Client, setup: SavedSetup, connection: Connection
) -> None:
    html = client.get(
        reverse("handler_new", args=[connection.pk]) + f"?setup={setup.pk}"
    ).content.decode()

    assert "Add from a saved set-up" in html
    assert 'value="On-call Telegram"' in html
    assert f'<input type="hidden" name="setup" value="{setup.pk}">' in html
    assert "Taken from “On-call Telegram”; leave empty to use it" in html
    assert "The secrets are copied from “On-call Telegram” on the server" in html
    assert "copied from “”" not in html
    assert TOKEN not in html and TOKEN[-4:] not in html
    assert f'value="{CHAT}"' in html


def test_a_handler_added_from_a_setup_gets_its_secret_on_the_server(
    client: Client, setup: SavedSetup, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    response = client.post(
        reverse("handler_new", args=[connection.pk]),
        {
            "setup": setup.pk,
            "name": "Bot for the shop",
            "type": "telegram",
            "telegram": "",
            "telegram_chat_id": CHAT,
        },
    )

    assert response.status_code == 302
    (added,) = new_handlers(sandbox, api_key, "Bot for the shop")
    assert added["settings"]["telegram"] == TOKEN
    assert added["settings"]["telegram_chat_id"] == CHAT
    used = JournalEntry.objects.get(action=JournalAction.SETUP_USED)
    assert (used.subject, used.handler_id, used.connection) == (
        "On-call Telegram",
        added["id"],
        connection,
    )
    assert JournalEntry.objects.filter(action=JournalAction.HANDLER_CREATED).count() == 1


def test_a_typed_secret_replaces_the_setups(
    client: Client, setup: SavedSetup, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    client.post(
        reverse("handler_new", args=[connection.pk]),
        {
            "setup": setup.pk,
            "name": "Own bot",
            "type": "telegram",
            "telegram": "111:AAHown-token",
            "telegram_chat_id": CHAT,
        },
    )

    (added,) = new_handlers(sandbox, api_key, "Own bot")
    assert added["settings"]["telegram"] == "111:AAHown-token"


def test_another_type_takes_nothing_from_the_setup(
    client: Client, setup: SavedSetup, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    response = client.post(
        reverse("handler_new", args=[connection.pk]),
        {"setup": setup.pk, "name": "Mail", "type": "email", "email": "ops@example.com"},
    )

    assert response.status_code == 302
    (added,) = new_handlers(sandbox, api_key, "Mail")
    assert TOKEN not in str(added["settings"])


def test_a_test_from_the_create_page_uses_the_setups_secret_without_showing_it(
    client: Client, team: Team, editor: User, connection: Connection, settings
) -> None:
    with running_destination() as destination:
        allow_local(settings, destination)
        hook = destination.url("/hook-Secret-9z")
        saved = setup_create(
            team=team, user=editor, name="Hook", type="webhook", settings={"webhook": hook}
        )
        typed = {"setup": saved.pk, "name": "Hook", "type": "webhook", "webhook": ""}

        response = client.post(reverse("handler_form_test", args=[connection.pk]), typed)

        assert [r.path for r in destination.received] == ["/hook-Secret-9z"]
    assert "Delivered." in response.text
    assert "hook-Secret-9z" not in response.text
    assert f'<input type="hidden" name="setup" value="{saved.pk}">' in response.text


@pytest.mark.parametrize("setup_id", ["²", "1" * 40, "abc"])
def test_a_setup_id_that_is_not_a_number_opens_the_plain_form(
    client: Client, connection: Connection, setup_id: str
) -> None:
    response = client.get(reverse("handler_new", args=[connection.pk]), {"setup": setup_id})

    assert response.status_code == 200
    assert 'name="setup" value=' not in response.text


def test_a_setup_of_a_team_the_person_does_not_edit_cannot_be_used(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    other = Team.objects.create(name="Elsewhere")
    foreign = setup_create(
        team=other,
        user=None,
        name="Theirs",
        type="telegram",
        settings={"telegram": TOKEN, "telegram_chat_id": CHAT},
    )
    sandbox.clear_requests()

    response = client.post(
        reverse("handler_new", args=[connection.pk]),
        {"setup": foreign.pk, "name": "Stolen", "type": "telegram", "telegram_chat_id": CHAT},
    )

    assert response.status_code == 404
    assert sandbox.requests == []


# --- adding a set-up to several connections ------------------------------------------------------


@pytest.fixture
def three(team: Team, editor: User, sandbox: Sandbox) -> list[tuple[Connection, str]]:
    """Three connections on three sandbox accounts; the third in another team of the editor,
    who owns the set-up's team, so that its secrets may go there (handlers_app.secret_flow)."""
    Membership.objects.filter(user=editor, team=team).update(role=Role.OWNER)
    second_team = Team.objects.create(name="Shop")
    Membership.objects.create(user=editor, team=second_team, role=Role.EDITOR)
    return [
        add_connection(team, sandbox, "Production"),
        add_connection(team, sandbox, "Staging"),
        add_connection(second_team, sandbox, "Shop live"),
    ]


def apply(client: Client, url: str, name: str, connections: list[Connection], **more: str):
    return client.post(url, {"name": name, "connections": [c.pk for c in connections], **more})


def test_a_setup_applied_to_three_connections_skips_the_one_that_already_has_it(
    client: Client,
    setup: SavedSetup,
    team: Team,
    three: list[tuple[Connection, str]],
    sandbox: Sandbox,
) -> None:
    (production, _), (staging, _), (shop, shop_key) = three
    sandbox.add_handler(
        shop_key,
        type="telegram",
        name="Shop alerts bot",
        settings={"telegram": "987654:other-token", "telegram_chat_id": CHAT},
    )
    sandbox.clear_requests()
    url = reverse("setup_apply", args=[team.pk, setup.pk])
    connections = [production, staging, shop]

    preview = apply(client, url, "On-call bot", connections).content.decode()

    assert [r for r in sandbox.requests if r.method != "GET"] == []
    plan = re.sub(r"\s+", " ", preview.split('id="apply-plan"')[1].split("</ul>")[0])
    for connection in (production, staging):
        assert re.search(rf"Will be added</span> <span[^>]*>{connection.name}</span>", plan)
    assert re.search(r"Skipped</span> <span[^>]*>Shop live</span>", plan)
    assert "already has a handler of this type sending to the same place: “Shop alerts bot”" in (
        preview
    )
    assert "Add to 2 connections" in preview
    assert 'value="On-call bot"' in preview

    done = apply(client, url, "On-call bot", connections, confirm="1").content.decode()

    assert "Added to 2 of 3 connections" in done
    assert "1 was skipped: it already had this handler." in done
    for _connection, api_key in three[:2]:
        (added,) = new_handlers(sandbox, api_key, "On-call bot")
        assert added["settings"]["telegram"] == TOKEN
        assert added["settings"]["telegram_chat_id"] == CHAT
        assert f"added as #{added['id']}" in done
    assert new_handlers(sandbox, shop_key, "On-call bot") == []
    assert "skipped, nothing sent" in done
    for connection, api_key in three:
        sent = [r for r in sandbox.requests if r.api_key == api_key]
        reads = [r for r in sent if r.method == "GET"]
        assert len(reads) == 1, "the preview's read is reused when adding"
        writes = [r for r in sent if r.method != "GET"]
        assert len(writes) == (0 if connection == shop else 1)
        assert budget_state(connection=connection).used == len(sent)
    assert TOKEN not in preview and TOKEN not in done
    assert JournalEntry.objects.filter(action=JournalAction.SETUP_USED).count() == 2
    assert JournalEntry.objects.filter(action=JournalAction.HANDLER_CREATED).count() == 2


def test_a_saved_setup_applied_to_three_connections_is_added_to_each(
    client: Client,
    setup: SavedSetup,
    team: Team,
    three: list[tuple[Connection, str]],
    sandbox: Sandbox,
) -> None:
    sandbox.clear_requests()
    url = reverse("setup_apply", args=[team.pk, setup.pk])
    page = client.get(url).content.decode()

    response = apply(client, url, "On-call bot", [c for c, _key in three], confirm="1")

    html = response.content.decode()
    assert all(c.name in page for c, _key in three)
    assert response.status_code == 200
    assert "Added to 3 of 3 connections" in html
    for _connection, api_key in three:
        (added,) = new_handlers(sandbox, api_key, "On-call bot")
        assert added["settings"]["telegram"] == TOKEN
        assert f"added as #{added['id']}" in html
        created = [r for r in sandbox.requests if r.method == "POST" and r.api_key == api_key]
        assert len(created) == 1, "each sent once, with the destination's own key"
    assert TOKEN not in html and TOKEN not in page
    assert page.count(">set</dd>") == 1
    assert JournalEntry.objects.filter(action=JournalAction.SETUP_USED).count() == 3
    assert JournalEntry.objects.filter(action=JournalAction.HANDLER_CREATED).count() == 3
    shop = JournalEntry.objects.get(action=JournalAction.SETUP_USED, team=team, connection=None)
    assert shop.connection_name == "", "the other team's connection is not named in this one"
    sent = JournalEntry.objects.get(action=JournalAction.SECRETS_SENT, team=team)
    assert sent.handler_name == "On-call Telegram"
    assert sent.user_id == setup.created_by_id, "the editor who added it"
    assert sent.changes == [
        {"field": "sent_to_connection", "after": "Shop live"},
        {"field": "sent_to_team", "after": "Shop"},
    ], "the set-up's team is told where its secrets went"


def test_a_second_confirm_of_the_same_choice_adds_nothing_more(
    client: Client,
    setup: SavedSetup,
    team: Team,
    three: list[tuple[Connection, str]],
    sandbox: Sandbox,
) -> None:
    url = reverse("setup_apply", args=[team.pk, setup.pk])
    connections = [c for c, _key in three]
    apply(client, url, "On-call bot", connections, confirm="1")

    again = apply(client, url, "On-call bot", connections, confirm="1").content.decode()

    assert "Added to 0 of 3 connections" in again
    assert "3 were skipped: they already had this handler." in again
    for _connection, api_key in three:
        assert len(new_handlers(sandbox, api_key, "On-call bot")) == 1


def test_a_connection_whose_handlers_cannot_be_read_is_named_and_gets_nothing(
    client: Client,
    setup: SavedSetup,
    team: Team,
    three: list[tuple[Connection, str]],
    sandbox: Sandbox,
) -> None:
    (production, _), (staging, staging_key), _shop = three
    staging.set_api_key("a-key-soclook-no-longer-knows")
    staging.save()
    url = reverse("setup_apply", args=[team.pk, setup.pk])

    preview = apply(client, url, "On-call bot", [production, staging]).content.decode()
    done = apply(client, url, "On-call bot", [production, staging], confirm="1").content.decode()

    assert "Cannot check" in preview
    assert "Its handlers could not be read to check, so nothing is sent to it" in preview
    assert "Add to 1 connection<" in preview
    assert "Added to 1 of 2 connections" in done
    assert "not added:" in done
    assert new_handlers(sandbox, staging_key, "On-call bot") == []
    (sent,) = [r for r in sandbox.requests if r.method == "POST"]
    assert sent.api_key != staging.api_key


def test_a_refusal_in_one_connection_does_not_stop_the_others(
    client: Client,
    setup: SavedSetup,
    team: Team,
    three: list[tuple[Connection, str]],
    sandbox: Sandbox,
) -> None:
    sandbox.add_fault(Fault(kind="json_500", method="POST"))

    response = apply(
        client,
        reverse("setup_apply", args=[team.pk, setup.pk]),
        "On-call bot",
        [c for c, _key in three],
        confirm="1",
    )

    html = response.content.decode()
    assert "Added to 2 of 3 connections" in html
    assert "not added:" in html
    added = [key for _c, key in three if new_handlers(sandbox, key, "On-call bot")]
    assert len(added) == 2
    assert JournalEntry.objects.filter(action=JournalAction.SETUP_USED).count() == 2


def test_a_mistake_keeps_the_name_and_the_connections_chosen(
    client: Client,
    setup: SavedSetup,
    team: Team,
    three: list[tuple[Connection, str]],
    sandbox: Sandbox,
) -> None:
    url = reverse("setup_apply", args=[team.pk, setup.pk])
    (production, _), (staging, _), _shop = three
    sandbox.clear_requests()

    no_name = apply(client, url, "", [production, staging], confirm="1").content.decode()
    no_choice = apply(client, url, "Night bot", [], confirm="1").content.decode()
    changed_mind = apply(client, url, "Night bot", [staging], edit="1").content.decode()

    assert "Please correct the following" in no_name
    for connection in (production, staging):
        assert re.search(rf'value="{connection.pk}"[^>]*checked', no_name)
    assert "Choose at least one connection." in no_choice
    assert 'value="Night bot"' in no_choice
    assert 'value="Night bot"' in changed_mind
    assert re.search(rf'value="{staging.pk}"[^>]*checked', changed_mind)
    assert not re.search(rf'value="{production.pk}"[^>]*checked', changed_mind)
    assert "apply-plan" not in changed_mind
    assert [r for r in sandbox.requests if r.method != "GET"] == []


def test_apply_refuses_a_connection_the_person_may_only_view(
    client: Client,
    setup: SavedSetup,
    team: Team,
    editor: User,
    connection: Connection,
    sandbox: Sandbox,
) -> None:
    watched = Team.objects.create(name="Watched")
    Membership.objects.create(user=editor, team=watched, role=Role.VIEWER)
    connection, _key = add_connection(watched, sandbox, "Not mine")
    sandbox.clear_requests()
    url = reverse("setup_apply", args=[team.pk, setup.pk])

    page = client.get(url).content.decode()
    response = apply(client, url, "Sneaky", [connection], confirm="1")

    assert "Not mine" not in page
    assert "Choose among the connections shown" in response.content.decode()
    assert sandbox.requests == []


def test_apply_is_limited_to_a_declared_number_of_connections(
    client: Client, setup: SavedSetup, team: Team, sandbox: Sandbox, monkeypatch
) -> None:
    chosen = [add_connection(team, sandbox, f"Account {n}")[0].pk for n in range(3)]
    sandbox.clear_requests()
    monkeypatch.setattr(views, "APPLY_MAX_CONNECTIONS", 2)

    response = client.post(
        reverse("setup_apply", args=[team.pk, setup.pk]),
        {"name": "Too many", "connections": chosen, "confirm": "1"},
    )

    html = response.content.decode()
    assert "at most 2 at a time" in html
    assert "Choose at most 2 connections at a time (you chose 3)." in html
    assert sandbox.requests == []


def test_the_apply_page_speaks_russian(
    client: Client, setup: SavedSetup, team: Team, connection: Connection
) -> None:
    html = client.get(reverse("setup_apply", args=[team.pk, setup.pk]), **RU).content.decode()

    assert "Показать, что будет добавлено" in html


# --- who may do it -------------------------------------------------------------------------------


def setup_routes(setup: SavedSetup, connection: Connection, handler_id: int) -> list[str]:
    team_id = setup.team_id
    return [
        reverse("setup_save", args=[connection.pk, handler_id]),
        reverse("setup_save_many", args=[connection.pk]) + f"?ids={handler_id}",
        reverse("setup_list", args=[team_id]),
        reverse("setup_edit", args=[team_id, setup.pk]),
        reverse("setup_delete", args=[team_id, setup.pk]),
        reverse("setup_apply", args=[team_id, setup.pk]),
        reverse("handler_new", args=[connection.pk]) + f"?setup={setup.pk}",
    ]


def test_a_viewer_is_refused_every_setup_action_with_nothing_sent(
    viewer: User, setup: SavedSetup, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    handler_id = telegram_of(sandbox, api_key)["id"]
    sealed = setup.settings_encrypted
    journal = JournalEntry.objects.count()
    sandbox.clear_requests()
    client = client_for(viewer)
    data = {
        "name": "Viewer's",
        "setup": setup.pk,
        "type": "telegram",
        "telegram_chat_id": CHAT,
        "connections": [connection.pk],
        "confirm": "1",
    }

    for url in setup_routes(setup, connection, handler_id):
        assert client.get(url).status_code == 403, url
        if not url.endswith("/setups/"):  # the list is only read
            assert client.post(url, data).status_code == 403, url

    assert sandbox.requests == []
    assert SavedSetup.objects.get().settings_encrypted == sealed
    assert JournalEntry.objects.count() == journal


def test_a_member_of_another_team_is_told_nothing_exists(
    stranger: User, setup: SavedSetup, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    handler_id = telegram_of(sandbox, api_key)["id"]
    sandbox.clear_requests()
    client = client_for(stranger)

    for url in setup_routes(setup, connection, handler_id):
        assert client.get(url).status_code == 404, url

    assert sandbox.requests == []


def test_a_setup_is_found_only_under_its_own_team(
    client: Client, setup: SavedSetup, editor: User
) -> None:
    mine = Team.objects.create(name="Mine too")
    Membership.objects.create(user=editor, team=mine, role=Role.EDITOR)

    response = client.get(reverse("setup_edit", args=[mine.pk, setup.pk]))

    assert response.status_code == 404


# --- key rotation --------------------------------------------------------------------------------


def test_key_rotation_re_encrypts_saved_setups(team: Team, editor: User, settings) -> None:
    old_key, new_key = crypto.generate_key(), crypto.generate_key()
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    setup = setup_create(
        team=team, user=editor, name="Bot", type="telegram", settings={"telegram": TOKEN}
    )
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    out = io.StringIO()

    call_command("rotate_encryption_keys", stdout=out, stderr=io.StringIO())

    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    setup.refresh_from_db()
    assert setup.settings == {"telegram": TOKEN}
    assert "all 1 read with the first key" in out.getvalue()


def test_key_rotation_names_a_saved_setup_no_key_reads(team: Team, editor: User, settings) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [crypto.generate_key()]
    setup = setup_create(team=team, user=editor, name="Lost bot", type="telegram", settings={})
    settings.FIELD_ENCRYPTION_KEYS = [crypto.generate_key()]
    err = io.StringIO()

    with pytest.raises(CommandError, match="cannot be read"):
        call_command("rotate_encryption_keys", "--check", stdout=io.StringIO(), stderr=err)

    assert f"Cannot read saved set-up #{setup.pk} (Lost bot), settings_encrypted" in err.getvalue()


def test_a_setup_outlives_the_person_who_saved_it(
    owner: User, setup: SavedSetup, team: Team
) -> None:
    User.objects.filter(username="egor").delete()

    html = client_for(owner).get(reverse("setup_list", args=[team.pk])).content.decode()

    assert "On-call Telegram" in html
    assert "Saved by someone no longer here" in html
