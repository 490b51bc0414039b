"""Exporting a connection's handlers: which handlers (a selection, the list's filter, or all), and
the file (a versioned JSON document, or CSV with the form's labels as its columns).

Reads go through the read cache: an account of at most EXPORT_MAX_HANDLERS handlers is one
snapshot, so an export costs at most one request to Soclook, and none while the list is fresh.
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
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

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
from handlers_app.selectors import handler_get, handler_page
from handlers_app.soclook import RESULTS_PER_PAGE_CHOICES, Handler, ListQuery
from handlers_app.soclook.errors import NotFound

__all__ = [
    "EXPORT_MAX_HANDLERS",
    "ExportFormat",
    "ExportScope",
    "TooManyToExport",
    "export_csv_rows",
    "export_document",
    "export_handlers",
    "export_json",
    "export_record",
    "export_scope_from_params",
]

# An export is one file an import takes whole, read in one page (one snapshot of the read cache).
_PAGE_SIZE = max(RESULTS_PER_PAGE_CHOICES)
EXPORT_MAX_HANDLERS = min(MAX_ROWS, _PAGE_SIZE)
# How many selected ids an address may carry (each at most a 20-digit number and a comma).
MAX_SELECTED_IDS = EXPORT_MAX_HANDLERS


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


class TooManyToExport(Exception):
    def __init__(self, total: int) -> None:
        super().__init__(total)
        self.total = total


@dataclass(frozen=True)
class ExportScope:
    """Which handlers: `ids` (a selection), else every handler matching `query`'s filter
    (no filter: all of them). The query's page and page size play no part."""

    query: ListQuery
    ids: tuple[int, ...] = ()

    @property
    def is_selection(self) -> bool:
        return bool(self.ids)

    @property
    def is_filtered(self) -> bool:
        q = self.query
        return bool(q.type or q.is_enabled is not None or q.search)

    def list_params(self) -> dict[str, str]:
        """The list's query string for the same handlers (its filter and order), or nothing
        for a selection."""
        if self.ids:
            return {}
        query = replace(self.query, results_per_page=ListQuery().results_per_page)
        return query.to_params(omit_defaults=True)

    def to_params(self) -> dict[str, str]:
        """The scope as the export page's address says it."""
        if self.ids:
            return {"ids": ",".join(str(i) for i in self.ids)}
        return self.list_params()


def export_scope_from_params(params: Mapping[str, str]) -> ExportScope:
    """`?ids=1,2,3` (bulk selection), or the list's own query string (with or without
    `all=1`, "all matching this filter"); anything unusable is left out, as the list does."""
    query = ListQuery.from_params(params)
    query = replace(query, page=1, results_per_page=_PAGE_SIZE)
    ids: list[int] = []
    for part in params.get("ids", "").split(","):
        part = part.strip()
        if part.isdigit() and 0 < len(part) <= 20 and int(part) not in ids:
            ids.append(int(part))
    return ExportScope(query=query, ids=tuple(ids[:MAX_SELECTED_IDS]))


def export_handlers(*, connection: Connection, scope: ExportScope) -> list[Handler]:
    """The handlers in `scope`, in the list's order; raises TooManyToExport past
    EXPORT_MAX_HANDLERS. A selected handler deleted meanwhile is left out."""
    if not scope.ids:
        page = handler_page(connection=connection, query=scope.query)
        if page.total > EXPORT_MAX_HANDLERS:
            raise TooManyToExport(page.total)
        return list(page.items)
    everything = handler_page(connection=connection, query=ListQuery(results_per_page=_PAGE_SIZE))
    by_id = {handler.id: handler for handler in everything.items}
    found: list[Handler] = []
    for handler_id in scope.ids:
        handler = by_id.get(handler_id)
        if handler is None and everything.total > len(everything.items):
            # Only an account bigger than one snapshot sends a request per handler here.
            try:
                handler = handler_get(connection=connection, handler_id=handler_id)
            except NotFound:
                handler = None
        if handler is not None:
            found.append(handler)
    return found


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
