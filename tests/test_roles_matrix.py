"""Every route and method of the dashboard against every kind of visitor.

A stranger (in another team) gets 404 for a team's URLs, a member without the role 403, an
anonymous visitor the sign-in page (htmx requests by HX-Redirect); in all of those the Soclook
API receives nothing. The members who may act get their page or their change, and the service
receives exactly the write the action stands for. A route added to handlers_app/urls.py must be
added to ROUTES: test_the_matrix_covers_every_route fails until it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import Enum

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from handlers_app.journal.recording import record_handler_changed
from handlers_app.models import (
    Connection,
    Job,
    JobAction,
    JobStatus,
    JournalEntry,
    Membership,
    Role,
    SavedSetup,
    Team,
)
from handlers_app.selectors import handler_get
from handlers_app.teams import invitation_create
from handlers_app.urls import urlpatterns
from tests.helpers import make_user


class Needs(Enum):
    PUBLIC = "anyone, signed in or not"
    SIGNED_IN = "anyone signed in"
    VIEWER = "a member of the team"
    EDITOR = "an editor or owner of the team"
    OWNER = "an owner of the team"
    STAFF = "an operator (is_staff)"


@dataclass
class World:
    team: Team
    connection: Connection
    handler_id: int
    colleague: Membership
    invitation_id: int
    token: str
    entry_id: int
    base_url: str
    api_key: str
    # A webhook to this machine, which the test-send guard refuses: its tests go nowhere.
    local_webhook_id: int


type Args = Callable[[World], list[object]]
type Data = Callable[[World], dict[str, str]]


@dataclass(frozen=True)
class Route:
    name: str
    args: Args
    needs: Needs
    methods: tuple[str, ...] = ("GET",)
    query: str = ""
    data: Data = lambda world: {}
    # What Soclook must receive when an allowed POST succeeds: (method, path).
    sends: Callable[[World], list[tuple[str, str]]] = lambda world: []
    # A fixed answer for everyone, whatever the role.
    always: int | None = None
    # Who, beyond the rule, is allowed anyway (a stranger may add a connection to their team).
    also_allowed: frozenset[str] = field(default_factory=frozenset)


def no_args(world: World) -> list[object]:
    return []


def conn(world: World) -> list[object]:
    return [world.connection.pk]


def handler(world: World) -> list[object]:
    return [world.connection.pk, world.handler_id]


def team(world: World) -> list[object]:
    return [world.team.pk]


def import_job(world: World) -> list[object]:
    job = Job.objects.create(
        connection=world.connection, action=JobAction.IMPORT, status=JobStatus.FINISHED
    )
    return [world.connection.pk, job.pk]


def saved_setup(world: World) -> list[object]:
    # Stored directly: saving through the service would add a journal entry of its own.
    setup = SavedSetup(team=world.team, name="Matrix bot", type="telegram")
    setup.set_settings({"telegram": "123:AAHmatrix", "telegram_chat_id": "-100123"})
    setup.save()
    return [world.team.pk, setup.pk]


def bulk_job(world: World) -> list[object]:
    job = Job.objects.create(
        connection=world.connection, action=JobAction.DISABLE, status=JobStatus.FINISHED
    )
    return [world.connection.pk, job.pk]


LOCAL_HOOK = "http://127.0.0.1:9/matrix-hook"


def item_path(world: World) -> str:
    return f"/api/notification-handlers/{world.handler_id}"


ROUTES: list[Route] = [
    Route("home", no_args, Needs.SIGNED_IN),
    Route("first_admin", no_args, Needs.PUBLIC, methods=("GET", "POST"), always=404),
    Route("healthz", no_args, Needs.PUBLIC),
    Route("ops", no_args, Needs.STAFF),
    Route(
        "connection_new",
        no_args,
        Needs.OWNER,
        methods=("GET", "POST"),
        data=lambda w: {"name": "Second", "base_url": w.base_url, "api_key": w.api_key},
        sends=lambda w: [("GET", "/api/notification-handlers/")],
        also_allowed=frozenset({"stranger"}),
    ),
    Route(
        "connection_edit",
        conn,
        Needs.OWNER,
        methods=("GET", "POST"),
        data=lambda w: {"name": "Renamed", "base_url": w.base_url, "api_key": ""},
        sends=lambda w: [("GET", "/api/notification-handlers/")],
    ),
    Route("connection_delete", conn, Needs.OWNER, methods=("GET", "POST")),
    Route("handler_list", conn, Needs.VIEWER),
    Route(
        "handler_new",
        conn,
        Needs.EDITOR,
        methods=("GET", "POST"),
        data=lambda w: {"name": "Matrix mail", "type": "email", "email": "matrix@example.com"},
        sends=lambda w: [("POST", "/api/notification-handlers")],
    ),
    Route("handler_fields", conn, Needs.EDITOR, query="?type=email"),
    Route(
        "handler_edit",
        handler,
        Needs.EDITOR,
        methods=("GET", "POST"),
        # The chat ID is not a secret, so the form sends it back as it shows it.
        data=lambda w: {
            "name": "Renamed by the matrix",
            "type": "telegram",
            "telegram_chat_id": "-1001234567890",
        },
        sends=lambda w: [("POST", item_path(w))],
    ),
    Route("handler_edit_fields", handler, Needs.EDITOR, query="?type=slack"),
    Route(
        "handler_duplicate",
        handler,
        Needs.EDITOR,
        methods=("GET", "POST"),
        # The chat ID is no secret: the form carries it, prefilled from the source.
        data=lambda w: {"name": "Copy made by the matrix", "telegram_chat_id": "-1001234567890"},
        sends=lambda w: [("POST", "/api/notification-handlers")],
    ),
    # With no other connection to copy to, the page offers none and nothing is written.
    Route(
        "handlers_copy",
        conn,
        Needs.EDITOR,
        methods=("GET", "POST"),
        query="?ids=1,2",
        data=lambda w: {"ids": str(w.handler_id)},
    ),
    Route(
        "handler_toggle",
        handler,
        Needs.EDITOR,
        methods=("POST",),
        data=lambda w: {"is_enabled": "0"},
        sends=lambda w: [("POST", item_path(w))],
    ),
    Route("handler_more", handler, Needs.EDITOR),
    Route(
        "handler_delete",
        handler,
        Needs.EDITOR,
        methods=("GET", "POST"),
        sends=lambda w: [("DELETE", item_path(w))],
    ),
    Route(
        "handler_form_test",
        conn,
        Needs.EDITOR,
        methods=("POST",),
        data=lambda w: {"name": "Matrix test", "type": "webhook", "webhook": LOCAL_HOOK},
    ),
    Route(
        "handler_edit_test",
        handler,
        Needs.EDITOR,
        methods=("POST",),
        data=lambda w: {"name": "Matrix test", "type": "webhook", "webhook": LOCAL_HOOK},
    ),
    Route(
        "handler_test",
        lambda w: [w.connection.pk, w.local_webhook_id],
        Needs.EDITOR,
        methods=("POST",),
    ),
    Route("handler_journal", handler, Needs.VIEWER),
    Route(
        "journal_restore",
        lambda w: [w.connection.pk, w.entry_id],
        Needs.EDITOR,
        methods=("GET", "POST"),
        sends=lambda w: [("POST", item_path(w))],
    ),
    Route("journal", no_args, Needs.SIGNED_IN),
    Route(
        "team_new",
        no_args,
        Needs.SIGNED_IN,
        methods=("GET", "POST"),
        data=lambda w: {"name": "Matrix team"},
    ),
    Route("team_detail", team, Needs.VIEWER),
    Route(
        "team_edit",
        team,
        Needs.OWNER,
        methods=("GET", "POST"),
        data=lambda w: {"name": "Renamed team"},
    ),
    Route(
        "invitation_new",
        team,
        Needs.OWNER,
        methods=("POST",),
        data=lambda w: {"role": "viewer", "valid_for": "7"},
    ),
    Route(
        "invitation_withdraw",
        lambda w: [w.team.pk, w.invitation_id],
        Needs.OWNER,
        methods=("POST",),
    ),
    Route(
        "member_role",
        lambda w: [w.team.pk, w.colleague.pk],
        Needs.OWNER,
        methods=("POST",),
        data=lambda w: {"role": "editor"},
    ),
    Route(
        "member_remove",
        lambda w: [w.team.pk, w.colleague.pk],
        Needs.OWNER,
        methods=("GET", "POST"),
    ),
    Route("invitation_accept", lambda w: [w.token], Needs.PUBLIC),
    # Without an invitation link opened in the session there is nothing to join.
    Route("invitation_join", no_args, Needs.PUBLIC, methods=("GET", "POST"), always=404),
    Route(
        "handler_export",
        conn,
        Needs.EDITOR,
        methods=("GET", "POST"),
        query="?type=telegram",
        data=lambda w: {"file_format": "json"},
    ),
    Route(
        "setup_save",
        handler,
        Needs.EDITOR,
        methods=("GET", "POST"),
        data=lambda w: {"name": "Matrix set-up"},
    ),
    Route(
        "setup_save_many",
        conn,
        Needs.EDITOR,
        methods=("GET", "POST"),
        data=lambda w: {"ids": str(w.handler_id)},
    ),
    Route("setup_list", team, Needs.EDITOR),
    Route(
        "setup_edit",
        saved_setup,
        Needs.EDITOR,
        methods=("GET", "POST"),
        data=lambda w: {"name": "Renamed set-up", "telegram": "", "telegram_chat_id": ""},
    ),
    Route("setup_delete", saved_setup, Needs.EDITOR, methods=("GET", "POST")),
    Route(
        "setup_apply",
        saved_setup,
        Needs.EDITOR,
        methods=("GET", "POST"),
        data=lambda w: {"name": "Matrix bot", "connections": str(w.connection.pk), "confirm": "1"},
        sends=lambda w: [("POST", "/api/notification-handlers")],
    ),
    Route("handler_import", conn, Needs.EDITOR, methods=("GET", "POST")),
    Route("handler_import_template", conn, Needs.EDITOR),
    Route("handler_import_job", import_job, Needs.EDITOR),
    Route("handler_import_start", import_job, Needs.EDITOR, methods=("POST",)),
    Route("handler_import_stop", import_job, Needs.EDITOR, methods=("POST",)),
    Route(
        "handler_bulk",
        conn,
        Needs.EDITOR,
        methods=("GET", "POST"),
        data=lambda w: {"action": "delete", "ids": str(w.handler_id)},
        sends=lambda w: [("DELETE", item_path(w))],
    ),
    Route("handler_bulk_job", bulk_job, Needs.EDITOR),
    Route("handler_bulk_cancel", bulk_job, Needs.EDITOR, methods=("POST",)),
]

VISITORS = ["anonymous", "anonymous-htmx", "stranger", "viewer", "editor", "owner"]


def expected(route: Route, visitor: str) -> str:
    """ "allowed", "login", or the status code of a refusal, as text."""
    if route.always is not None:
        return str(route.always)
    if visitor in route.also_allowed:
        return "allowed"
    if visitor.startswith("anonymous"):
        return "allowed" if route.needs is Needs.PUBLIC else "login"
    if route.needs in (Needs.PUBLIC, Needs.SIGNED_IN):
        return "allowed"
    if route.needs is Needs.STAFF:
        return "403"
    if visitor == "stranger":
        return "404"
    rank = {"viewer": Role.VIEWER, "editor": Role.EDITOR, "owner": Role.OWNER}[visitor]
    needed = {Needs.VIEWER: Role.VIEWER, Needs.EDITOR: Role.EDITOR, Needs.OWNER: Role.OWNER}
    return "allowed" if rank.allows(needed[route.needs]) else "403"


CASES = [
    pytest.param(route, method, visitor, id=f"{route.name}-{method}-{visitor}")
    for route in ROUTES
    for method in route.methods
    for visitor in VISITORS
]


@pytest.fixture
def world(
    sandbox,
    api_key: str,
    team: Team,
    owner: User,
    editor: User,
    viewer: User,
    stranger: User,
    connection: Connection,
) -> World:
    colleague = Membership.objects.create(user=make_user("vasya"), team=team, role=Role.VIEWER)
    handler_id = next(h["id"] for h in sandbox.handlers(api_key) if h["type"] == "telegram")
    current = handler_get(connection=connection, handler_id=handler_id)
    entry = record_handler_changed(
        connection=connection,
        user=editor,
        before=replace(current, name="The name before the mistake"),
        after=current,
    )
    invitation, token = invitation_create(
        team=team, user=owner, role=Role.VIEWER, valid_for=timedelta(days=7)
    )
    local_webhook = sandbox.add_handler(
        api_key, type="webhook", name="Local hook", settings={"webhook": LOCAL_HOOK}
    )
    sandbox.clear_requests()
    return World(
        team=team,
        connection=connection,
        handler_id=handler_id,
        colleague=colleague,
        invitation_id=invitation.pk,
        token=token,
        entry_id=entry.pk,
        base_url=sandbox.base_url,
        api_key=api_key,
        local_webhook_id=local_webhook["id"],
    )


def client_as(visitor: str) -> Client:
    client = Client()
    if not visitor.startswith("anonymous"):
        username = {"stranger": "stas", "viewer": "vera", "editor": "egor", "owner": "olga"}
        client.force_login(User.objects.get(username=username[visitor]))
    return client


def test_the_matrix_covers_every_route() -> None:
    registered = {pattern.name for pattern in urlpatterns}
    assert registered - {route.name for route in ROUTES} == set()


@pytest.mark.parametrize(("route", "method", "visitor"), CASES)
def test_each_visitor_gets_what_their_role_allows(
    route: Route, method: str, visitor: str, world: World, sandbox
) -> None:
    if route.name not in {pattern.name for pattern in urlpatterns}:
        pytest.skip(f"{route.name} is not registered yet")
    url = reverse(route.name, args=route.args(world)) + route.query
    headers = {}
    if visitor.endswith("htmx"):
        headers = {"HX-Request": "true", "HX-Current-URL": "http://testserver/somewhere/"}
    client = client_as(visitor)
    if method == "POST":
        response = client.post(url, route.data(world), headers=headers)
    else:
        response = client.get(url, headers=headers)
    outcome = expected(route, visitor)
    received = [(r.method, r.path) for r in sandbox.requests]

    if outcome == "allowed":
        assert response.status_code in (200, 302), response.status_code
        writes = [r for r in received if r[0] != "GET"]
        if method == "POST":
            for sent in route.sends(world):
                assert sent in received
            assert writes == [s for s in route.sends(world) if s[0] != "GET"]
        else:
            assert writes == []
        return

    assert received == []
    if outcome == "login":
        if visitor.endswith("htmx"):
            assert response.status_code == 200
            assert response["HX-Redirect"] == "/accounts/login/?next=/somewhere/"
        else:
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/?next=")
    else:
        assert response.status_code == int(outcome)
    assert (
        not JournalEntry.objects.exclude(pk=world.entry_id)
        .exclude(action="invitation_created")
        .exists()
    )
