"""Where a stored secret may go (handlers_app.secret_flow), tried on every path that puts one into
a request, a file or another connection, for each kind of person: a secret stored for team A
reaches team B's connection, or a file, only by an owner of A; within A an editor may use it.
The sandbox records what each destination received; every allowed flow out of A is named in A's
journal. Paths: copy, adding a saved set-up (both ways), updating the handlers made from a set-up,
export, duplicate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from handlers_app.models import (
    Connection,
    JournalAction,
    JournalEntry,
    Membership,
    Role,
    SavedSetup,
    Team,
)
from handlers_app.presets import setup_create, setup_handler_added, setup_update
from handlers_app.sandbox import Sandbox
from tests.helpers import client_for, make_user
from tests.imports_support import IMMEDIATE

pytestmark = pytest.mark.django_db

BOT_TOKEN = "7391023344:AAFlowSecretTokenOfTeamA_0123456789ab"
CHAT = "-1007000000001"

# Each kind of person: their role in the source team A and in the destination team B.
PEOPLE: dict[str, tuple[Role | None, Role | None]] = {
    "editor of the source": (Role.EDITOR, Role.OWNER),
    "owner of the source": (Role.OWNER, Role.EDITOR),
    "owner of the destination only": (None, Role.OWNER),
    "owner of both": (Role.OWNER, Role.OWNER),
}


@dataclass
class World:
    a: Team
    b: Team
    source: Connection
    destination: Connection
    handler_id: int
    setup: SavedSetup
    sandbox: Sandbox
    a_key: str
    b_key: str

    def received_by_destination(self) -> bool:
        return any(BOT_TOKEN in h["settings"].values() for h in self.sandbox.handlers(self.b_key))

    def copies_in_source(self) -> int:
        return sum(BOT_TOKEN in h["settings"].values() for h in self.sandbox.handlers(self.a_key))


@pytest.fixture(autouse=True)
def _tasks_run_inline(settings) -> None:
    settings.TASKS = IMMEDIATE


@pytest.fixture
def world(sandbox: Sandbox) -> World:
    a, b = Team.objects.create(name="Agency A"), Team.objects.create(name="Own B")
    keeper = make_user("keeper")
    Membership.objects.create(user=keeper, team=a, role=Role.OWNER)
    a_key, b_key = sandbox.add_account(seed=0), sandbox.add_account(seed=0)
    source = Connection(team=a, name="A main", base_url=sandbox.base_url)
    source.set_api_key(a_key)
    source.save()
    destination = Connection(team=b, name="B own server", base_url=sandbox.base_url)
    destination.set_api_key(b_key)
    destination.save()
    handler = sandbox.add_handler(
        a_key,
        type="telegram",
        name="On-call bot",
        settings={"telegram": BOT_TOKEN, "telegram_chat_id": CHAT},
    )
    setup = setup_create(
        team=a,
        user=keeper,
        name="A's bot",
        type="telegram",
        settings={"telegram": BOT_TOKEN, "telegram_chat_id": CHAT},
    )
    return World(a, b, source, destination, handler["id"], setup, sandbox, a_key, b_key)


def person(world: World, kind: str) -> Client:
    user = make_user(kind.replace(" ", "-"))
    in_a, in_b = PEOPLE[kind]
    if in_a is not None:
        Membership.objects.create(user=user, team=world.a, role=in_a)
    if in_b is not None:
        Membership.objects.create(user=user, team=world.b, role=in_b)
    return client_for(user)


def copy(client: Client, world: World) -> None:
    client.post(
        reverse("handlers_copy", args=[world.source.pk]),
        {"ids": str(world.handler_id), "destination": world.destination.pk},
    )


def apply_setup(client: Client, world: World) -> None:
    client.post(
        reverse("setup_apply", args=[world.a.pk, world.setup.pk]),
        {"name": "A's bot", "connections": [world.destination.pk], "confirm": "1"},
    )


def create_from_setup(client: Client, world: World) -> None:
    client.post(
        reverse("handler_new", args=[world.destination.pk]),
        {
            "setup": world.setup.pk,
            "type": "telegram",
            "name": "A's bot",
            "telegram": "",
            "telegram_chat_id": CHAT,
        },
    )


PATHS: dict[str, Callable[[Client, World], None]] = {
    "copy to another connection": copy,
    "add a saved set-up to connections": apply_setup,
    "add from a saved set-up": create_from_setup,
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("kind", PEOPLE)
def test_a_secret_reaches_another_teams_connection_only_through_an_owner_of_its_team(
    world: World, path: str, kind: str
) -> None:
    client = person(world, kind)

    PATHS[path](client, world)

    allowed = PEOPLE[kind][0] == Role.OWNER
    assert world.received_by_destination() == allowed
    sent = JournalEntry.objects.filter(team=world.a, action=JournalAction.SECRETS_SENT)
    if allowed:
        entry = sent.get()
        assert entry.user_name == kind.replace(" ", "-")
        assert entry.handler_name in ("On-call bot", "A's bot")
        assert {c["field"]: c["after"] for c in entry.changes} == {
            "sent_to_connection": "B own server",
            "sent_to_team": "Own B",
        }
    else:
        assert not sent.exists()


@pytest.mark.parametrize("kind", PEOPLE)
def test_a_secret_reaches_a_file_only_through_an_owner_of_its_team(world: World, kind: str) -> None:
    client = person(world, kind)

    response = client.post(
        reverse("handler_export", args=[world.source.pk]),
        {"file_format": "json", "include_secrets": "1", "confirmed": "1"},
    )

    allowed = PEOPLE[kind][0] == Role.OWNER
    assert (BOT_TOKEN in response.content.decode("utf-8-sig")) == allowed
    exported = JournalEntry.objects.filter(
        team=world.a, action=JournalAction.HANDLERS_EXPORTED_WITH_SECRETS
    )
    assert exported.exists() == allowed


@pytest.mark.parametrize("kind", PEOPLE)
def test_within_its_team_an_editor_may_use_a_secret(world: World, kind: str) -> None:
    client = person(world, kind)

    client.post(
        reverse("handler_duplicate", args=[world.source.pk, world.handler_id]),
        # Sent to the same chat on purpose ("Add it anyway").
        {"name": "On-call bot, night", "telegram_chat_id": CHAT, "same_place_ok": "1"},
    )

    assert world.copies_in_source() == (2 if PEOPLE[kind][0] is not None else 1)
    assert not JournalEntry.objects.filter(action=JournalAction.SECRETS_SENT).exists()
    assert not world.received_by_destination()


def test_an_editor_is_not_offered_another_teams_connections_for_a_setup(world: World) -> None:
    client = person(world, "editor of the source")

    page = client.get(reverse("setup_apply", args=[world.a.pk, world.setup.pk])).content.decode()
    form = client.get(reverse("handler_new", args=[world.destination.pk])).content.decode()

    assert "B own server" not in page
    assert "only an owner of Agency A may add its set-ups there" in " ".join(page.split())
    assert "A&#x27;s bot" not in form and "A's bot" not in form


NEW_TOKEN = "7391023344:AAFlowSecretTokenChangedLater_98765ab"


@pytest.mark.parametrize("kind", PEOPLE)
def test_updating_the_handlers_made_from_a_setup_follows_the_same_rule(
    world: World, kind: str
) -> None:
    keeper = Membership.objects.get(team=world.a, role=Role.OWNER).user
    setup_handler_added(
        setup=world.setup,
        connection=world.destination,
        user=keeper,
        name="A's bot",
        type="telegram",
        settings=world.setup.settings,
    )
    setup_update(
        setup=world.setup,
        user=keeper,
        name=world.setup.name,
        settings={"telegram": NEW_TOKEN, "telegram_chat_id": CHAT},
    )
    sent_before = JournalEntry.objects.filter(action=JournalAction.SECRETS_SENT).count()
    client = person(world, kind)

    client.post(reverse("setup_used", args=[world.a.pk, world.setup.pk]), {"update": "1"})

    allowed = PEOPLE[kind][0] == Role.OWNER
    received = any(NEW_TOKEN in h["settings"].values() for h in world.sandbox.handlers(world.b_key))
    assert received == allowed
    sent = JournalEntry.objects.filter(action=JournalAction.SECRETS_SENT)
    assert sent.count() == sent_before + (1 if allowed else 0)
