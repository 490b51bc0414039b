"""What is wrong with a row of an imported file, kept as a code and its values, never as a
sentence: a row checked in English is read later in Russian (`JobItem.problems` is JSON).

`Problem(code, **params)` is a dict ({"code": ..., "params": {...}}), stored as it is; `str()` of
it, or `problem_text()` of what a row stored, says it in the active language. Rows stored before
problems were codes hold sentences: those are shown as they were written.

A refused setting keeps its field and the registry's own code (FieldSpec.validate's
`ValidationError.code` and params, handlers_app.soclook.types), so the form and the import say
the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from handlers_app.soclook.types import HANDLER_TYPES, setting_label, setting_message, storable

__all__ = ["Problem", "problem_text", "type_names"]

# Values a refusal may carry that are never kept: the value itself (it may be a secret).
_NOT_KEPT = frozenset({"value"})

_MESSAGES = {
    "stray_cells": gettext_lazy(
        "This row has values outside the named columns: check its separators and quotes."
    ),
    "type_required": gettext_lazy("Type: this field is required. Use one of: %(types)s."),
    "type_unknown": gettext_lazy(
        "Type: not a type this dashboard can create. Use one of: %(types)s."
    ),
    "name_required": gettext_lazy("Name: this field is required."),
    "name_too_long": gettext_lazy(
        "Name: keep it to at most %(max)d characters (it has %(length)d)."
    ),
    "name_unstorable": gettext_lazy(
        "Name: it holds a character that cannot be stored (an invisible control character, or "
        "half of one cut when it was copied). Type the name again in the file."
    ),
    "needs_secret": gettext_lazy(
        "Needs the secret: %(label)s (%(name)s) was left out of the export. Fill it in (in a "
        "CSV file, in the column “%(label)s”) and upload the file again; until then this "
        "handler is not created."
    ),
    "unused_columns": gettext_lazy(
        "Leave %(columns)s empty: a “%(type)s” handler does not use them."
    ),
    "enabled_unknown": gettext_lazy(
        "On: write “yes” to have the handler switched on, or “no” to have it switched off."
    ),
    "example_row": gettext_lazy(
        "Example row from the template: replace it with your own handler, or delete it."
    ),
    "same_as_row": gettext_lazy("The same as row %(number)d, so it is left out."),
    "same_place": gettext_lazy(
        "Left out: “%(name)s” already sends to the same place. To add it anyway, upload the "
        "file again with “Also add handlers that send where one already does” ticked."
    ),
    "same_place_in_file": gettext_lazy(
        "Left out: row %(number)d of the file sends to the same place. To add both, upload the "
        "file again with “Also add handlers that send where one already does” ticked."
    ),
}


class Problem(dict):
    """One thing wrong with a row: {"code": ..., "params": {...}}, JSON as it is."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code=code, params=_storable(params))

    @classmethod
    def setting(cls, *, field: str, code: str | None, params: Mapping[str, Any] | None) -> Problem:
        """A settings value the registry refused (FieldSpec.validate)."""
        kept = {k: v for k, v in (params or {}).items() if k not in _NOT_KEPT}
        return cls("setting", field=field, reason=code or "", values=kept)

    def __str__(self) -> str:
        return problem_text(self)


def problem_text(stored: str | Mapping[str, Any]) -> str:
    """A stored problem in the active language; a sentence stored by an older version as it is."""
    if isinstance(stored, str):
        return stored
    code = str(stored.get("code", ""))
    params = stored.get("params") or {}
    match code:
        case "setting":
            field = str(params.get("field", ""))
            said = setting_message(str(params.get("reason", "")), params.get("values") or None)
            if said is None:
                said = _("This value is not accepted.")
            return f"{setting_label(field)} ({field}): {said}"
        case "type_required" | "type_unknown":
            return str(_MESSAGES[code]) % {"types": type_names()}
        case "needs_secret":
            field = str(params.get("field", ""))
            return str(_MESSAGES[code]) % {"label": setting_label(field), "name": field}
        case "unused_columns":
            columns = get_text_list([f"“{c}”" for c in params.get("columns", [])], _("and"))
            handler_type = HANDLER_TYPES.get(str(params.get("type", "")))
            label = handler_type.label if handler_type else params.get("type", "")
            return str(_MESSAGES[code]) % {"columns": columns, "type": label}
    message = _MESSAGES.get(code)
    if message is None:
        return _("This row cannot be imported.")
    return str(message) % params if params else str(message)


def _storable(value: Any) -> Any:
    """`value` with every character no database can store (NUL, a lone surrogate: a column
    name of a JSON file may hold them) replaced by U+FFFD."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, Mapping):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(item) for item in value]
    return value


def type_names() -> str:
    return ", ".join(f"“{handler_type.label}”" for handler_type in HANDLER_TYPES.values())
