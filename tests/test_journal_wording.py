"""The journal says what happened and what a button will do: a new handler's secret was "set";
undoing a switch or an edit reads "Undo this change", a deletion "Bring it back"; the first
minute is "just now"; a handler's own journal filters only by what can happen to a handler."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone, translation

from handlers_app.models import Connection, JournalEntry
from handlers_app.selectors import handler_get
from handlers_app.services import handler_create, handler_delete, handler_set_enabled
from tests.helpers import client_for

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}


@pytest.fixture(autouse=True)
def _english_after_each_test() -> Iterator[None]:
    """A Russian request leaves its language active in this thread; the next test starts afresh."""
    yield
    translation.deactivate()


@pytest.fixture
def telegram(connection: Connection, editor: User) -> int:
    return handler_create(
        connection=connection,
        user=editor,
        name="Support chat",
        type="telegram",
        settings={"telegram": "123456789:AAHsecret-token", "telegram_chat_id": "-1001"},
    )


def journal_page(user: User, connection: Connection, handler_id: int, language: dict) -> str:
    url = reverse("handler_journal", args=[connection.pk, handler_id])
    return client_for(user).get(url, **language).text


@pytest.mark.parametrize(("language", "word"), [(EN, "set"), (RU, "задано")])
def test_a_new_handlers_secret_reads_set_not_changed(
    editor: User, connection: Connection, telegram: int, language: dict, word: str
) -> None:
    page = journal_page(editor, connection, telegram, language)

    assert f"<em>{word}</em>" in page
    assert "<em>changed</em>" not in page and "<em>изменено</em>" not in page


def test_the_csv_says_a_new_handlers_secret_was_set(
    editor: User, connection: Connection, telegram: int
) -> None:
    url = reverse("handler_journal", args=[connection.pk, telegram])
    csv = client_for(editor).get(url, {"format": "csv"}).content.decode()

    assert "Bot token: set" in csv
    assert "Bot token: changed" not in csv


@pytest.mark.parametrize(
    ("language", "undo", "bring_back"),
    [(EN, "Undo this change", "Bring it back"), (RU, "Отменить это изменение", "Вернуть")],
)
def test_each_restore_button_says_what_it_will_do(
    editor: User,
    connection: Connection,
    telegram: int,
    language: dict,
    undo: str,
    bring_back: str,
) -> None:
    current = handler_get(connection=connection, handler_id=telegram)
    handler_set_enabled(connection=connection, user=editor, current=current, enabled=False)
    switched = journal_page(editor, connection, telegram, language)
    current = handler_get(connection=connection, handler_id=telegram)
    handler_delete(connection=connection, user=editor, current=current)
    deleted = journal_page(editor, connection, telegram, language)

    assert switched.count(undo) == 1
    assert bring_back not in switched.replace(undo, "")
    assert deleted.count(bring_back) == 1
    assert ">Restore<" not in deleted and ">Восстановить<" not in deleted


@pytest.mark.parametrize(("language", "words"), [(EN, "just now"), (RU, "только что")])
def test_a_change_of_the_last_minute_reads_just_now(
    editor: User, connection: Connection, telegram: int, language: dict, words: str
) -> None:
    page = journal_page(editor, connection, telegram, language)

    assert words in page
    assert "0 minutes" not in page and "0 минут" not in page


def test_an_older_change_reads_how_long_ago(
    editor: User, connection: Connection, telegram: int
) -> None:
    JournalEntry.objects.update(created_at=timezone.now() - timedelta(minutes=5))

    page = journal_page(editor, connection, telegram, EN)

    assert "5\N{NO-BREAK SPACE}minutes ago" in page
    assert "just now" not in page


@pytest.mark.parametrize("language", [EN, RU])
def test_a_handlers_journal_filters_only_by_what_can_happen_to_a_handler(
    editor: User, connection: Connection, telegram: int, language: dict
) -> None:
    page = journal_page(editor, connection, telegram, language)
    everything = client_for(editor).get(reverse("journal"), **language).text

    for team_event in ("member_joined", "invitation_created", "team_renamed", "connection_added"):
        assert f'value="{team_event}"' not in page
        assert f'value="{team_event}"' in everything
    for handler_event in ("handler_created", "handler_deleted", "handler_tested"):
        assert f'value="{handler_event}"' in page
