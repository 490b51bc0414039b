"""Server errors and smaller faults found in review, each kept from coming back."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connections
from django.db.models.signals import pre_save
from django.test import Client
from django.urls import reverse

from handlers_app import crypto
from handlers_app.models import Connection, JournalAction, JournalEntry, Membership, Role, Team
from handlers_app.observability import JsonFormatter, RequestIdFilter
from handlers_app.sandbox import Fault
from handlers_app.soclook.errors import MAX_RETRY_AFTER
from tests.helpers import client_for, make_user
from tests.test_production import ROOT, production_env

# --- the journal's handler filter ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("handler", ["²", "#٣", "1²", "9" * 40])
def test_a_handler_filter_of_digits_that_are_not_an_id_is_searched_as_a_name(
    handler: str, owner: User, team: Team
) -> None:
    JournalEntry.objects.create(
        team=team,
        action=JournalAction.HANDLER_CREATED,
        handler_id=7,
        handler_name=f"Alerts {handler}",
    )
    response = client_for(owner).get(reverse("journal"), {"handler": handler})
    assert response.status_code == 200
    assert f"Alerts {handler}" in response.text


# --- a wild X-RateLimit-Reset --------------------------------------------------------------------


def test_a_429_announcing_a_reset_ages_away_waits_a_bounded_time_without_a_server_error(
    connection: Connection, viewer: User, sandbox
) -> None:
    sandbox.window_seconds = 999999999999999999
    sandbox.add_fault(Fault("rate_limit"))
    client = client_for(viewer)
    url = reverse("handler_list", args=[connection.pk])
    assert sandbox.requests == []

    first = client.get(url)
    held_back = client.get(url)

    for response in (first, held_back):
        assert response.status_code == 200
        waits = [int(n) for n in re.findall(r"try again in (\d+) s", response.text)]
        assert waits, response.text
        assert all(0 < wait <= MAX_RETRY_AFTER for wait in waits)
    assert len(sandbox.requests) == 1, "the second page waits without asking"


# --- two owners demoting each other at once ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner_and_no_server_error(
    team: Team, owner: User
) -> None:
    second = make_user("oksana")
    Membership.objects.create(user=second, team=team, role=Role.OWNER)
    mine, theirs = (Membership.objects.get(user=user) for user in (owner, second))
    # Each change waits, after reading who the owners are, until the other has read them too
    # (or for a moment, when the database makes the other wait for its turn).
    both_read = threading.Barrier(2, timeout=2)

    def wait_for_the_other(sender: type, **kwargs: object) -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait()

    statuses: list[int] = []

    def demote(by: User, target: Membership) -> None:
        client = Client(raise_request_exception=False)
        client.force_login(by)
        try:
            response = client.post(
                reverse("member_role", args=[team.pk, target.pk]), {"role": "editor"}
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    pre_save.connect(wait_for_the_other, sender=Membership)
    try:
        threads = [
            threading.Thread(target=demote, args=(owner, theirs)),
            threading.Thread(target=demote, args=(second, mine)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        pre_save.disconnect(wait_for_the_other, sender=Membership)

    assert 500 not in statuses
    assert Membership.objects.filter(team=team, role=Role.OWNER).count() == 1
    assert JournalEntry.objects.filter(action=JournalAction.MEMBER_ROLE_CHANGED).count() == 1


# --- the read cache holds JSON, sealed like the database -----------------------------------------


def cached_keys() -> list[str]:
    """Every key in the cache, as the code names it (without the backend's prefix and version)."""
    backend = cache._cache
    found = backend if isinstance(backend, dict) else backend.get_client().scan_iter()
    return [(key if isinstance(key, str) else key.decode()).split(":", 2)[2] for key in found]


def test_cached_handlers_are_sealed_json_like_every_other_stored_secret(
    connection: Connection, viewer: User, sandbox, api_key: str
) -> None:
    client_for(viewer).get(reverse("handler_list", args=[connection.pk]))
    stored = [cache.get(key) for key in cached_keys()]
    sealed = [value for value in stored if isinstance(value, str) and value.startswith("gAAAA")]
    assert sealed
    snapshots = [crypto.unseal(value) for value in sealed]
    names = {row[2] for snapshot in snapshots for row in snapshot.get("rows", [])}
    assert names == {h["name"] for h in sandbox.handlers(api_key)}


def test_a_cache_entry_left_by_an_older_version_is_read_again_not_trusted(
    connection: Connection, viewer: User, sandbox
) -> None:
    client = client_for(viewer)
    url = reverse("handler_list", args=[connection.pk])
    client.get(url)
    (snapshot_key,) = [key for key in cached_keys() if ":all:" in key]
    # What the cache held before it was JSON: a pickle, base64-encoded, encrypted.
    cache.set(snapshot_key, crypto.encrypt("gASVAAAAAAAAAAB9lC4="))
    sandbox.clear_requests()

    response = client.get(url)

    assert response.status_code == 200
    assert len(sandbox.requests) == 1


# --- the language cookie -------------------------------------------------------------------------

_SET_LANGUAGE = """
from django.test import Client
response = Client().post("/i18n/setlang/", {"language": "ru"}, secure=True,
                         headers={"Host": "dashboard.example.com"})
cookie = response.cookies["dashboard_language"]
print(bool(cookie["secure"]), bool(cookie["httponly"]))
"""


def test_the_language_cookie_is_secure_and_http_only_in_production() -> None:
    result = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", "shell", "-c", _SET_LANGUAGE],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True True"


# --- request ids in Django's own log lines -------------------------------------------------------


@pytest.fixture
def request_log() -> Iterator[io.StringIO]:
    """What Django logs about requests (404s, 403s...), as the production JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


@pytest.mark.django_db
def test_a_404_log_line_carries_the_request_id(request_log: io.StringIO, owner: User) -> None:
    response = client_for(owner).get("/no/such/page/", headers={"X-Request-ID": "req-404-1"})
    assert response.status_code == 404
    (line,) = [json.loads(line) for line in request_log.getvalue().splitlines()]
    assert line["message"] == "Not Found: /no/such/page/"
    assert line["request_id"] == "req-404-1"
