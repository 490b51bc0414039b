"""Every CSV file the dashboard writes (the journal export, the import template), and how the
import reads back a cell of one.

A spreadsheet runs a cell that looks like a formula when the file is opened. Names typed into the
dashboard end up in these files, so none of them may start one:

- a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula, and so
  is one that starts with their full-width or small forms (U+FF1D for `=`...), which Excel reads as
  the plain ones;
- Excel set to `;` as its list separator (the Russian default) splits a comma-separated file at
  each `;`, so `x;=cmd|' /C calc'!A0` is a formula in the next cell; the same holds after a comma
  or a tab, and after a line break for a program that ignores the quotes.

So every cell is quoted, and a cell with a formula character at its start or right after a
separator (spaces skipped, as a spreadsheet trimming them would) gets a leading `'`, which
spreadsheets show as text. The file starts with a UTF-8 byte order mark: without it Excel reads
the file in the machine's legacy code page, and Cyrillic comes out garbled.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from datetime import datetime

from django.http import HttpResponse
from django.utils import timezone

__all__ = ["csv_response", "guard_cell", "unguard_cell"]

_BOM = "\ufeff"
_GUARD = "'"
# The plain ones, then their full-width and small forms.
_FORMULA_CHARACTERS = "=+\\-@\t\r\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b"
_SEPARATORS = ",;\t\r\n"
_FORMULA = re.compile(rf"(?:^|[{_SEPARATORS}])[ \u00a0\u3000]*[{_FORMULA_CHARACTERS}]")


def guard_cell(value: object) -> str:
    """`value` as a cell no spreadsheet runs as a formula (None is an empty cell, a moment is
    ISO 8601 in the viewer's zone, with its offset)."""
    if value is None:
        text = ""
    elif isinstance(value, datetime):
        text = timezone.localtime(value).isoformat(timespec="seconds")
    else:
        text = str(value)
    # Leading apostrophes are looked past, so that unguard_cell() gives back every value exactly.
    return _GUARD + text if _FORMULA.search(text.lstrip(_GUARD)) else text


def unguard_cell(cell: str) -> str:
    """A cell as it was before guard_cell() guarded it; any other cell unchanged."""
    return cell[1:] if cell.startswith(_GUARD) and _FORMULA.search(cell.lstrip(_GUARD)) else cell


def csv_response(rows: Iterable[Iterable[object]], *, filename: str) -> HttpResponse:
    """A download of `rows` (the first of them the header) as a CSV file."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write(_BOM)
    writer = csv.writer(response, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    for row in rows:
        writer.writerow([guard_cell(value) for value in row])
    return response
