"""Rotating FIELD_ENCRYPTION_KEYS, and what people see when a stored secret cannot be read."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection as db
from django.urls import reverse
from django.utils.html import escape

from handlers_app import crypto
from handlers_app.journal.recording import Snapshot, snapshot_seal, snapshot_unseal
from handlers_app.models import Connection, Job, JobItem, JournalAction, JournalEntry, Team
from handlers_app.selectors import handler_get
from handlers_app.services import handler_delete
from tests.helpers import client_for

OLD_KEY = crypto.generate_key()
NEW_KEY = crypto.generate_key()
LOST_KEY = crypto.generate_key()

UNREADABLE_KEY = escape(
    "This connection's key can no longer be read: an owner must enter it again."
)


def add_connection(team: Team, name: str, api_key: str) -> Connection:
    connection = Connection(team=team, name=name, base_url="https://soclook.ru/api/")
    connection.set_api_key(api_key)
    connection.save()
    return connection


def raw_key(connection: Connection) -> str:
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT api_key_encrypted FROM handlers_app_connection WHERE id = %s", [connection.pk]
        )
        return cursor.fetchone()[0]


def rotate(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def under_old_key(team: Team, settings) -> list[Connection]:
    """Two connections whose keys were stored while OLD_KEY was the only key."""
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    return [add_connection(team, f"Account {n}", f"sk-live-000{n}-abcdef") for n in (1, 2)]


# --- the command ---------------------------------------------------------------------------------


def test_rotation_refuses_when_the_new_key_was_put_last_by_mistake(
    under_old_key: list[Connection], settings
) -> None:
    before = [raw_key(c) for c in under_old_key]
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY, NEW_KEY]

    with pytest.raises(CommandError, match="does not look new") as refused:
        rotate()

    assert "FIELD_ENCRYPTION_KEYS=new,old" in str(refused.value)
    assert [raw_key(c) for c in under_old_key] == before, "nothing was changed"


def test_after_a_rotation_every_secret_reads_with_the_new_key_alone(
    under_old_key: list[Connection], settings, team: Team
) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    out, err = rotate()

    assert "Re-encrypted 2 stored secret(s); all 2 read with the first key." in out
    assert err == ""
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert [Connection.objects.get(pk=c.pk).api_key for c in under_old_key] == [
        "sk-live-0001-abcdef",
        "sk-live-0002-abcdef",
    ]


def test_secrets_already_under_the_new_key_need_force_and_then_all_are_rotated(
    under_old_key: list[Connection], settings, team: Team
) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    written_since = add_connection(team, "Added after the key change", "sk-live-0003-abcdef")

    with pytest.raises(CommandError, match="already encrypts 1 of the 3"):
        rotate()
    out, _ = rotate("--force")

    assert "Re-encrypted 2 stored secret(s); all 3 read with the first key." in out
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    for connection in [*under_old_key, written_since]:
        Connection.objects.get(pk=connection.pk).api_key  # noqa: B018 - it reads


def test_a_secret_no_key_reads_is_named_and_the_others_are_still_rotated(
    under_old_key: list[Connection], settings, team: Team
) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [LOST_KEY]
    lost = add_connection(team, "Lost", "sk-live-0009-abcdef")
    lost_value = raw_key(lost)
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 of 3 do not read with the first key"):
        call_command("rotate_encryption_keys", stdout=io.StringIO(), stderr=err)

    assert f"Cannot read connection #{lost.pk} (Lost), api_key_encrypted" in err.getvalue()
    assert raw_key(lost) == lost_value
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert Connection.objects.get(pk=under_old_key[0].pk).api_key == "sk-live-0001-abcdef"


def test_check_reports_which_key_each_secret_is_under_and_changes_nothing(
    under_old_key: list[Connection], settings, team: Team
) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    add_connection(team, "New", "sk-live-0004-abcdef")
    before = [raw_key(c) for c in Connection.objects.all()]

    out, _ = rotate("--check")

    assert "3 stored secret(s):" in out
    assert "encrypted with key 1 (the first, which encrypts): 1" in out
    assert "encrypted with key 2: 2" in out
    assert "readable with no key: 0" in out
    assert "2 stored secret(s) still need another key" in out
    assert [raw_key(c) for c in Connection.objects.all()] == before


def test_check_fails_when_a_secret_cannot_be_read(
    under_old_key: list[Connection], settings
) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 stored secret"):
        call_command("rotate_encryption_keys", "--check", stdout=io.StringIO(), stderr=err)
    assert f"connection #{under_old_key[0].pk} (Account 1)" in err.getvalue()


# --- pages, when a key can no longer be read -----------------------------------------------------


@pytest.fixture
def key_lost(connection: Connection, settings) -> Connection:
    """The connection's key was encrypted with a key no longer in FIELD_ENCRYPTION_KEYS."""
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    return connection


def test_the_list_says_the_key_can_no_longer_be_read_and_shows_owners_where_to_enter_it(
    key_lost: Connection, owner: User, viewer: User, sandbox
) -> None:
    url = reverse("handler_list", args=[key_lost.pk])
    edit_url = reverse("connection_edit", args=[key_lost.pk])

    for_owner = client_for(owner).get(url)
    for_viewer = client_for(viewer).get(url)

    for response in (for_owner, for_viewer):
        assert response.status_code == 200
        assert UNREADABLE_KEY in response.text
    assert edit_url in for_owner.text
    assert edit_url not in for_viewer.text
    assert sandbox.requests == []


def test_saving_a_handler_with_an_unreadable_key_says_so_and_keeps_the_input(
    key_lost: Connection, editor: User, sandbox
) -> None:
    response = client_for(editor).post(
        reverse("handler_new", args=[key_lost.pk]),
        {"name": "Night shift", "type": "email", "email": "night@example.com"},
    )
    assert response.status_code == 200
    assert UNREADABLE_KEY in response.text
    assert 'value="Night shift"' in response.text
    assert sandbox.requests == []


@pytest.mark.parametrize("route", ["handler_edit", "handler_delete", "handler_journal"])
def test_a_handlers_pages_answer_an_unreadable_key_without_a_server_error(
    route: str, key_lost: Connection, editor: User
) -> None:
    response = client_for(editor).get(reverse(route, args=[key_lost.pk, 1]))
    assert response.status_code == 200


def test_an_owner_enters_the_key_again_and_the_connection_works(
    key_lost: Connection, owner: User, sandbox, api_key: str
) -> None:
    client = client_for(owner)
    edit_url = reverse("connection_edit", args=[key_lost.pk])
    form = {"name": key_lost.name, "base_url": key_lost.base_url}

    kept_empty = client.post(edit_url, {**form, "api_key": ""})
    entered = client.post(edit_url, {**form, "api_key": api_key})

    assert kept_empty.status_code == 200
    assert UNREADABLE_KEY in kept_empty.text
    assert entered.status_code == 302
    assert Connection.objects.get(pk=key_lost.pk).api_key == api_key
    listed = client.get(reverse("handler_list", args=[key_lost.pk]))
    assert UNREADABLE_KEY not in listed.text
    assert "could not be loaded" not in listed.text


def test_a_journal_entry_whose_kept_handler_cannot_be_read_says_so(
    sandbox, api_key: str, connection: Connection, editor: User, settings
) -> None:
    webhook = next(h for h in sandbox.handlers(api_key) if h["type"] == "webhook")
    handler_delete(
        connection=connection,
        user=editor,
        current=handler_get(connection=connection, handler_id=webhook["id"]),
    )
    deleted = JournalEntry.objects.get(action=JournalAction.HANDLER_DELETED)
    entry_key = crypto.generate_key()
    settings.FIELD_ENCRYPTION_KEYS = [entry_key]
    connection.set_api_key(api_key)
    connection.save()
    url = reverse("journal_restore", args=[connection.pk, deleted.pk])
    sandbox.clear_requests()

    for response in (client_for(editor).get(url), client_for(editor).post(url)):
        assert response.status_code == 200
        assert "can no longer be read" in response.text
        assert "Create it again" not in response.text
    assert sandbox.requests == []


def test_rotation_re_encrypts_a_bulk_deletes_snapshot_held_until_it_is_journalled(
    team: Team, editor: User, settings
) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    connection = add_connection(team, "Held", "sk-live-0003-abcdef")
    job = Job.objects.create(connection=connection, created_by=editor, action="delete")
    kept = Snapshot(id=7, type="telegram", name="Bot", settings={"telegram": "123:secret"})
    item = JobItem.objects.create(
        job=job, position=0, handler_id=7, snapshot_encrypted=snapshot_seal(kept)
    )
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    out, _err = rotate()

    assert "all 2 read with the first key" in out
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    item.refresh_from_db()
    assert snapshot_unseal(item.snapshot_encrypted) == kept
