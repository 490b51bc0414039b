"""Restoring from the journal while others restore from the same entry at the same moment."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from handlers_app.journal.restoring import RESTORE_CLAIM_SECONDS
from handlers_app.models import Connection, JournalAction, JournalEntry
from handlers_app.selectors import handler_get
from handlers_app.services import handler_delete
from tests.helpers import client_for

pytestmark = pytest.mark.django_db(transaction=True)

RESTORERS = 6


@pytest.fixture
def deleted(sandbox, api_key: str, connection: Connection, editor: User) -> JournalEntry:
    """A handler deleted through the dashboard: the journal entry a restore starts from."""
    webhook = next(h for h in sandbox.handlers(api_key) if h["type"] == "webhook")
    handler_delete(
        connection=connection,
        user=editor,
        current=handler_get(connection=connection, handler_id=webhook["id"]),
    )
    return JournalEntry.objects.get(action=JournalAction.HANDLER_DELETED)


def named(sandbox, api_key: str, name: str) -> list[dict]:
    return [h for h in sandbox.handlers(api_key) if h["name"] == name]


def restore_at_once(url: str, clients: list[Client]) -> list[tuple[int, str]]:
    """Every client posts the restore at the same moment; their status codes and pages."""
    start = threading.Barrier(len(clients))
    answers: list[tuple[int, str]] = []

    def restore(client: Client) -> None:
        try:
            start.wait()
            response = client.post(url)
            answers.append((response.status_code, response.text))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=restore, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_six_simultaneous_restores_of_a_deleted_handler_bring_it_back_once(
    sandbox, api_key: str, connection: Connection, editor: User, deleted: JournalEntry
) -> None:
    # Soclook takes a while to answer, so that every restore starts before the first is done.
    sandbox.latency_ms = 300
    url = reverse("journal_restore", args=[connection.pk, deleted.pk])
    clients = []
    for _ in range(RESTORERS):
        client = Client(raise_request_exception=False)
        client.force_login(editor)
        clients.append(client)

    answers = restore_at_once(url, clients)

    assert len(named(sandbox, api_key, deleted.handler_name)) == 1
    restored = JournalEntry.objects.get(action=JournalAction.HANDLER_RESTORED)
    assert sorted(status for status, _ in answers) == [200] * (RESTORERS - 1) + [302]
    journal_url = reverse("handler_journal", args=[connection.pk, restored.handler_id])
    for status, text in answers:
        if status == 200:
            told = (
                f"already been restored, as #{restored.handler_id}" in text and journal_url in text
            ) or ("restoring this handler from this entry right now" in text and url in text)
            assert told, text
    deleted.refresh_from_db()
    assert deleted.restore_started_at is None, "the entry is free again"


def test_while_a_restore_is_under_way_the_page_says_so_and_offers_no_second_one(
    sandbox, api_key: str, connection: Connection, editor: User, deleted: JournalEntry
) -> None:
    JournalEntry.objects.filter(pk=deleted.pk).update(restore_started_at=timezone.now())
    url = reverse("journal_restore", args=[connection.pk, deleted.pk])
    client = client_for(editor)

    page = client.get(url)
    posted = client.post(url)

    for response in (page, posted):
        assert response.status_code == 200
        assert "restoring this handler from this entry right now" in response.text
        assert "Create it again" not in response.text
    assert named(sandbox, api_key, deleted.handler_name) == []


def test_a_restore_left_unfinished_by_a_stopped_server_does_not_hold_the_entry_for_ever(
    sandbox, api_key: str, connection: Connection, editor: User, deleted: JournalEntry
) -> None:
    abandoned = timezone.now() - timedelta(seconds=RESTORE_CLAIM_SECONDS + 1)
    JournalEntry.objects.filter(pk=deleted.pk).update(restore_started_at=abandoned)

    response = client_for(editor).post(reverse("journal_restore", args=[connection.pk, deleted.pk]))

    assert response.status_code == 302
    assert len(named(sandbox, api_key, deleted.handler_name)) == 1
