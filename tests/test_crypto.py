from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection as db
from django.test import override_settings

from handlers_app import crypto
from handlers_app.models import Connection
from handlers_app.soclook.errors import KeyUnreadable

OLD_KEY = crypto.generate_key()
NEW_KEY = crypto.generate_key()


@pytest.fixture
def stored(team) -> Connection:
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        connection = Connection(team=team, name="Main", base_url="https://soclook.ru/api/")
        connection.set_api_key("sk-live-0123456789abcdef")
        connection.save()
    return connection


def raw_column(connection: Connection) -> str:
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT api_key_encrypted FROM handlers_app_connection WHERE id = %s", [connection.pk]
        )
        return cursor.fetchone()[0]


def test_the_database_column_never_holds_the_plaintext_key(stored: Connection) -> None:
    column = raw_column(stored)
    assert "sk-live-0123456789abcdef" not in column
    assert "0123456789abcdef" not in column


def test_the_key_reads_back_with_the_configured_key(stored: Connection) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        assert Connection.objects.get(pk=stored.pk).api_key == "sk-live-0123456789abcdef"


def test_only_the_last_four_characters_are_kept_for_display(stored: Connection) -> None:
    assert stored.masked_key == "••••cdef"


def test_rotation_re_encrypts_with_the_newest_key(stored: Connection) -> None:
    before = raw_column(stored)
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        call_command("rotate_encryption_keys")
    after = raw_column(stored)
    assert after != before
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        assert Connection.objects.get(pk=stored.pk).api_key == "sk-live-0123456789abcdef"


def test_a_value_from_an_unknown_key_is_refused_not_garbled(stored: Connection) -> None:
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]),
        pytest.raises(KeyUnreadable, match="can no longer be read"),
    ):
        Connection.objects.get(pk=stored.pk).api_key  # noqa: B018
