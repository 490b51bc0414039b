"""What the change journal records, and that its snapshots stay encrypted."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection as db

from handlers_app.journal.diff import change_lines, handler_changes
from handlers_app.journal.recording import Snapshot, snapshot_of
from handlers_app.models import Connection, JournalAction, JournalEntry, Team
from handlers_app.sandbox import Fault
from handlers_app.selectors import handler_get
from handlers_app.services import (
    connection_delete,
    connection_save,
    handler_delete,
    handler_set_enabled,
    handler_update,
)
from handlers_app.soclook.errors import SoclookError
from tests.journal_support import NEW_TOKEN, TOKEN, add_telegram, secrets_of, seeded


@pytest.fixture
def telegram(connection: Connection, editor: User) -> int:
    return add_telegram(connection=connection, user=editor)


def test_creating_a_handler_records_who_what_and_which_fields_were_set(
    connection: Connection, editor: User, telegram: int
) -> None:
    entry = JournalEntry.objects.get()
    assert entry.action == JournalAction.HANDLER_CREATED
    assert (entry.user, entry.user_name, entry.team_id) == (editor, "egor", connection.team_id)
    assert (entry.connection, entry.connection_name) == (connection, "Soclook main")
    assert (entry.handler_id, entry.handler_name, entry.handler_type) == (
        telegram,
        "Support chat",
        "telegram",
    )
    assert [str(line) for line in change_lines(entry.changes)] == [
        "Name: — → Support chat",
        "Type: — → Telegram",
        "Bot token: set",
        "Chat ID: — → -1001234567890",
    ]
    assert TOKEN not in str(entry.changes)
    assert not entry.is_restorable


def test_an_edit_records_a_field_by_field_diff_and_an_encrypted_snapshot_of_before(
    sandbox, connection: Connection, editor: User, telegram: int
) -> None:
    current = handler_get(connection=connection, handler_id=telegram)
    handler_update(
        connection=connection,
        user=editor,
        current=current,
        name="Support group",
        type="telegram",
        settings={"telegram": NEW_TOKEN, "telegram_chat_id": ""},
    )
    entry = JournalEntry.objects.first()
    assert entry.action == JournalAction.HANDLER_CHANGED
    assert [str(line) for line in change_lines(entry.changes)] == [
        "Name: Support chat → Support group",
        "Bot token: changed",
    ]
    assert TOKEN not in entry.snapshot_encrypted
    assert NEW_TOKEN not in str(entry.changes)
    kept = snapshot_of(entry)
    assert (kept.id, kept.name, kept.type) == (telegram, "Support chat", "telegram")
    assert dict(kept.settings) == {"telegram": TOKEN, "telegram_chat_id": "-1001234567890"}


def test_an_email_address_is_shown_in_the_diff_because_it_is_not_a_secret(
    sandbox, api_key: str, connection: Connection, editor: User
) -> None:
    current = handler_get(connection=connection, handler_id=seeded(sandbox, api_key, "email")["id"])
    handler_update(
        connection=connection,
        user=editor,
        current=current,
        name=current.name,
        type="email",
        settings={"email": "night-shift@example.com"},
    )
    lines = change_lines(JournalEntry.objects.get().changes)
    assert [(line.label, line.after, line.secret) for line in lines] == [
        ("E-mail address", "night-shift@example.com", False)
    ]
    assert lines[0].before == current.settings["email"]


def test_every_setting_of_a_type_the_dashboard_does_not_know_counts_as_secret(
    sandbox, api_key: str, connection: Connection
) -> None:
    twilio = handler_get(connection=connection, handler_id=seeded(sandbox, api_key, "twilio")["id"])
    renumbered = {key: value + "9" for key, value in twilio.settings.items()}
    changes = handler_changes(
        twilio, Snapshot(id=twilio.id, type="twilio", name="Calls", settings=renumbered)
    )
    settings_changes = [c for c in changes if c.get("setting")]
    assert len(settings_changes) == len(twilio.settings) > 0
    assert all(
        c == {"field": c["field"], "setting": True, "secret": True} for c in settings_changes
    )


def test_switching_off_and_on_is_recorded_as_such(
    connection: Connection, editor: User, telegram: int
) -> None:
    current = handler_get(connection=connection, handler_id=telegram)
    off = handler_set_enabled(connection=connection, user=editor, current=current, enabled=False)
    handler_set_enabled(connection=connection, user=editor, current=off, enabled=True)
    actions = list(JournalEntry.objects.values_list("action", flat=True))
    assert actions[:2] == [JournalAction.HANDLER_ENABLED, JournalAction.HANDLER_DISABLED]
    lines = change_lines(JournalEntry.objects.first().changes)
    assert [str(line) for line in lines] == ["Status: Disabled → Enabled"]


def test_deleting_keeps_the_whole_handler_in_the_snapshot(
    connection: Connection, editor: User, telegram: int
) -> None:
    current = handler_get(connection=connection, handler_id=telegram)
    handler_delete(connection=connection, user=editor, current=current)
    entry = JournalEntry.objects.first()
    assert entry.action == JournalAction.HANDLER_DELETED
    assert entry.is_restorable
    assert snapshot_of(entry).settings["telegram"] == TOKEN


def test_a_failed_call_records_nothing(
    sandbox, connection: Connection, editor: User, telegram: int
) -> None:
    current = handler_get(connection=connection, handler_id=telegram)
    JournalEntry.objects.all().delete()
    sandbox.add_fault(Fault("json_500", method="POST"))
    with pytest.raises(SoclookError):
        handler_update(
            connection=connection,
            user=editor,
            current=current,
            name="Never saved",
            type="telegram",
            settings={},
        )
    sandbox.add_fault(Fault("json_500", method="DELETE"))
    with pytest.raises(SoclookError):
        handler_delete(connection=connection, user=editor, current=current)
    assert not JournalEntry.objects.exists()


def test_saving_without_a_change_records_nothing(
    connection: Connection, editor: User, telegram: int
) -> None:
    current = handler_get(connection=connection, handler_id=telegram)
    handler_update(
        connection=connection,
        user=editor,
        current=current,
        name=current.name,
        type="telegram",
        settings={},
    )
    assert JournalEntry.objects.count() == 1


def test_connection_changes_are_recorded_with_the_key_only_as_changed(
    sandbox, owner: User, team: Team
) -> None:
    first_key = sandbox.add_account(seed=2)
    second_key = sandbox.add_account(seed=2)
    connection = Connection(team=team, name="Prod", base_url=sandbox.base_url)
    connection_save(connection=connection, api_key=first_key, user=owner)
    connection.name = "Production"
    connection_save(connection=connection, api_key=second_key, user=owner)
    connection_save(connection=connection, api_key="", user=owner)
    connection_delete(connection=connection, user=owner)

    entries = list(JournalEntry.objects.order_by("id"))
    assert [e.action for e in entries] == [
        JournalAction.CONNECTION_ADDED,
        JournalAction.CONNECTION_CHANGED,
        JournalAction.CONNECTION_REMOVED,
    ]
    assert [str(line) for line in change_lines(entries[1].changes)] == [
        "Name: Prod → Production",
        "API key: changed",
    ]
    assert entries[2].connection is None and entries[2].connection_name == "Production"
    for key in (first_key, second_key):
        assert key not in str([e.changes for e in entries])


def test_the_snapshot_column_holds_no_plaintext(
    sandbox, api_key: str, connection: Connection, editor: User
) -> None:
    records = sandbox.handlers(api_key)[:12]
    secrets = secrets_of(sandbox, api_key)
    for record in records:
        current = handler_get(connection=connection, handler_id=record["id"])
        handler_delete(connection=connection, user=editor, current=current)
    with db.cursor() as cursor:
        cursor.execute("SELECT snapshot_encrypted FROM handlers_app_journalentry")
        column = " ".join(row[0] for row in cursor.fetchall())
    assert column.count("gAAAA") == len(records)
    for text in [*secrets, *(r["name"] for r in records), "telegram", "webhook"]:
        assert text not in column


def test_operators_rotating_keys_re_encrypt_the_snapshots_too() -> None:
    from handlers_app.models import ENCRYPTED_FIELDS

    assert (JournalEntry, "snapshot_encrypted") in ENCRYPTED_FIELDS
