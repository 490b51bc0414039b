"""What changed between two states of a handler or a connection, field by field, and the lines
pages and the CSV file show for it. A secret appears only as changed, never with a value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from handlers_app.journal import readers
from handlers_app.models import Connection, Role
from handlers_app.soclook import HandlerStatus
from handlers_app.soclook.types import HANDLER_TYPES, get_handler_type, setting_label

type Change = dict[str, Any]


class HandlerState(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def settings(self) -> Mapping[str, str]: ...
    @property
    def status(self) -> int | None: ...


def _is_secret(key: str, states: Iterable[HandlerState]) -> bool:
    for state in states:
        spec = get_handler_type(state.type, settings_keys=state.settings).get_field(key)
        if spec is None or spec.secret:
            return True
    return False


def _setting_keys(states: list[HandlerState]) -> list[str]:
    keys: dict[str, None] = {}
    for state in reversed(states):
        keys.update(dict.fromkeys(get_handler_type(state.type).field_names))
    for state in states:
        keys.update(dict.fromkeys(sorted(state.settings)))
    return list(keys)


def handler_changes(before: HandlerState | None, after: HandlerState | None) -> list[Change]:
    """What differs between two states of a handler, field by field, secrets without values.

    The status is compared only when both sides know it.
    """
    changes: list[Change] = []
    for name in ("name", "type"):
        old = getattr(before, name) if before is not None else None
        new = getattr(after, name) if after is not None else None
        if old != new:
            changes.append({"field": name, "before": old, "after": new})
    old_status = before.status if before is not None else None
    new_status = after.status if after is not None else None
    if old_status is not None and new_status is not None and old_status != new_status:
        changes.append({"field": "is_enabled", "before": old_status, "after": new_status})
    states = [state for state in (before, after) if state is not None]
    old_settings = before.settings if before is not None else {}
    new_settings = after.settings if after is not None else {}
    for key in _setting_keys(states):
        old_value, new_value = old_settings.get(key, ""), new_settings.get(key, "")
        if old_value == new_value:
            continue
        if _is_secret(key, states):
            # A secret given where there was none was set, not changed (a new handler's, above all).
            change: Change = {"field": key, "setting": True, "secret": True}
            changes.append({**change, "set": True} if not old_value else change)
        else:
            changes.append({"field": key, "setting": True, "before": old_value, "after": new_value})
    return changes


@dataclass(frozen=True)
class ChangeLine:
    """One line of a diff as a page or the CSV shows it."""

    label: str
    before: str
    after: str
    secret: bool
    secret_set: bool = False

    def __str__(self) -> str:
        if self.secret:
            return f"{self.label}: {_('set') if self.secret_set else _('changed')}"
        return f"{self.label}: {self.before or '—'} → {self.after or '—'}"


_FIELD_LABELS: dict[str, Promise] = {
    "name": _("Name"),
    "type": _("Type"),
    "is_enabled": _("Status"),
    "base_url": _("API base URL"),
    "api_key": _("API key"),
    "role": _("Role"),
    "reason": _("Reason"),
    "test_result": _("Result"),
    "destination": _("Destination"),
    "tested_settings": _("Settings"),
    "exported_count": _("Handlers"),
    "export_format": _("File format"),
    "sent_to_connection": _("Sent to the connection"),
    "sent_to_team": _("Of the team"),
}
_TESTED_SETTINGS: dict[str, Promise] = {
    "typed": _("as typed in the form, before saving"),
    "stored": _("as stored in Soclook"),
}

# Why a change of a connection's address was refused; an entry keeps the code, pages the words.
KEY_NOT_RETYPED = "key_not_retyped"
CHECK_FAILED = "check_failed"
_REFUSAL_REASONS: dict[str, Promise] = {
    KEY_NOT_RETYPED: _("the API key was not typed again for the new address"),
    CHECK_FAILED: _("the new address and key did not pass the check"),
}


def _shown(name: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if name == "type":
        return str(get_handler_type(str(value)).label)
    if name == "is_enabled" and value in HandlerStatus.values:
        return str(HandlerStatus(value).label)
    if name == "role" and value in Role.values:
        return str(Role(value).label)
    if name == "reason" and value in _REFUSAL_REASONS:
        return str(_REFUSAL_REASONS[value])
    if name == "test_result":
        read = readers.read(name, value)
        return "" if read is None else str(read)
    if name == "destination":
        return destination_words(value)
    if name == "tested_settings" and value in _TESTED_SETTINGS:
        return str(_TESTED_SETTINGS[value])
    return str(value)


def destination_words(value: Any) -> str:
    """Where a test went, as `HandlerType.destination_record` kept it, in the reader's language.
    An entry written before destinations were kept so holds the words of whoever tested: a
    setting's name at its start is said again in the reader's language."""
    if isinstance(value, Mapping):
        field, shown = str(value.get("field", "")), str(value.get("shown", ""))
        return f"{setting_label(field)} {shown}" if value.get("labelled") and shown else shown
    text = str(value)
    for label, current in _setting_labels_in_every_language():
        if text.startswith(label + " "):
            return current + text[len(label) :]
    return text


def _setting_labels_in_every_language() -> list[tuple[str, str]]:
    """(a setting's label in one of the dashboard's languages, the same in the active one)."""
    pairs = []
    for handler_type in HANDLER_TYPES.values():
        for spec in handler_type.fields:
            current = str(spec.label)
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    pairs.append((str(spec.label), current))
    return pairs


def change_lines(changes: Iterable[Change]) -> list[ChangeLine]:
    lines = []
    for change in changes:
        name = str(change.get("field", ""))
        if change.get("setting"):
            label = str(setting_label(name))
        else:
            label = str(_FIELD_LABELS.get(name, name))
        secret = bool(change.get("secret"))
        lines.append(
            ChangeLine(
                label=label,
                before="" if secret else _shown(name, change.get("before")),
                after="" if secret else _shown(name, change.get("after")),
                secret=secret,
                secret_set=secret and bool(change.get("set")),
            )
        )
    return lines


def connection_changes(
    *, before: Mapping[str, str] | None, after: Connection, api_key_changed: bool
) -> list[Change]:
    changes: list[Change] = []
    for name in ("name", "base_url"):
        old = before.get(name) if before is not None else None
        new = getattr(after, name)
        if old != new:
            changes.append({"field": name, "before": old, "after": new})
    if api_key_changed:
        changes.append({"field": "api_key", "secret": True})
    return changes
