"""Request ids, structured logs of every call to the service, and the operator page."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from handlers_app.models import Connection
from handlers_app.observability import (
    JsonFormatter,
    RequestIdFilter,
    call_record,
    call_stats,
    connection_label,
)
from handlers_app.sandbox import Fault
from handlers_app.soclook import ListQuery
from handlers_app.soclook.client import SoclookClient
from tests.helpers import client_for, make_user

ROOT = Path(__file__).resolve().parent.parent
BOT_TOKEN = "123456789:AAHsecret-bot-token-never-logged"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Everything logged during the test, formatted as the production JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def lines_of(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def calls_in(stream: io.StringIO) -> list[dict[str, object]]:
    return [line for line in lines_of(stream) if "soclook_method" in line]


@pytest.fixture
def staff(db: None) -> User:
    user = make_user("sofia")
    user.is_staff = True
    user.save()
    return user


def raw_client(connection: Connection) -> SoclookClient:
    """A client without the cache in front, so that each read below is one call."""
    return SoclookClient(
        base_url=connection.base_url,
        api_key=connection.api_key,
        label=connection_label(connection.pk),
        get_retries=0,
    )


# --- request ids ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_safe_request_id_from_the_proxy_is_kept_and_echoed() -> None:
    response = Client().get("/healthz", headers={"X-Request-ID": "edge-7f3a.42:1"})
    assert response["X-Request-ID"] == "edge-7f3a.42:1"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "offered", ['x" , "level": "fake', "a b", "<script>", "a" * 101, "-starts-with-dash", "мой"]
)
def test_an_unsafe_request_id_is_replaced_by_a_fresh_one(offered: str) -> None:
    response = Client().get("/healthz", headers={"X-Request-ID": offered})
    assert response["X-Request-ID"] != offered
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_every_response_gets_its_own_request_id() -> None:
    first = Client().get("/healthz")["X-Request-ID"]
    second = Client().get("/healthz")["X-Request-ID"]
    assert first != second


# --- log lines -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_call_to_the_service_is_one_json_line_with_the_request_id_and_no_key_or_value(
    json_log: io.StringIO, connection: Connection, editor: User, sandbox
) -> None:
    response = client_for(editor).post(
        reverse("handler_new", args=[connection.pk]),
        {
            "name": "Night shift",
            "type": "telegram",
            "telegram": BOT_TOKEN,
            "telegram_chat_id": "-1001234567890",
        },
        headers={"X-Request-ID": "req-create-1"},
    )
    assert response.status_code in (200, 302)
    created = [r for r in sandbox.requests if r.method == "POST"]
    assert len(created) == 1, "the create reached the service"

    (line,) = [c for c in calls_in(json_log) if c["soclook_method"] == "POST"]
    assert line["request_id"] == "req-create-1"
    assert line["soclook_label"] == f"connection:{connection.pk}"
    assert line["soclook_path"] == "notification-handlers"
    assert line["soclook_status"] == 201
    assert isinstance(line["soclook_elapsed_ms"], int)
    assert line["soclook_remaining"] is not None
    assert line["level"] == "INFO"

    everything = json_log.getvalue()
    assert connection.api_key not in everything
    assert BOT_TOKEN not in everything
    assert "-1001234567890" not in everything
    assert "Night shift" not in everything


@pytest.mark.django_db
def test_a_failed_call_is_logged_as_a_warning_with_its_error(
    json_log: io.StringIO, connection: Connection, sandbox
) -> None:
    sandbox.add_fault(Fault("html_500"))
    with pytest.raises(Exception):  # noqa: B017 - which error is the client's business
        raw_client(connection).list_handlers(ListQuery())
    (line,) = calls_in(json_log)
    assert line["level"] == "WARNING"
    assert line["soclook_status"] == 500
    assert line["request_id"] == "-", "outside a request"


def test_the_plain_format_carries_the_request_id_too() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "import logging; logging.getLogger('handlers_app.x').warning('plain line')",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "LOG_FORMAT": "plain"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "WARNING handlers_app.x [-] plain line" in result.stderr


def test_log_format_json_makes_every_line_a_json_object() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "import logging; logging.getLogger('handlers_app.x').warning('json line')",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "LOG_FORMAT": "json"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert {"logger": "handlers_app.x", "message": "json line", "level": "WARNING"}.items() <= (
        lines[-1].items()
    )


def test_a_json_line_leaves_out_objects_passed_as_extra(json_log: io.StringIO) -> None:
    class Request:
        def __str__(self) -> str:
            return "<WSGIRequest: GET '/?search=private'>"

    logging.getLogger("handlers_app.views").warning(
        "Not Found: /x", extra={"status_code": 404, "request": Request()}
    )
    (line,) = lines_of(json_log)
    assert line["status_code"] == 404
    assert "request" not in line
    assert "private" not in json_log.getvalue()


# --- the operator page ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_operator_page_counts_calls_errors_and_rate_limit_hits_per_connection(
    connection: Connection, staff: User, sandbox
) -> None:
    client = raw_client(connection)
    for _ in range(3):
        client.list_handlers(ListQuery())
    sandbox.add_fault(Fault("html_500"))
    sandbox.add_fault(Fault("rate_limit"))
    for _ in range(2):
        with pytest.raises(Exception):  # noqa: B017
            client.list_handlers(ListQuery())

    stats = call_stats(labels=[connection_label(connection.pk)])[connection_label(connection.pk)]
    assert (stats.calls, stats.errors, stats.rate_limited) == (5, 1, 1)

    response = client_for(staff).get(reverse("ops"))
    assert response.status_code == 200
    row = _row_text(response.content.decode(), connection.name)
    assert row.split()[-5:-1] == ["5", "1", "1", f"{stats.average_ms}"]
    assert connection.api_key not in response.content.decode()


def _row_text(html: str, name: str) -> str:
    """The visible text of the table row that names `name`."""
    start = html.index(name)
    row = html[start : html.index("</tr>", start)]
    return re.sub(r"<[^>]+>", " ", row).replace("ms", " ")


@pytest.mark.django_db
def test_requests_held_back_by_the_local_budget_count_as_rate_limit_hits(
    connection: Connection, staff: User
) -> None:
    label = connection_label(connection.pk)
    call_record(label=label, status=None, error="local budget", elapsed_ms=None, remaining=None)
    stats = call_stats(labels=[label])[label]
    assert (stats.calls, stats.rate_limited) == (0, 1)


def test_calls_older_than_an_hour_are_not_counted(db: None) -> None:
    now = time.time()
    call_record(
        label="connection:9", status=200, error="", elapsed_ms=5, remaining=50, now=now - 3700
    )
    call_record(
        label="connection:9", status=200, error="", elapsed_ms=7, remaining=49, now=now - 60
    )
    stats = call_stats(labels=["connection:9"], now=now)["connection:9"]
    assert (stats.calls, stats.ms_total, stats.remaining) == (1, 7, 49)


@pytest.mark.django_db
def test_a_quiet_hour_says_so(staff: User) -> None:
    response = client_for(staff).get(reverse("ops"))
    assert "No requests to the service in the last 60 minutes." in response.content.decode()


@pytest.mark.django_db
def test_only_staff_see_the_operator_page(owner: User) -> None:
    assert client_for(owner).get(reverse("ops")).status_code == 403
    anonymous = Client().get(reverse("ops"))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_a_cache_outage_never_breaks_a_call(connection: Connection, settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    page = raw_client(connection).list_handlers(ListQuery())
    assert page.total == 40
