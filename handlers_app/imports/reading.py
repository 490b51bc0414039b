"""Reading and checking a file of handlers, without a single request to the service and
without the database.

`read_upload()` reads an uploaded file (CSV, or the JSON document the export writes) and checks
every row against the type registry. A problem with the whole file raises `ImportFileError`; a
problem with one row is listed on that row, and the rest can still be imported.
`template_rows()` is the file to start from.

The template's header holds the API's names (the column keys); below it, one example row per
type names its type as the form does and fills in made-up values. Those rows show what goes
where, right where a person types, and would create junk handlers: a row whose settings are
still all its type's example values is refused as an example row. The check looks at the
values, not at a marker or the rows' place, so it holds after a spreadsheet sorted the rows,
and for an example whose name alone was changed.

A header names its columns by API name or by label, in any of the dashboard's languages
(handlers_app.imports.columns). The dashboard's own exports (handlers_app.exports) say which
secrets were left out: the JSON document in each handler's `secrets_left_out`, a CSV file in its
"Secrets left out" column (a file exported before had a note on its first line instead, which is
still read). Then an empty secret is not a slip but "needs the secret": the row is left out with
that explanation, and the person fills the secret in and uploads the file again. An export's
"On" column (the JSON's `enabled`) brings a handler back switched off when it was.
"""

from __future__ import annotations

import csv
import io
import json
import string
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import translation
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from handlers_app.csv_files import unguard_cell
from handlers_app.imports.columns import (
    ENABLED,
    FIXED_COLUMNS,
    ROW_COLUMNS,
    SECRETS_LEFT_OUT_COLUMN,
    column_names,
    enabled_from,
    left_out_from,
    settings_columns,
)
from handlers_app.imports.problems import Problem
from handlers_app.soclook.types import (
    HANDLER_TYPES,
    NAME_MAX_LENGTH,
    FieldKind,
    FieldSpec,
    HandlerType,
    refuse_unstorable,
)

__all__ = [
    "CSV_NOTE_PREFIX",
    "EXPORT_FORMAT_NAME",
    "EXPORT_FORMAT_VERSION",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_FILE_MEGABYTES",
    "MAX_ROWS",
    "SECRETS_INCLUDED",
    "SECRETS_LEFT_OUT",
    "ImportFileError",
    "ParsedRow",
    "parse_csv_text",
    "parse_json_text",
    "read_upload",
    "template_header",
    "template_rows",
]

MAX_FILE_MEGABYTES = 1
MAX_FILE_BYTES = MAX_FILE_MEGABYTES * 1024 * 1024
MAX_ROWS = 1000

# The dashboard's own export (handlers_app.exports), as the import recognises it.
EXPORT_FORMAT_NAME = "soclook-dashboard-handlers"
EXPORT_FORMAT_VERSION = 1
SECRETS_INCLUDED = "included"
SECRETS_LEFT_OUT = "left-out"
# An exported CSV file's first cell: "<prefix><version> secrets=<included|left-out>", followed by
# a sentence for people; machine-read whatever the language of the sentence.
CSV_NOTE_PREFIX = f"# {EXPORT_FORMAT_NAME}/"

_EXAMPLE_BY_KIND = {
    FieldKind.EMAIL: "alerts@example.com",
    FieldKind.URL: "https://example.com/hooks/notifications",
    FieldKind.CHAT_ID: "-1001234567890",
    FieldKind.TEXT: "",
}


class ImportFileError(Exception):
    """The file as a whole cannot be imported; `messages` say why, in words a person can act on."""

    def __init__(self, *messages: str) -> None:
        super().__init__(*messages)
        self.messages = list(messages)


@dataclass(frozen=True)
class ParsedRow:
    """One row of the file after checking. `settings` holds the cleaned values of the type's
    fields that passed; `summary` is what a page may show of the destination."""

    number: int
    type: str
    name: str
    settings: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    # What is wrong with it, as codes (handlers_app.imports.problems); str() of each says it.
    problems: tuple[Problem, ...] = ()
    # False for a handler a JSON export says was switched off: created, then switched off.
    enabled: bool = True

    @property
    def is_valid(self) -> bool:
        return not self.problems


# --- the file's columns and the template ------------------------------------------------------


def template_header() -> list[str]:
    """`type`, `name`, then every settings field of every type, in the registry's order."""
    return [*FIXED_COLUMNS, *settings_columns()]


# A file may have a few more columns than the template (spreadsheets keep empty ones at the end),
# and no more: every row is checked against every column.
MAX_COLUMNS = len(template_header()) + 10


def template_rows() -> list[list[str]]:
    """The template file: the header and one example row per type."""
    header = template_header()
    rows = [header]
    for handler_type in HANDLER_TYPES.values():
        row = dict.fromkeys(header, "")
        row["type"] = str(handler_type.label)
        row["name"] = _("Example: %(type)s") % {"type": handler_type.label}
        row.update(_example_settings(handler_type))
        rows.append(list(row.values()))
    return rows


def _example_settings(handler_type: HandlerType) -> dict[str, str]:
    return {spec.name: _example_value(spec) for spec in handler_type.fields}


def _example_value(spec: FieldSpec) -> str:
    for candidate in (spec.example, spec.placeholder, _EXAMPLE_BY_KIND.get(spec.kind)):
        if candidate:
            try:
                return spec.validate(candidate)
            except ValidationError:
                continue
    return "your-" + spec.name.replace("_", "-")


# --- reading and checking a file ---------------------------------------------------------------


def read_upload(upload: UploadedFile) -> list[ParsedRow]:
    """Every row of an uploaded file (CSV, or a JSON export), checked; raises ImportFileError
    when the file as a whole cannot be imported (too big, not UTF-8, no usable header, too many
    rows, no rows)."""
    if upload.size is not None and upload.size > MAX_FILE_BYTES:
        raise ImportFileError(_file_too_big())
    raw = upload.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise ImportFileError(_file_too_big())
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            _(
                "The file is not in UTF-8. In Excel choose File → Save As → “CSV UTF-8 (comma "
                "delimited)”; in LibreOffice or Google Sheets save or download it as CSV, which "
                "is UTF-8."
            )
        ) from None
    if text.lstrip().startswith("{"):
        return parse_json_text(text)
    return parse_csv_text(text)


def parse_csv_text(text: str) -> list[ParsedRow]:
    if "\x00" in text:
        raise ImportFileError(_not_csv())
    lines = text.split("\n", 2)
    has_note = lines[0].lstrip('"').startswith(CSV_NOTE_PREFIX)
    # The header holds only column names, so whichever separator it uses more is the file's
    # (spreadsheets set to a comma decimal separator save with semicolons).
    header_line = lines[1] if has_note and len(lines) > 1 else lines[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    try:
        records = list(_records(text, delimiter))
    except csv.Error:
        raise ImportFileError(_not_csv()) from None
    secrets_left_out = False
    if records and records[0][1] and records[0][1][0].startswith(CSV_NOTE_PREFIX):
        secrets_left_out = records[0][1][0].endswith(f"secrets={SECRETS_LEFT_OUT}")
        records = records[1:]
    if not records:
        raise ImportFileError(_("The file is empty. Start from the template."))
    (_header_number, header), *body = records
    columns = _columns(header)
    types = _types_by_name()
    rows = [
        _parse_row(number, cells, columns, types, secrets_left_out=secrets_left_out)
        for number, cells in body
    ]
    if not rows:
        raise ImportFileError(_("The file has a header but no handlers below it."))
    return _mark_repeats(rows)


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) for each record that is not blank; numbers count blank rows too, as
    a spreadsheet does. Stops with ImportFileError past the header and MAX_ROWS rows."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    seen = 0
    noted = False
    for number, cells in enumerate(reader, start=1):
        if not any(cell.strip() for cell in cells):
            continue
        seen += 1
        noted = noted or (seen == 1 and _is_note(cells))
        # Beyond the header (and the note on the first line of an export).
        if seen > MAX_ROWS + 1 + noted:
            raise ImportFileError(_too_many_rows())
        # A file this dashboard wrote has its formula-like cells guarded (see csv_files).
        yield number, [unguard_cell(cell) for cell in cells]


def _columns(header: Sequence[str]) -> list[str]:
    """The header's column names, lowercased; "" for a column without a name."""
    if len(header) > MAX_COLUMNS:
        raise ImportFileError(
            _(
                "The first row has %(count)d columns; an import takes at most %(max)d (the "
                "template has %(template)d). Start from the template."
            )
            % {"count": len(header), "max": MAX_COLUMNS, "template": len(template_header())}
        )
    # By API name, or by label in any of the dashboard's languages (an export's header).
    known = column_names()
    cells = [cell.strip().casefold() for cell in header]
    columns = [known.get(cell, cell) for cell in cells]
    unknown = [i for i, cell in enumerate(cells) if cell and cell not in known]
    counts = Counter(name for name in columns if name)
    repeated = sorted(name for name, count in counts.items() if count > 1)
    problems: list[str] = []
    if unknown:
        # Named by their letters, not their text: a file without a header has data here.
        problems.append(
            _(
                "The first row must name the columns; column %(letters)s of it is not a column "
                "this import knows."
            )
            % {"letters": get_text_list([_column_letter(i) for i in unknown], _("and"))}
        )
    if repeated:
        problems.append(
            _("The column %(names)s appears more than once.")
            % {"names": get_text_list([f"“{name}”" for name in repeated], _("and"))}
        )
    if not set(FIXED_COLUMNS) <= set(columns):
        problems.append(
            _(
                "The first row must name the columns, and it needs at least “type” and “name”. "
                "Download the template to start from the right header."
            )
        )
    if problems:
        raise ImportFileError(*problems)
    return columns


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = string.ascii_uppercase[remainder] + letters
    return letters


def parse_json_text(text: str) -> list[ParsedRow]:
    """The rows of a JSON export (handlers_app.exports), numbered by their place in it and
    checked as CSV rows are; a handler exported switched off is to be switched off once
    created."""
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    except RecursionError:
        # Nested deeper than Python's parser goes: no export of this dashboard is.
        raise ImportFileError(
            _(
                "This JSON file is nested too deeply to be an export of this dashboard. Import "
                "the file the Export page downloads, or a CSV file made from the template."
            )
        ) from None
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT_NAME:
        raise ImportFileError(
            _(
                "This JSON file is not an export of this dashboard. Import the file the "
                "Export page downloads, or a CSV file made from the template."
            )
        )
    version = document.get("version")
    if not isinstance(version, int) or not 1 <= version <= EXPORT_FORMAT_VERSION:
        raise ImportFileError(
            _(
                "This export is in version %(version)s of the format; this dashboard reads "
                "version %(supported)d. Export it again as CSV and import that."
            )
            % {"version": version, "supported": EXPORT_FORMAT_VERSION}
        )
    items = document.get("handlers")
    if not isinstance(items, list) or not items:
        raise ImportFileError(_("The file has no handlers in it."))
    if len(items) > MAX_ROWS:
        raise ImportFileError(_too_many_rows())
    secrets_left_out = document.get("secrets") == SECRETS_LEFT_OUT
    header = template_header()
    types = _types_by_name()
    rows = []
    for number, item in enumerate(items, start=1):
        values, left_out = _json_values(item)
        columns = [*header, *(key for key in values if key not in header)]
        cells = [values.get(column, "") for column in columns]
        row = _parse_row(
            number,
            cells,
            columns,
            types,
            secrets_left_out=secrets_left_out,
            left_out_fields=left_out,
        )
        switched_off = isinstance(item, Mapping) and item.get("enabled") is False
        rows.append(replace(row, enabled=not switched_off))
    return _mark_repeats(rows)


def _json_values(item: object) -> tuple[dict[str, str], set[str]]:
    """One handler of a JSON export as the cells of a row (settings lowercased as columns are),
    and the settings its export left out."""
    if not isinstance(item, Mapping):
        return {}, set()
    settings = item.get("settings")
    settings = settings if isinstance(settings, Mapping) else {}
    values = {
        str(key).strip().lower(): _json_text(value)
        for key, value in settings.items()
        if str(key).strip().lower() not in ROW_COLUMNS
    }
    values["type"] = _json_text(item.get("type"))
    values["name"] = _json_text(item.get("name"))
    left_out = item.get("secrets_left_out")
    fields = {str(key).lower() for key in left_out} if isinstance(left_out, list) else set()
    return values, fields


def _json_text(value: object) -> str:
    return "" if value is None or isinstance(value, (dict, list)) else str(value)


def _parse_row(
    number: int,
    cells: Sequence[str],
    columns: Sequence[str],
    types: dict[str, HandlerType],
    *,
    secrets_left_out: bool = False,
    left_out_fields: Collection[str] = (),
) -> ParsedRow:
    values: dict[str, str] = {}
    problems: list[Problem] = []
    stray = False
    for index, cell in enumerate(cells):
        column = columns[index] if index < len(columns) else ""
        if column:
            values[column] = cell
        elif cell.strip():
            stray = True
    if stray:
        problems.append(Problem("stray_cells"))

    left_out_fields = {*left_out_fields, *left_out_from(values.get(SECRETS_LEFT_OUT_COLUMN, ""))}
    secrets_left_out = secrets_left_out or bool(left_out_fields)
    enabled = enabled_from(values.get(ENABLED, ""))
    if enabled is None:
        problems.append(Problem("enabled_unknown"))

    raw_type = values.get("type", "").strip()
    handler_type = types.get(raw_type.casefold())
    if not raw_type:
        problems.append(Problem("type_required"))
    elif handler_type is None:
        problems.append(Problem("type_unknown"))

    name = values.get("name", "").strip()
    if not name:
        problems.append(Problem("name_required"))
    elif len(name) > NAME_MAX_LENGTH:
        problems.append(Problem("name_too_long", max=NAME_MAX_LENGTH, length=len(name)))
    else:
        try:
            refuse_unstorable(name)
        except ValidationError:
            problems.append(Problem("name_unstorable"))
            name = ""

    settings: dict[str, str] = {}
    if handler_type is not None:
        for spec in handler_type.fields:
            missing = not values.get(spec.name, "").strip()
            if (
                secrets_left_out
                and missing
                and spec.secret
                and (spec.required or spec.name in left_out_fields)
            ):
                problems.append(Problem("needs_secret", field=spec.name))
                continue
            try:
                settings[spec.name] = spec.validate(values.get(spec.name, ""))
            except ValidationError as exc:
                problems.append(Problem.setting(field=spec.name, code=exc.code, params=exc.params))
        unused = [
            column
            for column in columns
            if column
            and column not in ROW_COLUMNS
            and column not in handler_type.field_names
            and values.get(column, "").strip()
        ]
        if unused:
            problems.append(Problem("unused_columns", columns=unused, type=handler_type.slug))
        if settings == _example_settings(handler_type):
            problems.append(Problem("example_row"))
    return ParsedRow(
        number=number,
        type=handler_type.slug if handler_type is not None else "",
        name=name,
        settings=settings,
        # Only checked values: a secret typed into the e-mail column must not be shown.
        summary=handler_type.summary(settings) if handler_type is not None else "",
        problems=tuple(problems),
        enabled=enabled is not False,
    )


def _types_by_name() -> dict[str, HandlerType]:
    """What a type cell may say, casefolded: the label in any of the dashboard's languages (a
    template downloaded in one may be uploaded in another), or the API name."""
    names: dict[str, HandlerType] = {}
    for handler_type in HANDLER_TYPES.values():
        for language, _name in django_settings.LANGUAGES:
            with translation.override(language):
                names[str(handler_type.label).casefold()] = handler_type
        names[handler_type.slug] = handler_type
    return names


def _mark_repeats(rows: list[ParsedRow]) -> list[ParsedRow]:
    """A valid row identical to an earlier one is a slip (a pasted row), not a second handler."""
    first_seen: dict[tuple[Any, ...], int] = {}
    result: list[ParsedRow] = []
    for row in rows:
        if row.is_valid:
            key = (row.type, row.name, tuple(sorted(row.settings.items())))
            if key in first_seen:
                problem = Problem("same_as_row", number=first_seen[key])
                row = replace(row, settings={}, problems=(problem,))
            else:
                first_seen[key] = row.number
        result.append(row)
    return result


def _is_note(cells: Sequence[str]) -> bool:
    return bool(cells) and cells[0].startswith(CSV_NOTE_PREFIX)


def _too_many_rows() -> str:
    return _(
        "The file has more than %(max)d handlers. Split it into files of at most %(max)d rows "
        "and import them one after the other."
    ) % {"max": MAX_ROWS}


def _not_csv() -> str:
    return _("This does not read as a CSV file. Save it from your spreadsheet as CSV.")


def _file_too_big() -> str:
    return _(
        "The file is larger than %(size)d MB. Split it into smaller files and import them one "
        "after the other."
    ) % {"size": MAX_FILE_MEGABYTES}
