"""The columns of a file of handlers, as people and programs name them.

A column has an API name (`type`, `name`, `telegram_chat_id`, ...: the import template's
header) and a label: the form's own word for it ("Chat ID", "ID чата"). The CSV export writes
the labels in the language of whoever exports; the import takes a column by its API name or its
label in any of the dashboard's languages, in any letter case.

Two columns only the export writes, besides the template's:
- `enabled` ("On"): "yes" or "no" in the file's language (empty reads as yes), so that a handler
  exported switched off comes back switched off;
- `secrets_left_out` ("Secrets left out"): on each row, the labels of the settings the export
  left out, so that the import tells "left out of the file" (fill it in) from "empty".
"""

from __future__ import annotations

from django.conf import settings as django_settings
from django.utils import translation
from django.utils.translation import gettext_lazy

from handlers_app.soclook.types import HANDLER_TYPES

__all__ = [
    "ENABLED",
    "FIXED_COLUMNS",
    "ROW_COLUMNS",
    "SECRETS_LEFT_OUT_COLUMN",
    "column_label",
    "column_names",
    "enabled_from",
    "enabled_word",
    "left_out_from",
    "left_out_words",
    "settings_columns",
]

FIXED_COLUMNS = ("type", "name")
ENABLED = "enabled"
SECRETS_LEFT_OUT_COLUMN = "secrets_left_out"
# Columns about the row itself, not settings of its type.
ROW_COLUMNS = (*FIXED_COLUMNS, ENABLED, SECRETS_LEFT_OUT_COLUMN)

_LABELS = {
    "type": gettext_lazy("Type"),
    "name": gettext_lazy("Name"),
    ENABLED: gettext_lazy("On"),
    SECRETS_LEFT_OUT_COLUMN: gettext_lazy("Secrets left out"),
}
_YES = gettext_lazy("yes")
_NO = gettext_lazy("no")
# Besides "yes" and "no" in every language of the dashboard.
_ON_WORDS = frozenset({"1", "true", "on", "y"})
_OFF_WORDS = frozenset({"0", "false", "off", "n"})


def settings_columns() -> list[str]:
    """Every settings field of every type, in the registry's order."""
    return list(dict.fromkeys(name for t in HANDLER_TYPES.values() for name in t.field_names))


def column_label(name: str) -> str:
    """The column's label in the active language; its API name when it has none."""
    if name in _LABELS:
        return str(_LABELS[name])
    for handler_type in HANDLER_TYPES.values():
        spec = handler_type.get_field(name)
        if spec is not None:
            return str(spec.label)
    return name


def column_names() -> dict[str, str]:
    """What a header cell may say, casefolded, and the API name it stands for."""
    names: dict[str, str] = {}
    for name in (*ROW_COLUMNS, *settings_columns()):
        for language, _language_name in django_settings.LANGUAGES:
            with translation.override(language):
                names[column_label(name).casefold()] = name
        names[name] = name
    return names


def enabled_word(enabled: bool) -> str:
    return str(_YES if enabled else _NO)


def enabled_from(cell: str) -> bool | None:
    """What an "On" cell says: True (also when empty), False, or None when it says neither."""
    word = cell.strip().casefold()
    if not word:
        return True
    for language, _language_name in django_settings.LANGUAGES:
        with translation.override(language):
            if word == str(_YES).casefold():
                return True
            if word == str(_NO).casefold():
                return False
    if word in _ON_WORDS:
        return True
    if word in _OFF_WORDS:
        return False
    return None


def left_out_words(names: list[str]) -> str:
    """The labels of the settings left out, for the "Secrets left out" cell."""
    return ", ".join(column_label(name) for name in names)


def left_out_from(cell: str) -> set[str]:
    """The API names a "Secrets left out" cell lists (by label in any language, or API name)."""
    known = column_names()
    return {
        known[part.strip().casefold()]
        for part in cell.replace(";", ",").split(",")
        if part.strip().casefold() in known
    }
