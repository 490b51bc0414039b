"""What an attacker would try, and what stops it.

Cross-team access by id on every route, forged requests without a CSRF token, markup smuggled in
through a handler's name, a setting or a service error, an open redirect through `next`,
oversized and malformed input everywhere, and hunting for the API key or a handler's secrets in
pages, logs, error e-mails and the database.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.apps import apps
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.core import mail, serializers
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from handlers_app import urls as app_urls
from handlers_app.models import (
    Connection,
    Invitation,
    Job,
    JobAction,
    JobStatus,
    JournalEntry,
    Membership,
    Role,
    Team,
)
from handlers_app.presets import setup_create
from handlers_app.sandbox import catalog
from handlers_app.soclook.types import HANDLER_TYPES, get_handler_type
from handlers_app.views import connections as connection_views
from handlers_app.views import handler_forms
from tests.helpers import PASSWORD, client_for, make_user

HTMX = {"HX-Request": "true"}
HUGE = 10**20
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
BOT_TOKEN = "7000000001:AAHtyped-bot-token-that-must-stay-secret"


def routes() -> list[URLPattern]:
    return [p for p in app_urls.urlpatterns if isinstance(p, URLPattern)]


def id_routes() -> list[URLPattern]:
    """Every route that names an object by its number."""
    return [p for p in routes() if any(n.endswith("_id") for n in p.pattern.converters)]


@pytest.fixture
def ours(team: Team, owner: User, editor: User, connection: Connection, sandbox, api_key: str):
    """One of each of our team's objects, by id: what a stranger tries to reach."""
    handler = sandbox.handlers(api_key)[1]
    client_for(owner).post(
        reverse("handler_toggle", args=[connection.pk, handler["id"]]), {"is_enabled": "0"}
    )
    invitation = Invitation.objects.create(
        team=team,
        role=Role.EDITOR,
        token_hash="0" * 64,
        expires_at=timezone.now() + timedelta(days=1),
    )
    job = Job.objects.create(
        connection=connection, created_by=owner, action=JobAction.IMPORT, status=JobStatus.PREVIEW
    )
    setup = setup_create(
        team=team, user=owner, name="Ours", type="email", settings={"email": "ops@example.com"}
    )
    sandbox.clear_requests()
    return {
        "job_id": job.pk,
        "connection_id": connection.pk,
        "handler_id": handler["id"],
        "team_id": team.pk,
        "invitation_id": invitation.pk,
        "membership_id": Membership.objects.get(user=editor).pk,
        "entry_id": JournalEntry.objects.get(handler_id=handler["id"]).pk,
        "setup_id": setup.pk,
    }


def url_of(route: URLPattern, ids: dict[str, int]) -> str:
    names = route.pattern.converters
    missing = set(names) - set(ids)
    assert not missing, f"this test does not yet know how to fill {missing} in {route.name}"
    return reverse(route.name, kwargs={name: ids[name] for name in names})


def answers(client: Client, url: str) -> Iterator[tuple[str, int]]:
    for method in ("get", "post"):
        for headers in ({}, HTMX):
            yield method, getattr(client, method)(url, headers=headers).status_code


# --- cross-team access ---------------------------------------------------------------------------


def test_a_stranger_gets_404_on_every_route_of_another_team_and_nothing_reaches_soclook(
    ours: dict[str, int], stranger: User, sandbox
) -> None:
    client = client_for(stranger)
    for route in id_routes():
        url = url_of(route, ours)
        statuses = dict(answers(client, url))
        assert set(statuses.values()) <= {404, 405}, (route.name, statuses)
        assert 404 in statuses.values(), (route.name, statuses)
    assert sandbox.requests == []


def test_a_strangers_own_team_or_connection_does_not_open_our_objects(
    ours: dict[str, int], stranger: User, sandbox
) -> None:
    their_team = Membership.objects.get(user=stranger).team
    their_connection = Connection(team=their_team, name="Theirs", base_url=sandbox.base_url)
    their_connection.set_api_key(sandbox.add_account(seed=2))
    their_connection.save()
    mixed = {**ours, "team_id": their_team.pk, "connection_id": their_connection.pk}
    client = client_for(stranger)
    for name in (
        "invitation_withdraw",
        "member_role",
        "member_remove",
        "journal_restore",
        "handler_import_job",
        "handler_import_start",
        "handler_import_stop",
    ):
        url = url_of(next(r for r in routes() if r.name == name), mixed)
        statuses = dict(answers(client, url))
        assert set(statuses.values()) <= {404, 405}, (name, statuses)
    assert Invitation.objects.filter(pk=ours["invitation_id"]).exists()
    assert Membership.objects.filter(pk=ours["membership_id"], role=Role.EDITOR).exists()
    assert Job.objects.get(pk=ours["job_id"]).status == "preview"


def test_signed_out_visitors_are_sent_to_sign_in_from_every_route(
    ours: dict[str, int], sandbox
) -> None:
    for route in id_routes():
        response = Client().get(url_of(route, ours))
        assert response.status_code in (302, 405), route.name
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("login")), route.name
    assert sandbox.requests == []


# --- CSRF ----------------------------------------------------------------------------------------


def every_post_url(ids: dict[str, int]) -> list[str]:
    urls = [url_of(route, ids) for route in routes() if "token" not in route.pattern.converters]
    urls.append(reverse("invitation_accept", args=["a" * 43]))
    return [*urls, reverse("login"), reverse("logout"), reverse("set_language")]


def test_every_post_and_htmx_call_without_a_csrf_token_is_refused(
    ours: dict[str, int], owner: User, sandbox
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    before = sandbox.handlers(sandbox_key(sandbox, ours))
    for url in every_post_url(ours):
        for headers in ({}, HTMX, {**HTMX, "X-CSRFToken": "forged-token-value-0123456789abcdef"}):
            response = client.post(url, {"name": "Forged", "is_enabled": "1"}, headers=headers)
            assert response.status_code == 403, (url, headers)
    assert sandbox.requests == []
    assert sandbox.handlers(sandbox_key(sandbox, ours)) == before
    assert Team.objects.filter(name="Forged").count() == 0


def sandbox_key(sandbox, ours: dict[str, int]) -> str:
    return Connection.objects.get(pk=ours["connection_id"]).api_key


def test_an_htmx_call_with_the_pages_token_goes_through(
    ours: dict[str, int], owner: User, sandbox
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get(reverse("handler_list", args=[ours["connection_id"]]))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("handler_toggle", args=[ours["connection_id"], ours["handler_id"]]),
        {"is_enabled": "1"},
        headers={**HTMX, "X-CSRFToken": token},
    )
    assert response.status_code == 200


# --- markup from outside -------------------------------------------------------------------------


@pytest.fixture
def marked_up(connection: Connection, sandbox, api_key: str) -> dict[str, Any]:
    """Handlers whose name or settings hold markup, stored straight into the service."""
    return {
        "name": sandbox.add_handler(
            api_key, type="webhook", name=SCRIPT, settings={"webhook": "https://hooks.example/x"}
        ),
        "setting": sandbox.add_handler(
            api_key, type="email", name="Mail", settings={"email": f"{SCRIPT}@example.com"}
        ),
        "unknown": sandbox.add_handler(
            api_key, type=f"pager{SCRIPT}", name="Pager", settings={SCRIPT: SCRIPT}
        ),
    }


def assert_escaped(text: str, where: str) -> None:
    assert SCRIPT not in text, where
    assert "<script>alert" not in text, where


def test_markup_in_a_name_or_setting_is_shown_escaped_on_every_page(
    marked_up: dict[str, Any], connection: Connection, owner: User, sandbox
) -> None:
    client = client_for(owner)
    list_url = reverse("handler_list", args=[connection.pk])
    pages = {
        "list": client.get(list_url, {"results_per_page": 100}),
        "list, htmx": client.get(list_url, {"results_per_page": 100}, headers=HTMX),
        "search": client.get(list_url, {"search": SCRIPT}),
    }
    for key, handler in marked_up.items():
        pk = handler["id"]
        pages[f"edit {key}"] = client.get(reverse("handler_edit", args=[connection.pk, pk]))
        pages[f"delete {key}"] = client.get(reverse("handler_delete", args=[connection.pk, pk]))
        pages[f"toggle {key}"] = client.post(
            reverse("handler_toggle", args=[connection.pk, pk]), {"is_enabled": "0"}, headers=HTMX
        )
        pages[f"journal {key}"] = client.get(reverse("handler_journal", args=[connection.pk, pk]))
    pages["journal"] = client.get(reverse("journal"))
    pages["fields"] = client.get(reverse("handler_fields", args=[connection.pk]), {"type": SCRIPT})
    for where, response in pages.items():
        assert response.status_code == 200, where
        assert_escaped(response.text, where)
    assert ESCAPED in pages["list"].text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;@example.com" in pages["list"].text


def test_markup_in_a_service_error_title_is_shown_escaped(
    connection: Connection, editor: User, sandbox, api_key: str, monkeypatch
) -> None:
    monkeypatch.setattr(catalog, "TITLE_PLAN_LIMIT", f"{SCRIPT} Лимит тарифа исчерпан.")
    sandbox.set_plan_limit(api_key, "email", 0)
    url = reverse("handler_new", args=[connection.pk])
    data = {"name": "Ops", "type": "email", "email": "ops@example.com"}
    for headers in ({}, HTMX):
        response = client_for(editor).post(url, data, headers=headers)
        assert response.status_code == 200
        assert_escaped(response.text, str(headers))
        assert f"{ESCAPED} Лимит тарифа исчерпан." in response.text


# --- redirects -----------------------------------------------------------------------------------

OFF_SITE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "https:/evil.example/",
    "\\\\evil.example",
    "javascript:alert(1)",
    " https://evil.example/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_in_never_redirects_off_site(target: str, owner: User) -> None:
    response = Client().post(
        f"{reverse('login')}?next={requests.utils.quote(target)}",
        {"username": owner.username, "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_language_switch_and_list_forms_never_redirect_off_site(
    target: str, ours: dict[str, int], owner: User
) -> None:
    client = client_for(owner)
    language = client.post(reverse("set_language"), {"language": "ru", "next": target})
    assert language["Location"] == "/"
    list_url = reverse("handler_list", args=[ours["connection_id"]])
    for name in ("handler_toggle", "handler_delete"):
        response = client.post(
            reverse(name, args=[ours["connection_id"], ours["handler_id"]]),
            {"is_enabled": "1", "next": target},
        )
        assert response["Location"] == list_url, name


# --- oversized and malformed input ---------------------------------------------------------------


def test_every_route_answers_a_huge_or_unknown_id_without_a_server_error(
    ours: dict[str, int], owner: User
) -> None:
    client = client_for(owner)
    placeholder = 123_454_321
    for route in id_routes():
        for name in route.pattern.converters:
            for wrong in (HUGE, 2**63, 0, 987654):
                url = url_of(route, {**ours, name: placeholder})
                url = url.replace(str(placeholder), str(wrong))
                for method, status in answers(client, url):
                    assert status < 500, (route.name, name, wrong, method)
                    if wrong >= 2**63:
                        assert status == 404, (route.name, name, method)


LIST_PARAMETERS = [
    {"page": "-5"},
    {"page": "abc"},
    {"page": str(HUGE)},
    {"page": "1e9"},
    {"results_per_page": "7"},
    {"results_per_page": "100000"},
    {"is_enabled": "yes"},
    {"is_enabled": "3"},
    {"type": SCRIPT},
    {"order_by": "id; DROP TABLE"},
    {"order_type": "sideways"},
    {"search": "x" * 100_000},
    {"search": "\x00\x01"},
    {"page": ["1", "2"], "type": ["email", "slack"]},
]


@pytest.mark.parametrize("params", LIST_PARAMETERS)
def test_malformed_list_parameters_fall_back_to_defaults(
    params: dict[str, Any], connection: Connection, viewer: User, sandbox
) -> None:
    response = client_for(viewer).get(reverse("handler_list", args=[connection.pk]), params)
    assert response.status_code == 200
    assert "could not be loaded" not in response.text
    for sent in sandbox.requests:
        assert sent.query.get("results_per_page") in ("10", "25", "50", "100", "250", "500", "1000")
        assert len(sent.query.get("search", "")) <= 128


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{"page": "x"}, {"date_from": "31.02.2026"}, {"team": "x" * 9}])
def test_malformed_journal_filters_answer_without_a_server_error(
    params: dict[str, str], owner: User
) -> None:
    response = client_for(owner).get(reverse("journal"), {**params, "handler": "y" * 10_000})
    assert response.status_code == 200


TOO_LONG = "x" * 100_000
AT_MOST = "Ensure this value has at most"
NULL = "Null characters are not allowed."
# The handler forms say it in plain words (handlers_app.soclook.types.fields).
UNSTORABLE = "This holds a character that cannot be stored"


def form_cases(ours: dict[str, int]) -> list[tuple[str, dict[str, Any], str]]:
    connection, handler = ours["connection_id"], ours["handler_id"]
    team = ours["team_id"]
    long_handler = {"name": TOO_LONG, "type": "webhook", "webhook": "https://e.example/" + TOO_LONG}
    return [
        (reverse("handler_new", args=[connection]), long_handler, AT_MOST),
        (
            reverse("handler_new", args=[connection]),
            {"name": "a\x00b", "type": "email"},
            UNSTORABLE,
        ),
        (reverse("handler_new", args=[connection]), {"name": "A", "type": TOO_LONG}, "Choose"),
        (reverse("handler_edit", args=[connection, handler]), long_handler, AT_MOST),
        (
            reverse("handler_edit", args=[connection, handler]),
            {"name": "A", "type": "email", "email": "not an address\x00"},
            UNSTORABLE,
        ),
        (
            reverse("connection_new"),
            {"name": TOO_LONG, "base_url": "javascript:alert(1)", "api_key": TOO_LONG},
            AT_MOST,
        ),
        (
            reverse("connection_edit", args=[connection]),
            {"name": "N", "base_url": "http://" + "a" * 400 + ".example/api/", "api_key": ""},
            AT_MOST,
        ),
        (reverse("team_new"), {"name": TOO_LONG}, AT_MOST),
        (reverse("team_edit", args=[team]), {"name": "\x00"}, NULL),
        (reverse("invitation_new", args=[team]), {"role": TOO_LONG, "valid_for": "x"}, "valid"),
        (
            reverse("member_role", args=[team, ours["membership_id"]]),
            {"role": "superuser"},
            "Choose one of the roles.",
        ),
    ]


def test_oversized_and_malformed_form_input_gets_a_clear_error_and_changes_nothing(
    ours: dict[str, int], owner: User, sandbox
) -> None:
    client = client_for(owner)
    teams = list(Team.objects.values_list("name", flat=True))
    for url, data, expected in form_cases(ours):
        for headers in ({}, HTMX):
            response = client.post(url, data, headers=headers)
            assert response.status_code in (200, 302), (url, data.keys())
            shown = response.text + "".join(str(m) for m in get_messages(response.wsgi_request))
            assert expected in shown, (url, data.keys(), headers)
    assert [r for r in sandbox.requests if r.method != "GET"] == []
    assert list(Team.objects.values_list("name", flat=True)) == teams
    assert Membership.objects.get(pk=ours["membership_id"]).role == Role.EDITOR


def test_a_sign_in_with_a_huge_name_is_refused_plainly(db: None) -> None:
    response = Client().post(
        reverse("login"),
        {"username": TOO_LONG, "password": TOO_LONG},
        headers={"User-Agent": TOO_LONG, "Accept": TOO_LONG},
    )
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.text


@pytest.mark.django_db
def test_a_request_body_over_the_upload_limit_is_a_bad_request_not_a_crash(owner: User) -> None:
    client = client_for(owner)
    client.raise_request_exception = False
    response = client.post(reverse("team_new"), {"name": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 400


# --- the key and secrets stay out of sight -------------------------------------------------------


def secrets_of(sandbox, api_key: str) -> set[str]:
    """Every secret the account's handlers hold, long enough not to match by chance."""
    found = {api_key}
    for record in sandbox.handlers(api_key):
        handler_type = get_handler_type(record["type"], settings_keys=record["settings"])
        for spec in handler_type.fields:
            value = str(record["settings"].get(spec.name) or "")
            if spec.secret and len(value) >= 8:
                found.add(value)
    return found


def visit_everything(client: Client, connection: Connection, sandbox, api_key: str) -> list[str]:
    """Every page a member can open, the CSV export and the htmx fragments included."""
    pk = connection.pk
    list_url = reverse("handler_list", args=[pk])
    pages = [
        client.get("/"),
        client.get(list_url, {"results_per_page": 100}),
        client.get(list_url, {"results_per_page": 100}, headers=HTMX),
        client.get(reverse("connection_edit", args=[pk])),
        client.get(reverse("handler_new", args=[pk])),
        client.get(reverse("handler_import", args=[pk])),
        client.get(reverse("journal")),
        client.get(reverse("journal"), {"format": "csv"}),
        client.get(reverse("team_detail", args=[connection.team_id])),
        client.get(reverse("ops")),
    ]
    seen_types: set[str] = set()
    for record in sandbox.handlers(api_key):
        handler_id, type_ = record["id"], record["type"]
        pages.append(client.get(reverse("handler_fields", args=[pk]), {"type": type_}))
        if type_ in seen_types:
            continue
        seen_types.add(type_)
        pages += [
            client.get(reverse("handler_edit", args=[pk, handler_id])),
            client.get(
                reverse("handler_edit_fields", args=[pk, handler_id]),
                {"type": type_, "stored_type": type_},
                headers=HTMX,
            ),
            client.get(reverse("handler_delete", args=[pk, handler_id]), headers=HTMX),
            client.get(reverse("handler_journal", args=[pk, handler_id])),
        ]
    for entry in JournalEntry.objects.exclude(snapshot_encrypted=""):
        pages.append(client.get(reverse("journal_restore", args=[pk, entry.pk])))
    for response in pages:
        assert response.status_code == 200, response.wsgi_request.get_full_path()
    return [response.content.decode() for response in pages]


def make_changes(client: Client, connection: Connection, sandbox, api_key: str) -> None:
    """A create, an edit of each secret-holding type, a switch and a delete: journal entries."""
    pk = connection.pk
    client.post(
        reverse("handler_new", args=[pk]),
        {"name": "Bot", "type": "telegram", "telegram": BOT_TOKEN, "telegram_chat_id": "-100123"},
    )
    edited: set[str] = set()
    for record in sandbox.handlers(api_key):
        if record["type"] in HANDLER_TYPES and record["type"] not in edited | {"email"}:
            edited.add(record["type"])
            client.post(
                reverse("handler_edit", args=[pk, record["id"]]),
                {"name": record["name"] + " (renamed)", "type": record["type"]},
            )
    first, second = sandbox.handlers(api_key)[:2]
    client.post(reverse("handler_toggle", args=[pk, first["id"]]), {"is_enabled": "0"})
    client.post(reverse("handler_delete", args=[pk, second["id"]]))


@pytest.fixture
def busy_account(connection: Connection, owner: User, sandbox, api_key: str) -> set[str]:
    """An account after a round of changes through the dashboard; returns its secrets."""
    owner.is_staff = True
    owner.save()
    make_changes(client_for(owner), connection, sandbox, api_key)
    actions = set(JournalEntry.objects.values_list("action", flat=True))
    assert actions >= {"handler_created", "handler_changed", "handler_disabled", "handler_deleted"}
    return secrets_of(sandbox, api_key) | {BOT_TOKEN}


def test_the_key_and_secrets_appear_on_no_page(
    busy_account: set[str], connection: Connection, owner: User, sandbox, api_key: str
) -> None:
    for text in visit_everything(client_for(owner), connection, sandbox, api_key):
        for secret in busy_account:
            assert secret not in text


def test_the_key_and_secrets_appear_in_no_log_line(
    connection: Connection, owner: User, sandbox, api_key: str, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    owner.is_staff = True
    owner.save()
    client = client_for(owner)
    make_changes(client, connection, sandbox, api_key)
    visit_everything(client, connection, sandbox, api_key)
    secrets = secrets_of(sandbox, api_key) | {BOT_TOKEN}
    assert caplog.records
    for record in caplog.records:
        logged = record.getMessage() + json.dumps(vars(record), default=repr)
        for secret in secrets:
            assert secret not in logged, record.name


@pytest.mark.parametrize("where", ["connection", "handler"])
def test_an_error_e_mail_to_the_admins_holds_no_key_or_secret(
    where: str, connection: Connection, owner: User, settings, monkeypatch
) -> None:
    settings.ADMINS = ["ops@example.com"]

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("boom")

    client = client_for(owner)
    client.raise_request_exception = False
    if where == "connection":
        monkeypatch.setattr(connection_views, "connection_save", broken)
        typed = "typed-api-key-0123456789abcdef"
        response = client.post(
            reverse("connection_new"),
            {"name": "N", "base_url": "https://api.example/api/", "api_key": typed},
        )
    else:
        monkeypatch.setattr(handler_forms, "handler_create", broken)
        typed = BOT_TOKEN
        response = client.post(
            reverse("handler_new", args=[connection.pk]),
            {"name": "Bot", "type": "telegram", "telegram": typed, "telegram_chat_id": "-1001"},
        )

    assert response.status_code == 500
    (email,) = mail.outbox
    body = email.body + email.subject + "".join(str(a) for a in email.alternatives)
    assert "RuntimeError" in body, "the report itself is there"
    for secret in (
        typed,
        connection.api_key,
        settings.SECRET_KEY,
        *settings.FIELD_ENCRYPTION_KEYS,
        client.cookies["sessionid"].value,
    ):
        assert secret not in body


def test_the_database_holds_no_key_or_secret_in_plaintext(
    busy_account: set[str], connection: Connection, owner: User, sandbox, api_key: str
) -> None:
    visit_everything(client_for(owner), connection, sandbox, api_key)
    dumped = [
        serializers.serialize("json", model._default_manager.all()) for model in apps.get_models()
    ]
    sessions = [
        json.dumps(SessionBase().decode(session.session_data), default=repr)
        for session in Session.objects.all()
    ]
    everything = "\n".join(dumped + sessions)
    assert JournalEntry.objects.exists() and Connection.objects.exists()
    for secret in busy_account:
        assert secret not in everything
        assert json.dumps(secret)[1:-1] not in everything


def test_a_stranger_signing_up_through_a_made_up_invitation_gets_a_plain_refusal(
    db: None,
) -> None:
    make_user("someone")
    for token in ("a" * 43, "<img src=x onerror=alert(1)>", "x" * 5000):
        response = Client().get(reverse("invitation_accept", args=[token]), follow=True)
        assert response.status_code in (200, 404)
        assert "<img src=x" not in response.content.decode()
