"""Reading a JSON export (handlers_app.imports.reading.parse_json_text) and a CSV export's note
line: a file that is not an export, or from a newer version, is refused with a clear message;
each handler is checked as a CSV row is; a secret the export left out reads "Needs the secret"."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import translation

from handlers_app.imports.reading import (
    MAX_ROWS,
    ImportFileError,
    ParsedRow,
    parse_csv_text,
    parse_json_text,
)
from tests.imports_support import BOT_TOKEN, SLACK_URL


def texts(row: ParsedRow) -> list[str]:
    """A row's problems as a person reads them, in the active language."""
    return [str(problem) for problem in row.problems]


def document(*handlers: dict[str, Any], **fields: Any) -> str:
    return json.dumps(
        {
            "format": "soclook-dashboard-handlers",
            "version": 1,
            "exported_at": "2026-12-02T06:00:00+00:00",
            "connection": "Test account",
            "secrets": "included",
            "handlers": list(handlers),
            **fields,
        }
    )


def refusal(text: str) -> list[str]:
    with pytest.raises(ImportFileError) as caught:
        parse_json_text(text)
    return caught.value.messages


@pytest.mark.parametrize(
    "text",
    ["{not json", "[]", '{"format": "someone-elses", "handlers": []}', json.dumps({"a": 1})],
)
def test_a_json_file_that_is_not_an_export_is_refused_plainly(text: str) -> None:
    assert refusal(text) == [
        "This JSON file is not an export of this dashboard. Import the file the Export page "
        "downloads, or a CSV file made from the template."
    ]


def test_an_export_of_a_newer_version_is_refused_with_the_versions() -> None:
    assert refusal(document(version=2)) == [
        "This export is in version 2 of the format; this dashboard reads version 1. Export it "
        "again as CSV and import that."
    ]


def test_an_export_without_handlers_is_refused() -> None:
    assert refusal(document()) == ["The file has no handlers in it."]


def test_an_export_of_more_handlers_than_an_import_takes_is_refused() -> None:
    handler = {"type": "email", "name": "Mail", "settings": {"email": "a@example.com"}}

    (message,) = refusal(document(*[handler] * (MAX_ROWS + 1)))

    assert message.startswith(f"The file has more than {MAX_ROWS} handlers.")


def test_each_handler_is_checked_as_a_csv_row_is() -> None:
    rows = parse_json_text(
        document(
            {"type": "slack", "name": "Support", "settings": {"slack": SLACK_URL}},
            {"type": "telegram", "name": "Bot", "settings": {"telegram": "has spaces"}},
            {"type": "twilio", "name": "Unknown", "settings": {"sid": "x"}},
            "not a handler",
            {"type": "email", "name": "Mail", "settings": {"email": "a@example.com", "x": [1]}},
        )
    )

    assert [row.number for row in rows] == [1, 2, 3, 4, 5]
    assert rows[0].is_valid and rows[0].settings == {"slack": SLACK_URL}
    assert any("Remove the spaces" in p for p in texts(rows[1]))
    assert any("not a type this dashboard can create" in p for p in texts(rows[2]))
    assert "Name: this field is required." in texts(rows[3])
    assert rows[4].is_valid


def test_a_secret_left_out_of_the_export_reads_needs_the_secret() -> None:
    (row,) = parse_json_text(
        document(
            {
                "type": "telegram",
                "name": "Bot",
                "settings": {"telegram_chat_id": "-1001234567890"},
                "secrets_left_out": ["telegram"],
            },
            secrets="left-out",
        )
    )

    assert texts(row) == [
        "Needs the secret: Bot token (telegram) was left out of the export. Fill it in (in a CSV "
        "file, in the column “Bot token”) and upload the file again; until then this handler is "
        "not created.",
    ]


def test_a_secret_filled_into_an_export_without_secrets_is_taken() -> None:
    (row,) = parse_json_text(
        document(
            {
                "type": "telegram",
                "name": "Bot",
                "settings": {"telegram": BOT_TOKEN, "telegram_chat_id": "-100123"},
                "secrets_left_out": ["telegram", "telegram_chat_id"],
            },
            secrets="left-out",
        )
    )

    assert row.is_valid


def test_an_empty_secret_in_a_file_that_is_not_an_export_is_a_plain_missing_field() -> None:
    rows = parse_csv_text("type,name,telegram,telegram_chat_id\ntelegram,Bot,,-100123\n")

    assert texts(rows[0]) == ["Bot token (telegram): This field is required."]


def test_a_csv_exports_note_line_is_skipped_and_its_rows_keep_their_spreadsheet_numbers() -> None:
    rows = parse_csv_text(
        '"# soclook-dashboard-handlers/1 secrets=left-out";"Secrets left out; fill them in"\n'
        "type;name;slack\n"
        "slack;Support;\n"
    )

    assert [row.number for row in rows] == [3]
    assert texts(rows[0])[0].startswith("Needs the secret: Slack webhook URL (slack)")


def test_needs_the_secret_reads_in_the_language_of_whoever_reads_it() -> None:
    with translation.override("en"):
        (row,) = parse_json_text(
            document({"type": "slack", "name": "S", "settings": {}}, secrets="left-out")
        )

    with translation.override("ru"):
        assert texts(row)[0].startswith("Нужен секрет:")


def test_a_handler_exported_switched_off_is_marked_to_be_switched_off() -> None:
    rows = parse_json_text(
        document(
            {"type": "email", "name": "Off", "enabled": False, "settings": {"email": "a@b.co"}},
            {"type": "email", "name": "On", "enabled": True, "settings": {"email": "c@d.co"}},
            {"type": "email", "name": "Unsaid", "settings": {"email": "e@f.co"}},
        )
    )

    assert [row.enabled for row in rows] == [False, True, True]
