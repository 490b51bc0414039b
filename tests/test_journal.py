"""The change journal: what gets recorded, the journal pages and CSV, and restoring from them."""

from __future__ import annotations

import csv
import io
import logging
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection as db
from django.urls import reverse
from django.utils import timezone

from handlers_app import journal
from handlers_app.models import Connection, JournalAction, JournalEntry, Membership, Role, Team
from handlers_app.sandbox import Fault
from handlers_app.selectors import handler_get
from handlers_app.services import (
    connection_delete,
    connection_save,
    handler_create,
    handler_delete,
    handler_set_enabled,
    handler_update,
)
from handlers_app.soclook.errors import SoclookError
from tests.helpers import client_for, make_user

TOKEN = "123456789:AAHsecret-telegram-token-XYZ"
NEW_TOKEN = "987654321:AAHanother-telegram-token-QRS"


def seeded(sandbox, api_key: str, type: str) -> dict[str, Any]:
    return next(h for h in sandbox.handlers(api_key) if h["type"] == type)


def stored(sandbox, api_key: str, handler_id: int) -> dict[str, Any] | None:
    return next((h for h in sandbox.handlers(api_key) if h["id"] == handler_id), None)


def secrets_of(sandbox, api_key: str) -> list[str]:
    """Every credential in the account (all settings but e-mail addresses and chat IDs) and
    the key."""
    values = [api_key]
    for handler in sandbox.handlers(api_key):
        for key, value in handler["settings"].items():
            if (
                key not in ("email", "email_is_confirmed", "telegram_chat_id")
                and isinstance(value, str)
                and value
            ):
                values.append(value)
    return values


@pytest.fixture
def telegram(connection: Connection, editor: User) -> int:
    return handler_create(
        connection=connection,
        user=editor,
        name="Support chat",
        type="telegram",
        settings={"telegram": TOKEN, "telegram_chat_id": "-1001234567890"},
    )


# --- what gets recorded ------------------------------------------------------------------------


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
    assert [str(line) for line in journal.change_lines(entry.changes)] == [
        "Name: — → Support chat",
        "Type: — → Telegram",
        "Bot token: changed",
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
    assert [str(line) for line in journal.change_lines(entry.changes)] == [
        "Name: Support chat → Support group",
        "Bot token: changed",
    ]
    assert TOKEN not in entry.snapshot_encrypted
    assert NEW_TOKEN not in str(entry.changes)
    kept = journal.snapshot_of(entry)
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
    lines = journal.change_lines(JournalEntry.objects.get().changes)
    assert [(line.label, line.after, line.secret) for line in lines] == [
        ("E-mail address", "night-shift@example.com", False)
    ]
    assert lines[0].before == current.settings["email"]


def test_every_setting_of_a_type_the_dashboard_does_not_know_counts_as_secret(
    sandbox, api_key: str, connection: Connection
) -> None:
    twilio = handler_get(connection=connection, handler_id=seeded(sandbox, api_key, "twilio")["id"])
    renumbered = {key: value + "9" for key, value in twilio.settings.items()}
    changes = journal.handler_changes(
        twilio, journal.Snapshot(id=twilio.id, type="twilio", name="Calls", settings=renumbered)
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
    lines = journal.change_lines(JournalEntry.objects.first().changes)
    assert [str(line) for line in lines] == ["Status: Off → On"]


def test_deleting_keeps_the_whole_handler_in_the_snapshot(
    connection: Connection, editor: User, telegram: int
) -> None:
    current = handler_get(connection=connection, handler_id=telegram)
    handler_delete(connection=connection, user=editor, current=current)
    entry = JournalEntry.objects.first()
    assert entry.action == JournalAction.HANDLER_DELETED
    assert entry.is_restorable
    assert journal.snapshot_of(entry).settings["telegram"] == TOKEN


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
    assert [str(line) for line in journal.change_lines(entries[1].changes)] == [
        "Name: Prod → Production",
        "API key: changed",
    ]
    assert entries[2].connection is None and entries[2].connection_name == "Production"
    for key in (first_key, second_key):
        assert key not in str([e.changes for e in entries])


# --- "who last changed it" ------------------------------------------------------------------------


def test_the_last_change_of_each_handler_comes_from_one_query_and_no_request(
    sandbox, connection: Connection, editor: User, owner: User, telegram: int
) -> None:
    current = handler_get(connection=connection, handler_id=telegram)
    handler_set_enabled(connection=connection, user=owner, current=current, enabled=False)
    sandbox.clear_requests()
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(db) as queries:
        last = journal.handler_last_changes(connection=connection, handler_ids=[telegram, 999])
    assert len(queries) == 1
    assert sandbox.requests == []
    assert list(last) == [telegram]
    assert (last[telegram].user_name, last[telegram].action) == (
        "olga",
        JournalAction.HANDLER_DISABLED,
    )


def test_the_handler_list_says_who_last_changed_each_handler_without_asking_soclook_more(
    sandbox, api_key: str, connection: Connection, editor: User, viewer: User
) -> None:
    first = handler_get(connection=connection, handler_id=sandbox.handlers(api_key)[0]["id"])
    handler_set_enabled(connection=connection, user=editor, current=first, enabled=False)
    url = reverse("handler_list", args=[connection.pk])
    sandbox.clear_requests()
    response = client_for(viewer).get(url)
    assert "changed by egor, 0\xa0minutes ago" in response.text
    assert len(sandbox.requests) == 1


def test_a_toggled_row_comes_back_with_who_changed_it(
    sandbox, connection: Connection, editor: User, owner: User, telegram: int
) -> None:
    response = client_for(owner).post(
        reverse("handler_toggle", args=[connection.pk, telegram]),
        {"is_enabled": "0"},
        headers={"HX-Request": "true"},
    )
    assert f'id="handler-{telegram}"' in response.text
    assert "changed by olga" in response.text


# --- the journal pages --------------------------------------------------------------------------


def entry(team: Team, **fields: Any) -> JournalEntry:
    defaults: dict[str, Any] = {"action": JournalAction.HANDLER_CHANGED, "user_name": "egor"}
    return JournalEntry.objects.create(team=team, **{**defaults, **fields})


def test_the_journal_shows_changes_in_the_persons_teams_only(
    sandbox, viewer: User, stranger: User, connection: Connection, telegram: int
) -> None:
    elsewhere = Membership.objects.get(user=stranger).team
    entry(elsewhere, handler_name="Their secret project", handler_id=5)
    sandbox.clear_requests()

    response = client_for(viewer).get("/journal/")

    assert response.status_code == 200
    assert f"Support chat (#{telegram})" in response.text
    assert "Their secret project" not in response.text
    assert "Restore" not in response.text
    assert sandbox.requests == []
    assert "Support chat" not in client_for(stranger).get("/journal/").text


def test_the_journal_filters_by_person_action_handler_connection_and_date(
    team: Team, owner: User, editor: User, connection: Connection
) -> None:
    old = entry(team, handler_name="Old one", handler_id=1, user=editor, connection=connection)
    old.created_at = timezone.now() - timedelta(days=10)
    old.save()
    entry(team, handler_name="Pager", handler_id=2, user=owner, user_name="olga")
    entry(team, handler_name="Mail", handler_id=3, action=JournalAction.HANDLER_DELETED)
    client = client_for(owner)

    def names(**params: Any) -> list[str]:
        response = client.get("/journal/", params)
        assert response.status_code == 200
        return [row.entry.handler_name for row in response.context["rows"]]

    assert names() == ["Mail", "Pager", "Old one"]
    assert names(person=owner.pk) == ["Pager"]
    assert names(action="handler_deleted") == ["Mail"]
    assert names(handler="pag") == ["Pager"]
    assert names(handler="#3") == ["Mail"]
    assert names(connection=connection.pk) == ["Old one"]
    assert names(date_to=(timezone.localdate() - timedelta(days=5)).isoformat()) == ["Old one"]
    assert names(date_from=timezone.localdate().isoformat()) == ["Mail", "Pager"]


def test_the_journal_is_paginated(team: Team, owner: User) -> None:
    for number in range(55):
        entry(team, handler_name=f"Handler {number}", handler_id=number + 1)
    client = client_for(owner)
    first = client.get("/journal/")
    second = client.get("/journal/", {"page": 2})
    assert len(first.context["rows"]) == 50
    assert "Page 1 of 2" in first.text
    assert [row.entry.handler_name for row in second.context["rows"]][-1] == "Handler 0"


def test_an_htmx_filter_swaps_only_the_table(team: Team, owner: User) -> None:
    entry(team, handler_name="Pager", handler_id=2)
    response = client_for(owner).get(
        "/journal/", {"handler": "pag"}, headers={"HX-Request": "true"}
    )
    assert response.text.lstrip().startswith('<div id="journal-table"')
    assert "<nav" not in response.text.split('id="journal-table"')[0]


def test_the_csv_export_has_the_same_filters_and_no_secrets(
    sandbox, api_key: str, connection: Connection, editor: User, telegram: int
) -> None:
    current = handler_get(connection=connection, handler_id=telegram)
    handler_update(
        connection=connection,
        user=editor,
        current=current,
        name="=HYPERLINK(1)",
        type="telegram",
        settings={"telegram": NEW_TOKEN},
    )
    response = client_for(editor).get("/journal/", {"format": "csv", "action": "handler_changed"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["When", "Team", "Connection", "Person", "Change"]
    assert len(rows) == 2
    assert rows[1][3:7] == ["egor", "Handler changed", str(telegram), "'=HYPERLINK(1)"]
    assert "Bot token: changed" in rows[1][-1]
    for secret in [*secrets_of(sandbox, api_key), TOKEN, NEW_TOKEN]:
        assert secret not in response.content.decode()


def test_a_handlers_journal_follows_it_through_a_restore_under_a_new_id(
    sandbox, connection: Connection, editor: User, telegram: int
) -> None:
    current = handler_get(connection=connection, handler_id=telegram)
    handler_delete(connection=connection, user=editor, current=current)
    deleted = JournalEntry.objects.first()
    client = client_for(editor)
    client.post(reverse("journal_restore", args=[connection.pk, deleted.pk]))
    new_id = JournalEntry.objects.first().handler_id

    response = client.get(reverse("handler_journal", args=[connection.pk, new_id]))

    assert new_id != telegram
    assert [row.entry.action for row in response.context["rows"]] == [
        JournalAction.HANDLER_RESTORED,
        JournalAction.HANDLER_DELETED,
        JournalAction.HANDLER_CREATED,
    ]
    assert f"was #{telegram}" in response.text
    assert "Journal of “Support chat”" in response.text


# --- restoring ----------------------------------------------------------------------------------


def test_a_deleted_handler_is_restored_after_a_confirmation_with_secrets_masked(
    sandbox, api_key: str, connection: Connection, editor: User, telegram: int
) -> None:
    handler_delete(
        connection=connection,
        user=editor,
        current=handler_get(connection=connection, handler_id=telegram),
    )
    deleted = JournalEntry.objects.first()
    url = reverse("journal_restore", args=[connection.pk, deleted.pk])
    client = client_for(editor)
    sandbox.clear_requests()

    confirmation = client.get(url)

    assert confirmation.status_code == 200
    assert sandbox.requests == []
    assert "no longer exists in Soclook" in confirmation.text
    assert "Bot token" in confirmation.text and "set (secret, not shown)" in confirmation.text
    assert TOKEN not in confirmation.text

    response = client.post(url)

    restored = JournalEntry.objects.first()
    assert restored.action == JournalAction.HANDLER_RESTORED
    assert (restored.restored_from, restored.previous_handler_id) == (deleted, telegram)
    assert response["Location"] == reverse(
        "handler_journal", args=[connection.pk, restored.handler_id]
    )
    again = stored(sandbox, api_key, restored.handler_id)
    assert (again["name"], again["type"]) == ("Support chat", "telegram")
    assert again["settings"] == {"telegram": TOKEN, "telegram_chat_id": "-1001234567890"}


def test_a_deleted_handler_cannot_be_restored_twice(
    sandbox, api_key: str, connection: Connection, editor: User, telegram: int
) -> None:
    handler_delete(
        connection=connection,
        user=editor,
        current=handler_get(connection=connection, handler_id=telegram),
    )
    url = reverse("journal_restore", args=[connection.pk, JournalEntry.objects.first().pk])
    client = client_for(editor)
    client.post(url)
    count = len(sandbox.handlers(api_key))

    response = client.post(url)

    assert "already been restored" in response.text
    assert len(sandbox.handlers(api_key)) == count


def test_a_handler_that_was_off_comes_back_off(
    sandbox, api_key: str, connection: Connection, editor: User
) -> None:
    discord = next(
        h for h in sandbox.handlers(api_key) if h["type"] == "discord" and h["is_enabled"] == 0
    )
    handler_delete(
        connection=connection,
        user=editor,
        current=handler_get(connection=connection, handler_id=discord["id"]),
    )
    client_for(editor).post(
        reverse("journal_restore", args=[connection.pk, JournalEntry.objects.first().pk])
    )
    again = stored(sandbox, api_key, JournalEntry.objects.first().handler_id)
    assert (again["name"], again["is_enabled"]) == (discord["name"], 0)
    assert again["settings"] == discord["settings"]


def test_a_changed_handler_is_brought_back_to_its_earlier_state(
    sandbox, api_key: str, connection: Connection, editor: User, owner: User, telegram: int
) -> None:
    current = handler_get(connection=connection, handler_id=telegram)
    changed = handler_update(
        connection=connection,
        user=editor,
        current=current,
        name="Wrong chat",
        type="telegram",
        settings={"telegram": NEW_TOKEN, "telegram_chat_id": "-100999"},
    )
    handler_set_enabled(connection=connection, user=editor, current=changed, enabled=False)
    change = JournalEntry.objects.get(action=JournalAction.HANDLER_CHANGED)
    url = reverse("journal_restore", args=[connection.pk, change.pk])
    client = client_for(owner)

    confirmation = client.get(url)

    lines = [str(line) for line in confirmation.context["lines"]]
    assert lines == [
        "Name: Wrong chat → Support chat",
        "Status: Off → On",
        "Bot token: changed",
        "Chat ID: -100999 → -1001234567890",
    ]
    assert NEW_TOKEN not in confirmation.text and TOKEN not in confirmation.text

    client.post(url)

    again = stored(sandbox, api_key, telegram)
    assert (again["name"], again["is_enabled"]) == ("Support chat", 1)
    assert again["settings"] == {"telegram": TOKEN, "telegram_chat_id": "-1001234567890"}
    restored = JournalEntry.objects.first()
    assert (restored.action, restored.user, restored.handler_id) == (
        JournalAction.HANDLER_RESTORED,
        owner,
        telegram,
    )
    assert restored.previous_handler_id is None
    # The restore can itself be undone: it kept what it replaced.
    assert journal.snapshot_of(restored).name == "Wrong chat"


def test_a_handler_already_in_the_kept_state_offers_nothing_to_restore(
    sandbox, connection: Connection, editor: User, telegram: int
) -> None:
    current = handler_get(connection=connection, handler_id=telegram)
    off = handler_set_enabled(connection=connection, user=editor, current=current, enabled=False)
    handler_set_enabled(connection=connection, user=editor, current=off, enabled=True)
    disabled = JournalEntry.objects.get(action=JournalAction.HANDLER_DISABLED)

    response = client_for(editor).get(reverse("journal_restore", args=[connection.pk, disabled.pk]))

    assert "nothing to restore" in response.text
    assert '<form method="post">' not in response.text.split("</nav>", 2)[-1]


def test_a_service_refusal_during_a_restore_is_shown_and_nothing_is_recorded(
    sandbox, connection: Connection, editor: User, telegram: int
) -> None:
    handler_delete(
        connection=connection,
        user=editor,
        current=handler_get(connection=connection, handler_id=telegram),
    )
    url = reverse("journal_restore", args=[connection.pk, JournalEntry.objects.first().pk])
    sandbox.add_fault(Fault("rate_limit", method="POST"))

    response = client_for(editor).post(url)

    assert response.status_code == 200
    assert response.context["error"]
    assert not JournalEntry.objects.filter(action=JournalAction.HANDLER_RESTORED).exists()


def test_an_entry_without_a_snapshot_cannot_be_restored(
    connection: Connection, editor: User, telegram: int
) -> None:
    created = JournalEntry.objects.get()
    response = client_for(editor).get(reverse("journal_restore", args=[connection.pk, created.pk]))
    assert response.status_code == 404


def test_an_entry_of_another_connection_is_not_found_through_this_one(
    sandbox, team: Team, owner: User, connection: Connection, editor: User, telegram: int
) -> None:
    other = Connection(team=team, name="Other", base_url=sandbox.base_url)
    other.set_api_key(sandbox.add_account(seed=1))
    other.save()
    handler_delete(
        connection=connection,
        user=editor,
        current=handler_get(connection=connection, handler_id=telegram),
    )
    response = client_for(owner).get(
        reverse("journal_restore", args=[other.pk, JournalEntry.objects.first().pk])
    )
    assert response.status_code == 404


# --- secrets stay secret -----------------------------------------------------------------------


def test_no_secret_reaches_a_journal_page_the_csv_or_the_logs(
    sandbox, api_key: str, connection: Connection, editor: User, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = [s for s in secrets_of(sandbox, api_key) if len(s) >= 6]
    client = client_for(editor)
    for record in sandbox.handlers(api_key)[:12]:
        current = handler_get(connection=connection, handler_id=record["id"])
        handler_delete(connection=connection, user=editor, current=current)
    pages = []
    for deleted in JournalEntry.objects.filter(action=JournalAction.HANDLER_DELETED):
        url = reverse("journal_restore", args=[connection.pk, deleted.pk])
        pages.append(client.get(url).text)
        client.post(url)
    pages += [
        client.get("/journal/").text,
        client.get("/journal/", {"format": "csv"}).content.decode(),
    ]
    for restored in JournalEntry.objects.filter(action=JournalAction.HANDLER_RESTORED):
        url = reverse("handler_journal", args=[connection.pk, restored.handler_id])
        pages.append(client.get(url).text)
    assert len(secrets) > 10
    assert JournalEntry.objects.filter(action=JournalAction.HANDLER_RESTORED).count() >= 10
    for text in [*pages, caplog.text]:
        for secret in secrets:
            assert secret not in text


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


def test_the_journal_keeps_the_name_of_a_person_whose_account_is_gone(
    team: Team, owner: User
) -> None:
    gone = make_user("gone")
    Membership.objects.create(user=gone, team=team, role=Role.EDITOR)
    entry(team, user=gone, user_name="gone", handler_name="Pager", handler_id=3)
    gone.delete()
    assert "gone" in client_for(owner).get("/journal/").text
