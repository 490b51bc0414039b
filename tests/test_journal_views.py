"""The journal pages, and who last changed each handler as the handler list shows it."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection as db
from django.urls import reverse
from django.utils import timezone

from handlers_app.journal.queries import handler_last_changes
from handlers_app.models import Connection, JournalAction, JournalEntry, Membership, Role, Team
from handlers_app.selectors import handler_get
from handlers_app.services import handler_delete, handler_set_enabled
from tests.helpers import client_for, make_user
from tests.journal_support import add_telegram, entry, secrets_of


@pytest.fixture
def telegram(connection: Connection, editor: User) -> int:
    return add_telegram(connection=connection, user=editor)


# --- "who last changed it" ------------------------------------------------------------------------


def test_the_last_change_of_each_handler_comes_from_one_query_and_no_request(
    sandbox, connection: Connection, editor: User, owner: User, telegram: int
) -> None:
    current = handler_get(connection=connection, handler_id=telegram)
    handler_set_enabled(connection=connection, user=owner, current=current, enabled=False)
    sandbox.clear_requests()
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(db) as queries:
        last = handler_last_changes(connection=connection, handler_ids=[telegram, 999])
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
    assert "changed by egor, just now" in response.text
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
    for button in ("Restore", "Undo this change", "Bring it back"):
        assert button not in response.text
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


def test_the_journal_keeps_the_name_of_a_person_whose_account_is_gone(
    team: Team, owner: User
) -> None:
    gone = make_user("gone")
    Membership.objects.create(user=gone, team=team, role=Role.EDITOR)
    entry(team, user=gone, user_name="gone", handler_name="Pager", handler_id=3)
    gone.delete()
    assert "gone" in client_for(owner).get("/journal/").text
