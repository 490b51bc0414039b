"""The journal keeps what happened as codes and values, and says it in the language of whoever
reads it: a test made by a Russian editor reads in English to an English owner, and the other way
round. Entries written before (their destination a sentence in the tester's language) read in
the reader's language too."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from handlers_app.models import Connection, JournalAction, JournalEntry
from tests.fake_destinations import Reply, Services
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

RU = {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
HTMX = {"HTTP_HX_REQUEST": "true"}
TELEGRAM = {"telegram": "123456789:AAHtestTokenXyz987", "telegram_chat_id": "-1001234567890"}


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Services:
    return Services(monkeypatch)


def text_of(markup: str) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", markup).split()))


def journal_text(user: User, **headers: str) -> str:
    return text_of(client_for(user).get(reverse("journal"), **headers).text)


def test_a_test_made_in_russian_reads_in_english_and_the_other_way_round(
    editor: User, owner: User, connection: Connection, services: Services
) -> None:
    services.answer(Reply(200, '{"ok": true, "result": {"message_id": 7}}'))
    client_for(editor).post(
        reverse("handler_form_test", args=[connection.pk]),
        {"name": "On call", "type": "telegram", **TELEGRAM},
        **HTMX,
        **RU,
    )

    english = journal_text(owner, **EN)
    russian = journal_text(owner, **RU)

    assert "Chat ID -1001234567890" in english
    assert "ID чата" not in english
    assert "ID чата -1001234567890" in russian
    assert "Chat ID" not in russian


def test_an_entry_written_before_keeps_reading_in_the_readers_language(
    owner: User, connection: Connection
) -> None:
    JournalEntry.objects.create(
        team=connection.team,
        connection=connection,
        connection_name=connection.name,
        action=JournalAction.HANDLER_TESTED,
        user=owner,
        handler_id=7,
        handler_name="On call",
        handler_type="telegram",
        changes=[
            {"field": "test_result", "after": {"result": "delivered", "reason": "accepted"}},
            {"field": "destination", "after": "ID чата -1001234567890"},
            {"field": "tested_settings", "after": "stored"},
        ],
    )

    assert "Chat ID -1001234567890" in journal_text(owner, **EN)
