"""Exporting a connection's handlers: which handlers (a selection of handlers_app.batches:
ids, the list's filter, or all), and the file (a versioned JSON document, or CSV with the
form's labels as its columns).

Reads go through the read cache: an account of at most EXPORT_MAX_HANDLERS handlers is one
snapshot, so an export costs at most one request to Soclook, and none while the list is fresh.
The secrets reach the file only where handlers_app.secret_flow allows (an owner of the team).
Secrets (the registry's secret fields) are left out unless `include_secrets` is set, which only
owners may ask for (the view checks); such an export is journalled with who made it.

Both files import back through handlers_app.imports unchanged: the JSON document's
`secrets_left_out` and the CSV file's "Secrets left out" column say, per handler, which secrets
are not in the file, so that the import can tell "left out of the export" from "the cell is
empty"; the CSV file's header is the form's labels in the exporter's language, with an "On"
column, so that a spreadsheet reads it as a person would.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from handlers_app.batches import MAX_SELECTED, Selection, selection_handlers
from handlers_app.imports.columns import (
    ENABLED,
    FIXED_COLUMNS,
    ROW_COLUMNS,
    SECRETS_LEFT_OUT_COLUMN,
    column_label,
    enabled_word,
    left_out_words,
    settings_columns,
)
from handlers_app.imports.reading import (
    EXPORT_FORMAT_NAME,
    EXPORT_FORMAT_VERSION,
    MAX_ROWS,
    SECRETS_INCLUDED,
    SECRETS_LEFT_OUT,
)
from handlers_app.journal.recording import record_handlers_exported
from handlers_app.models import Connection
from handlers_app.soclook import Handler

__all__ = [
    "EXPORT_MAX_HANDLERS",
    "ExportFormat",
    "TooManyToExport",
    "export_csv_rows",
    "export_document",
    "export_handlers",
    "export_json",
    "export_record",
]

# An export is one file an import takes whole, of at most one selection's handlers.
EXPORT_MAX_HANDLERS = min(MAX_ROWS, MAX_SELECTED)


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


class TooManyToExport(Exception):
    def __init__(self, total: int) -> None:
        super().__init__(total)
        self.total = total


def export_handlers(*, connection: Connection, selection: Selection) -> list[Handler]:
    """The selected handlers (handlers_app.batches: ids, or every handler matching the list's
    filter), in the list's order; raises TooManyToExport past EXPORT_MAX_HANDLERS. A selected
    handler deleted meanwhile is left out."""
    handlers, matched = selection_handlers(connection=connection, selection=selection)
    if matched > EXPORT_MAX_HANDLERS:
        raise TooManyToExport(matched)
    return handlers


def _settings(handler: Handler, *, include_secrets: bool) -> dict[str, str]:
    handler_type = handler.handler_type
    kept: dict[str, str] = {}
    for key, value in handler.settings.items():
        spec = handler_type.get_field(key)
        # A field the registry does not know is treated as a secret: it may be one.
        if include_secrets or (spec is not None and not spec.secret):
            kept[key] = value
    return kept


def _left_out(handler: Handler, *, include_secrets: bool) -> list[str]:
    if include_secrets:
        return []
    kept = _settings(handler, include_secrets=False)
    return [key for key, value in handler.settings.items() if value and key not in kept]


def export_document(
    *,
    connection: Connection,
    handlers: Sequence[Handler],
    include_secrets: bool,
    exported_at: datetime | None = None,
) -> dict[str, Any]:
    """The JSON export: a versioned document a person can read and the import takes back."""
    moment = exported_at or timezone.now()
    items = []
    for handler in handlers:
        item: dict[str, Any] = {
            "name": handler.name,
            "type": handler.type,
            "enabled": handler.is_enabled,
            "settings": _settings(handler, include_secrets=include_secrets),
        }
        left_out = _left_out(handler, include_secrets=include_secrets)
        if left_out:
            item["secrets_left_out"] = left_out
        items.append(item)
    return {
        "format": EXPORT_FORMAT_NAME,
        "version": EXPORT_FORMAT_VERSION,
        "exported_at": moment.isoformat(timespec="seconds"),
        "connection": connection.name,
        "secrets": SECRETS_INCLUDED if include_secrets else SECRETS_LEFT_OUT,
        "handlers": items,
    }


def export_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def export_csv_rows(*, handlers: Iterable[Handler], include_secrets: bool) -> list[list[str]]:
    """The header (the columns' labels in the active language, handlers_app.imports.columns),
    then one row per handler: its type as the form names it, its name, whether it is on, its
    settings, and the labels of those left out of the file."""
    columns = [*FIXED_COLUMNS, ENABLED, *settings_columns(), SECRETS_LEFT_OUT_COLUMN]
    rows = [[column_label(column) for column in columns]]
    for handler in handlers:
        row = dict.fromkeys(columns, "")
        row["type"] = str(handler.handler_type.label)
        row["name"] = handler.name
        row[ENABLED] = enabled_word(handler.is_enabled)
        for key, value in _settings(handler, include_secrets=include_secrets).items():
            if key in row and key not in ROW_COLUMNS:
                row[key] = value
        row[SECRETS_LEFT_OUT_COLUMN] = left_out_words(
            _left_out(handler, include_secrets=include_secrets)
        )
        rows.append(list(row.values()))
    return rows


def export_record(
    *,
    connection: Connection,
    user: AbstractBaseUser,
    count: int,
    file_format: ExportFormat,
    include_secrets: bool,
) -> None:
    """Journal an export that holds secrets: who, when, how many, which format."""
    if include_secrets:
        record_handlers_exported(
            connection=connection, user=user, count=count, file_format=file_format.value
        )
