"""Changes made in Soclook itself, not through the dashboard, reach the journal on the next read
of the account (a Refresh): a handler created, changed (secrets only as "changed") or deleted
there, seen at that moment; a deleted one comes back from its entry. The dashboard's own changes
are not taken for outside ones, and the first read of an account only takes note of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import translation

from handlers_app.models import Connection, JournalAction, JournalEntry
from handlers_app.selectors import handler_get
from handlers_app.services import handler_create, handler_delete, handler_update
from tests.helpers import client_for
from tests.journal_support import NEW_TOKEN, TOKEN, stored
from tests.sandbox_support import Api

OUTSIDE = (
    JournalAction.HANDLER_CREATED_OUTSIDE,
    JournalAction.HANDLER_CHANGED_OUTSIDE,
    JournalAction.HANDLER_DELETED_OUTSIDE,
)


@pytest.fixture(autouse=True)
def _english_after_each_test() -> Iterator[None]:
    yield
    translation.deactivate()


def refresh(user: User, connection: Connection) -> None:
    url = reverse("handler_list", args=[connection.pk]) + "?refresh=1"
    assert client_for(user).get(url).status_code == 200


def outside_entries() -> list[JournalEntry]:
    return list(JournalEntry.objects.filter(action__in=OUTSIDE).order_by("id"))


def test_a_handler_created_in_soclook_is_journalled_after_a_refresh(
    sandbox, api_key: str, connection: Connection, editor: User
) -> None:
    refresh(editor, connection)
    made = Api(sandbox.base_url, api_key).create(
        type="email", name="Made in Soclook", email="night@example.com"
    )
    assert made.status_code == 201

    refresh(editor, connection)

    [entry] = outside_entries()
    assert (entry.action, entry.handler_name, entry.user) == (
        JournalAction.HANDLER_CREATED_OUTSIDE,
        "Made in Soclook",
        None,
    )
    page = client_for(editor).get(reverse("journal")).text
    assert "Handler created outside the dashboard" in page
    assert "outside the dashboard</span>" in page
    assert "seen at" in page
    assert "night@example.com" in page


def test_the_journal_says_seen_outside_in_russian(
    sandbox, api_key: str, connection: Connection, editor: User
) -> None:
    refresh(editor, connection)
    Api(sandbox.base_url, api_key).create(type="email", name="Снаружи", email="a@example.com")
    refresh(editor, connection)

    page = client_for(editor).get(reverse("journal"), HTTP_ACCEPT_LANGUAGE="ru").text

    assert "Обработчик создан вне панели" in page
    assert "замечено" in page


def test_the_first_read_of_an_account_journals_nothing(
    connection: Connection, editor: User
) -> None:
    refresh(editor, connection)
    refresh(editor, connection)

    assert outside_entries() == []


def test_the_dashboards_own_changes_are_not_taken_for_outside_ones(
    sandbox, api_key: str, connection: Connection, editor: User
) -> None:
    refresh(editor, connection)
    new_id = handler_create(
        connection=connection,
        user=editor,
        name="Ours",
        type="email",
        settings={"email": "ours@example.com"},
    )
    first = next(h for h in sandbox.handlers(api_key) if h["id"] != new_id)
    current = handler_get(connection=connection, handler_id=first["id"])
    handler_update(
        connection=connection,
        user=editor,
        current=current,
        name="Renamed here",
        type=current.type,
        settings={},
    )
    handler_delete(
        connection=connection,
        user=editor,
        current=handler_get(connection=connection, handler_id=new_id),
    )

    refresh(editor, connection)

    assert outside_entries() == []


def test_a_secret_changed_in_soclook_is_journalled_only_as_changed(
    sandbox, api_key: str, connection: Connection, editor: User
) -> None:
    chat = sandbox.add_handler(
        api_key,
        type="telegram",
        name="Support chat",
        settings={"telegram": TOKEN, "telegram_chat_id": "-1001"},
    )
    refresh(editor, connection)
    changed = Api(sandbox.base_url, api_key).update(
        chat["id"],
        type="telegram",
        name="Support chat",
        telegram=NEW_TOKEN,
        telegram_chat_id="-1002",
    )
    assert changed.status_code == 200

    refresh(editor, connection)

    [entry] = outside_entries()
    assert entry.action == JournalAction.HANDLER_CHANGED_OUTSIDE
    page = client_for(editor).get(reverse("journal")).text
    assert "Handler changed outside the dashboard" in page
    assert "<del>-1001</del> → -1002" in page
    assert "<em>changed</em>" in page
    assert TOKEN not in page and NEW_TOKEN not in page
    assert TOKEN not in str(entry.changes) and NEW_TOKEN not in str(entry.changes)


def test_a_handler_deleted_in_soclook_is_brought_back_from_the_journal(
    sandbox, api_key: str, connection: Connection, editor: User
) -> None:
    chat = sandbox.add_handler(
        api_key,
        type="telegram",
        name="Support chat",
        settings={"telegram": TOKEN, "telegram_chat_id": "-1001"},
    )
    refresh(editor, connection)
    assert Api(sandbox.base_url, api_key).delete(chat["id"]).status_code in (200, 204)
    refresh(editor, connection)
    [entry] = outside_entries()
    assert entry.action == JournalAction.HANDLER_DELETED_OUTSIDE
    page = client_for(editor).get(reverse("journal")).text
    assert "Bring it back" in page

    url = reverse("journal_restore", args=[connection.pk, entry.pk])
    response = client_for(editor).post(url)

    assert response.status_code == 302
    restored = JournalEntry.objects.get(action=JournalAction.HANDLER_RESTORED)
    again = stored(sandbox, api_key, restored.handler_id)
    assert again["name"] == "Support chat"
    assert again["settings"]["telegram"] == TOKEN
    assert again["settings"]["telegram_chat_id"] == "-1001"


def test_a_viewer_sees_the_entry_but_cannot_bring_it_back(
    sandbox, api_key: str, connection: Connection, viewer: User
) -> None:
    chat = sandbox.add_handler(
        api_key, type="email", name="Desk", settings={"email": "desk@example.com"}
    )
    refresh(viewer, connection)
    Api(sandbox.base_url, api_key).delete(chat["id"])
    refresh(viewer, connection)

    page = client_for(viewer).get(reverse("journal")).text

    assert "Handler deleted outside the dashboard" in page
    assert "Bring it back" not in page
