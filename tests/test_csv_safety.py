"""Every CSV the dashboard writes opens in a spreadsheet as text, never as a formula, and reads
Cyrillic right; the import reads back what the dashboard wrote."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.urls import reverse

from handlers_app.csv_files import guard_cell, unguard_cell
from handlers_app.models import Connection, JournalAction, JournalEntry, Team
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

BOM = b"\xef\xbb\xbf"

# A name as typed into the dashboard, and the cell a spreadsheet must get for it.
NAMES = [
    ("x;=cmd|' /C calc'!A0", "'x;=cmd|' /C calc'!A0"),
    ("x, +1", "'x, +1"),
    ("first line\n@SUM(1)", "'first line\n@SUM(1)"),
    ("\uff1d3+3", "'\uff1d3+3"),
    ("\uff0bcmd", "'\uff0bcmd"),
    ("\uff20SUM(A1)", "'\uff20SUM(A1)"),
    ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
    (" -2+3", "' -2+3"),
    ("\tTabbed", "'\tTabbed"),
    ("Дежурная смена", "Дежурная смена"),
    ("Mail - night shift; daily", "Mail - night shift; daily"),
]


def csv_rows(response: HttpResponse) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def every_cell_is_quoted(response: HttpResponse) -> bool:
    quoted = (
        '"' + '","'.join(cell.replace('"', '""') for cell in row) + '"\r\n'
        for row in csv_rows(response)
    )
    return response.content.decode("utf-8-sig") == "".join(quoted)


def test_the_journal_export_guards_formulas_after_a_separator_and_in_full_width(
    team: Team, editor: User
) -> None:
    for name, _cell in NAMES:
        JournalEntry.objects.create(
            team=team, action=JournalAction.HANDLER_CREATED, user_name="egor", handler_name=name
        )

    response = client_for(editor).get("/journal/", {"format": "csv"})

    assert response.content.startswith(BOM)
    rows = csv_rows(response)
    assert rows[0][:2] == ["When", "Team"]
    handler_cells = {row[6] for row in rows[1:]}
    assert handler_cells == {cell for _name, cell in NAMES}
    assert every_cell_is_quoted(response)


def test_the_journal_export_is_quoted_with_a_bom_in_russian_too(team: Team, editor: User) -> None:
    JournalEntry.objects.create(
        team=team, action=JournalAction.HANDLER_CREATED, user_name="egor", handler_name="Почта"
    )

    response = client_for(editor).get(
        "/journal/", {"format": "csv"}, headers={"Accept-Language": "ru"}
    )

    assert response.content.startswith(BOM + '"Когда"'.encode())
    assert "Почта" in csv_rows(response)[1]
    assert every_cell_is_quoted(response)


def test_the_import_template_is_quoted_with_a_bom_and_its_negative_ids_guarded(
    editor: User, connection: Connection
) -> None:
    response = client_for(editor).get(reverse("handler_import_template", args=[connection.pk]))

    assert response.content.startswith(BOM + b'"type","name","email",')
    assert every_cell_is_quoted(response)
    assert "'-1001234567890" in [cell for row in csv_rows(response) for cell in row]


@pytest.mark.parametrize(
    "value",
    [name for name, _cell in NAMES] + ["'=1", "''=1", "'", "''", "'plain", "-100", "", "plain"],
)
def test_a_guarded_cell_reads_back_as_it_was(value: str) -> None:
    assert unguard_cell(guard_cell(value)) == value


def test_the_import_reads_guarded_cells_as_the_values_they_guard(
    editor: User, connection: Connection
) -> None:
    content = (
        '"type","name","telegram","telegram_chat_id"\r\n'
        '"telegram","\'=Night shift","7000000001:AAHbot-token","\'-1001234567890"\r\n'
        '"email","\'plain","",""\r\n'
    )
    upload = SimpleUploadedFile("team.csv", BOM + content.encode(), content_type="text/csv")

    response = client_for(editor).post(
        reverse("handler_import", args=[connection.pk]), {"file": upload}, follow=True
    )

    html = response.content.decode()
    assert "=Night shift" in html and "'=Night shift" not in html
    assert "Chat ID -1001234567890" in html and "'-1001234567890" not in html
    assert "&#x27;plain" in html
