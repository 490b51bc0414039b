"""The journal as a CSV file."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User

from handlers_app.models import Connection
from handlers_app.selectors import handler_get
from handlers_app.services import handler_update
from tests.helpers import client_for
from tests.journal_support import NEW_TOKEN, TOKEN, add_telegram, secrets_of


@pytest.fixture
def telegram(connection: Connection, editor: User) -> int:
    return add_telegram(connection=connection, user=editor)


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
