"""Restoring a handler from a journal entry."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from handlers_app.journal.recording import snapshot_of
from handlers_app.models import Connection, JournalAction, JournalEntry, Team
from handlers_app.sandbox import Fault
from handlers_app.selectors import handler_get
from handlers_app.services import handler_delete, handler_set_enabled, handler_update
from tests.helpers import client_for
from tests.journal_support import NEW_TOKEN, TOKEN, add_telegram, stored


@pytest.fixture
def telegram(connection: Connection, editor: User) -> int:
    return add_telegram(connection=connection, user=editor)


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
        "Status: Disabled → Enabled",
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
    assert snapshot_of(restored).name == "Wrong chat"


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
