"""An invitation link's token is written by no log and carried by no later request.

Opening the link puts the token's hash into the session and redirects to /join/, so every
later step (the page, its forms, the sign-in link, a refusal) is token-free. The first request
still has the token in its path: the project's log handlers, its error e-mails and gunicorn's
access log as `make prod` runs it all hide it, and so for any other route with a token in its
path (Django's password-reset links).
"""

from __future__ import annotations

import io
import logging
import runpy
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.backends.cached_db import SessionStore
from django.core import mail
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import DatabaseError, close_old_connections
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from gunicorn.config import Config

from handlers_app.models import Invitation, Role, Team
from handlers_app.observability import hide_link_tokens
from handlers_app.teams import invitation_create
from tests.helpers import client_for

ROOT = Path(__file__).resolve().parent.parent
JOIN = reverse("invitation_join")
PASSWORD = "a-long-and-unusual-passphrase-42"


@pytest.fixture
def token(owner: User, team: Team) -> str:
    _invitation, token = invitation_create(
        team=team, user=owner, role=Role.EDITOR, valid_for=timedelta(days=7)
    )
    return token


def link(token: str) -> str:
    return reverse("invitation_accept", args=[token])


@pytest.fixture
def written_log() -> Iterator[io.StringIO]:
    """What the project's own log handler writes (its filters and format), for every logger."""
    (handler,) = (h for h in logging.getLogger("django").handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


# --- the token leaves the address at once -------------------------------------------------------


def test_opening_a_link_moves_its_token_into_the_session_and_on_to_a_token_free_address(
    token: str,
) -> None:
    client = Client()
    response = client.get(link(token))

    assert response.status_code == 302
    assert response["Location"] == JOIN
    assert token not in str(dict(client.session.items()))


def test_joining_happens_at_the_token_free_address_and_nothing_there_shows_the_token(
    token: str, team: Team
) -> None:
    client = Client()
    client.get(link(token))
    page = client.get(JOIN)
    response = client.post(
        JOIN,
        {
            "username": "nina",
            "email": "nina@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert "Join “Support”" in page.text
    assert f"?next={JOIN}" in page.text.replace("%2F", "/")
    assert token not in page.text
    assert response["Location"] == reverse("team_detail", args=[team.pk])
    assert team.memberships.filter(user__username="nina", role=Role.EDITOR).exists()
    assert "invitation_token_hash" not in client.session, "the session forgets a used link"


def test_someone_who_opened_no_link_finds_nothing_to_join(db: None) -> None:
    response = Client().get(JOIN)
    assert response.status_code == 404
    assert "This invitation link does not work" in response.text


def test_a_signed_in_person_joins_at_the_token_free_address(
    token: str, team: Team, stranger: User
) -> None:
    client = client_for(stranger)
    client.get(link(token))

    assert "Join as stas" in client.get(JOIN).text
    assert client.post(JOIN)["Location"] == reverse("team_detail", args=[team.pk])


# --- no log writes it ---------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["made up", "used", "expired"])
def test_no_log_line_holds_the_token_of_a_link_that_does_not_work(
    state: str, token: str, written_log: io.StringIO, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    if state == "made up":
        token = "made-up-" + token[8:]
    elif state == "used":
        Invitation.objects.update(accepted_at=timezone.now())
    else:
        Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    client = Client()

    opened = client.get(link(token))
    refusal = client.get(JOIN)

    assert opened.status_code == 302
    assert refusal.status_code in (404, 410)
    assert token not in written_log.getvalue()
    assert all(token not in record.getMessage() for record in caplog.records)


def test_a_server_error_on_the_link_is_logged_and_mailed_without_the_token(
    token: str, written_log: io.StringIO, settings, monkeypatch
) -> None:
    settings.ADMINS = ["ops@example.com"]

    def database_down(self: SessionStore, must_create: bool = False) -> None:
        raise DatabaseError("the database went away")

    monkeypatch.setattr(SessionStore, "save", database_down)
    response = Client(raise_request_exception=False).get(link(token))

    assert response.status_code == 500
    logged = written_log.getvalue()
    assert "Internal Server Error: /invitations/[hidden]/" in logged
    assert token not in logged
    (email,) = mail.outbox
    assert "DatabaseError" in email.body, "the report itself is there"
    assert token not in email.subject + email.body


def gunicorn_as_configured() -> dict[str, object]:
    """The settings gunicorn reads from gunicorn.conf.py when started in the project's folder."""
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorns_access_log_as_configured_never_holds_a_token(token: str, tmp_path: Path) -> None:
    options = gunicorn_as_configured()
    config = Config()
    config.set("access_log_format", options["access_log_format"])
    config.set("logger_class", options["logger_class"])
    access_log = tmp_path / "access.log"
    config.set("accesslog", str(access_log))
    logger = config.logger_class(config)

    path = link(token)
    environ = RequestFactory().get(path, HTTP_REFERER=f"https://dash.example.com{path}").environ
    environ["RAW_URI"] = path
    answer = SimpleNamespace()

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer.status, answer.headers = status, headers

    # As Django's test client does: the test's own database connection must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(WSGIHandler()(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    answer.sent = len(body)
    request = SimpleNamespace(headers=[("HOST", "testserver")])
    logger.access(answer, request, environ, timedelta(milliseconds=3))
    for handler in logger.access_log.handlers:
        handler.flush()

    line = access_log.read_text()
    assert '"GET /invitations/[hidden]/" 302' in line
    assert token not in line


def token_routes(patterns: list, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from token_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif "token" in pattern.pattern.converters:
            yield prefix + str(pattern.pattern), pattern


def test_every_route_with_a_token_in_its_path_is_hidden_from_the_logs() -> None:
    routes = dict(token_routes(get_resolver().url_patterns))
    assert {p.name for p in routes.values()} >= {"invitation_accept", "password_reset_confirm"}
    secret = "s3cr3t-T0ken_of-43-characters-abcdefghijkl"
    for route in routes:
        path = "/" + route.replace("<str:token>", secret).replace("<token>", secret)
        path = path.replace("<uidb64>", "MQ")
        assert "<" not in path, f"fill the other parts of {route} in this test"
        for logged in (path, f"GET {path}?a=1 HTTP/1.1", f"Not Found: {path}", f"https://x{path}"):
            assert secret not in hide_link_tokens(logged), route
