"""Times: Soclook's zoneless clock, learnt or set per connection, shown in the viewer's zone.

The sandbox keeps Moscow time (UTC+03:00, see handlers_app/sandbox/server.py), while the
dashboard's own zone in tests is UTC: a time read as the wrong zone is three hours off.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from handlers_app.models import Connection, JournalEntry
from handlers_app.service_time import TZ_COOKIE, detect_offset
from handlers_app.services import handler_create
from tests.helpers import client_for

MOSCOW = 180
# The live service answers to the second; the journal is stamped a moment after the write.
SAME_CHANGE = timedelta(minutes=1)
TIME_TAG = re.compile(r'<time datetime="([^"]+)"')


@pytest.fixture
def api_key(sandbox) -> str:
    """An empty account, so the list holds only what a test puts there."""
    return sandbox.add_account(seed=0)


def create_webhook(connection: Connection, user: User) -> int:
    return handler_create(
        connection=connection,
        user=user,
        name="Alerts",
        type="webhook",
        settings={"webhook": "https://hooks.example.com/alerts"},
    )


def times_on(client: Client, url: str) -> list[datetime]:
    html = client.get(url).content.decode()
    return [datetime.fromisoformat(value) for value in TIME_TAG.findall(html)]


def list_url(connection: Connection) -> str:
    return reverse("handler_list", args=[connection.pk])


def in_viewers_zone(client: Client, zone: str) -> Client:
    client.cookies[TZ_COOKIE] = zone
    return client


# --- the same change at the same time ------------------------------------------------------------


def test_the_list_and_the_journal_show_the_same_time_for_a_new_handler(
    connection: Connection, owner: User, editor: User
) -> None:
    create_webhook(connection, editor)
    client = client_for(owner)
    (created,) = times_on(client, list_url(connection))
    (recorded,) = times_on(client, reverse("journal"))
    assert abs(created - recorded) < SAME_CHANGE


def test_the_list_and_the_journal_agree_in_the_viewers_zone(
    connection: Connection, owner: User, editor: User
) -> None:
    create_webhook(connection, editor)
    client = in_viewers_zone(client_for(owner), "America/New_York")
    (created,) = times_on(client, list_url(connection))
    (recorded,) = times_on(client, reverse("journal"))
    assert abs(created - recorded) < SAME_CHANGE
    assert created.utcoffset() == recorded.utcoffset() < timedelta(0)


# --- learning Soclook's zone ----------------------------------------------------------------------


def test_the_first_write_teaches_the_connection_soclooks_zone(
    connection: Connection, editor: User
) -> None:
    assert connection.service_utc_offset is None
    create_webhook(connection, editor)
    connection.refresh_from_db()
    assert connection.service_utc_offset == MOSCOW
    assert connection.service_offset_by_owner is False


def test_the_connection_page_says_the_zone_was_detected(
    connection: Connection, owner: User, editor: User
) -> None:
    create_webhook(connection, editor)
    english = client_for(owner).get(reverse("connection_edit", args=[connection.pk]))
    assert "Detected automatically: UTC+03:00." in english.content.decode()
    russian = client_for(owner).get(
        reverse("connection_edit", args=[connection.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert "Определён автоматически: UTC+03:00." in russian.content.decode()


def test_learning_the_zone_costs_no_request(connection: Connection, editor: User, sandbox) -> None:
    sandbox.clear_requests()
    create_webhook(connection, editor)
    assert [r.method for r in sandbox.requests] == ["POST"]


def test_a_write_answered_with_only_an_id_leaves_the_zone_to_the_next_read(
    connection: Connection, editor: User, sandbox
) -> None:
    sandbox.variant = "seed"
    handler_id = create_webhook(connection, editor)
    connection.refresh_from_db()
    assert connection.service_utc_offset is None
    client_for(editor).get(reverse("handler_edit", args=[connection.pk, handler_id]))
    connection.refresh_from_db()
    assert connection.service_utc_offset == MOSCOW


@pytest.mark.parametrize(
    ("service_time", "expected"),
    [
        ("2026-03-01 11:08:20", 180),  # Moscow, 20 seconds after the write
        ("2026-03-01 13:53:05", 345),  # Nepal, a quarter past
        ("2026-03-01 08:07:40", 0),  # UTC, a clock a little behind
        ("2026-03-01 10:30:00", None),  # 2½ hours: not a fresh time
        ("2026-03-03 08:08:00", None),  # further than any zone
    ],
)
def test_only_a_fresh_time_tells_the_offset(service_time: str, expected: int | None) -> None:
    now = datetime(2026, 3, 1, 8, 8, tzinfo=UTC)
    assert detect_offset(datetime.fromisoformat(service_time), now=now) == expected


# --- an owner's setting ---------------------------------------------------------------------------


def edit_connection(client: Client, connection: Connection, offset: str) -> None:
    response = client.post(
        reverse("connection_edit", args=[connection.pk]),
        {"name": connection.name, "base_url": connection.base_url, "service_offset": offset},
    )
    assert response.status_code == 302, response.content.decode()


def test_an_owners_setting_wins_over_detection(
    connection: Connection, owner: User, editor: User, sandbox, api_key: str
) -> None:
    edit_connection(client_for(owner), connection, "60")
    create_webhook(connection, editor)
    connection.refresh_from_db()
    assert (connection.service_utc_offset, connection.service_offset_by_owner) == (60, True)
    sandbox.add_handler(api_key, type="email", name="Ops", datetime="2026-03-01 11:08:00")
    page = client_for(owner).get(list_url(connection) + "?refresh=1").content.decode()
    assert '<time datetime="2026-03-01T10:08:00+00:00"' in page
    assert (
        "Set by an owner."
        in client_for(owner).get(reverse("connection_edit", args=[connection.pk])).content.decode()
    )


def test_an_owner_can_hand_the_zone_back_to_detection(
    connection: Connection, owner: User, editor: User
) -> None:
    edit_connection(client_for(owner), connection, "60")
    edit_connection(client_for(owner), connection, "")
    create_webhook(connection, editor)
    connection.refresh_from_db()
    assert (connection.service_utc_offset, connection.service_offset_by_owner) == (MOSCOW, False)


# --- the viewer's zone ----------------------------------------------------------------------------


def test_a_viewer_in_another_zone_sees_soclooks_times_in_their_zone(
    connection: Connection, owner: User, sandbox, api_key: str
) -> None:
    Connection.objects.filter(pk=connection.pk).update(service_utc_offset=MOSCOW)
    sandbox.add_handler(
        api_key,
        type="email",
        name="Ops",
        datetime="2026-03-01 11:08:00",
        last_datetime="2026-07-01 11:08:00",
    )
    page = in_viewers_zone(client_for(owner), "America/New_York").get(list_url(connection))
    html = page.content.decode()
    assert '<time datetime="2026-03-01T03:08:00-05:00"' in html
    assert '<time datetime="2026-07-01T04:08:00-04:00"' in html


def test_a_viewer_in_another_zone_sees_the_journal_in_their_zone(
    connection: Connection, owner: User, editor: User
) -> None:
    create_webhook(connection, editor)
    JournalEntry.objects.update(created_at=datetime(2026, 3, 1, 8, 8, tzinfo=UTC))
    client = in_viewers_zone(client_for(owner), "Asia/Kolkata")
    html = client.get(reverse("journal")).content.decode()
    assert '<time datetime="2026-03-01T13:38:00+05:30" title="Asia/Kolkata">' in html
    assert "13:38" in html


@pytest.mark.parametrize("cookie", ["../../etc/passwd", "Mars/Olympus", "x" * 300, "zone.tab"])
def test_a_zone_cookie_naming_no_zone_leaves_the_dashboards(
    connection: Connection, owner: User, editor: User, cookie: str
) -> None:
    create_webhook(connection, editor)
    (recorded,) = times_on(in_viewers_zone(client_for(owner), cookie), reverse("journal"))
    assert recorded.utcoffset() == timedelta(0)


def test_time_attributes_carry_at_most_milliseconds(
    connection: Connection, owner: User, editor: User
) -> None:
    create_webhook(connection, editor)
    JournalEntry.objects.update(created_at=datetime(2026, 3, 1, 8, 8, 1, 123456, tzinfo=UTC))
    html = client_for(owner).get(reverse("journal")).content.decode()
    assert '<time datetime="2026-03-01T08:08:01.123+00:00"' in html


# --- files ----------------------------------------------------------------------------------------


def test_the_journal_csv_gives_times_with_the_viewers_offset(
    connection: Connection, owner: User, editor: User
) -> None:
    create_webhook(connection, editor)
    JournalEntry.objects.update(created_at=datetime(2026, 3, 1, 8, 8, tzinfo=UTC))
    client = in_viewers_zone(client_for(owner), "Asia/Kolkata")
    body = client.get(reverse("journal") + "?format=csv").content.decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(body)))
    assert row[header.index("When")] == "2026-03-01T13:38:00+05:30"
