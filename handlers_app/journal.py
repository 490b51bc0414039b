"""The change journal: who changed what through the dashboard, and what it was before.

Services call the `record_*` functions after a write has succeeded, so a failed call leaves no
entry. A diff names each field that changed; a secret (an API key, every handler setting except
an e-mail address, every setting of a type the dashboard does not know) appears in it only as
changed, never with a value. The handler as the service had it before a change or deletion is
kept whole, secrets included, in a snapshot encrypted by `crypto`: that is what a restore sends
back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from handlers_app import crypto
from handlers_app.models import (
    ID_MAX_DIGITS,
    Connection,
    JournalAction,
    JournalEntry,
    Role,
    Team,
)
from handlers_app.soclook.client import Handler, HandlerStatus
from handlers_app.soclook.types import HANDLER_TYPES, NAME_MAX_LENGTH, get_handler_type
from handlers_app.testsend.outcomes import Outcome

HANDLER_ACTIONS = (
    JournalAction.HANDLER_CREATED,
    JournalAction.HANDLER_CHANGED,
    JournalAction.HANDLER_ENABLED,
    JournalAction.HANDLER_DISABLED,
    JournalAction.HANDLER_DELETED,
    JournalAction.HANDLER_RESTORED,
)

# How many restores back the history of one handler is followed through its earlier ids.
_LINEAGE_DEPTH = 20
# How long one restore holds its entry: longer than its few requests to the service can take.
# A claim left behind by a process that died is taken over after it.
RESTORE_CLAIM_SECONDS = 2 * 60
# A handler filter read as an id: ASCII digits only ("²".isdigit() is true, int("²") fails).
_ID_TEXT = re.compile(f"[0-9]{{1,{ID_MAX_DIGITS}}}")

type Change = dict[str, Any]
type User = AbstractBaseUser | AnonymousUser | None


class HandlerState(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def settings(self) -> Mapping[str, str]: ...
    @property
    def status(self) -> int | None: ...


@dataclass(frozen=True)
class Snapshot:
    """A handler as the service had it; `status` is None when it was not known (a new one)."""

    id: int
    type: str
    name: str
    settings: Mapping[str, str] = field(repr=False)
    status: int | None = None

    @classmethod
    def of(cls, handler: Handler) -> Snapshot:
        return cls(
            id=handler.id,
            type=handler.type,
            name=handler.name,
            settings=dict(handler.settings),
            status=int(handler.status),
        )

    @property
    def is_enabled(self) -> bool:
        return self.status != HandlerStatus.DISABLED


def _seal(snapshot: Snapshot) -> str:
    data = {
        "id": snapshot.id,
        "type": snapshot.type,
        "name": snapshot.name,
        "settings": dict(snapshot.settings),
        "status": snapshot.status,
    }
    return crypto.seal(data)


def snapshot_of(entry: JournalEntry) -> Snapshot | None:
    if not entry.snapshot_encrypted:
        return None
    data = crypto.unseal(entry.snapshot_encrypted)
    return Snapshot(
        id=int(data["id"]),
        type=str(data["type"]),
        name=str(data["name"]),
        settings={str(k): str(v) for k, v in data["settings"].items()},
        status=data["status"],
    )


# --- diffs ---------------------------------------------------------------------------------------


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


def _setting_label(key: str) -> str:
    for handler_type in HANDLER_TYPES.values():
        spec = handler_type.get_field(key)
        if spec is not None:
            return str(spec.label)
    return key


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
    if name == "test_result" and isinstance(value, Mapping):
        return Outcome.from_record(value).explanation
    if name == "tested_settings" and value in _TESTED_SETTINGS:
        return str(_TESTED_SETTINGS[value])
    return str(value)


def change_lines(changes: Iterable[Change]) -> list[ChangeLine]:
    lines = []
    for change in changes:
        name = str(change.get("field", ""))
        if change.get("setting"):
            label = _setting_label(name)
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


# --- recording -----------------------------------------------------------------------------------


def _record(
    *,
    team_id: int,
    action: JournalAction,
    user: User,
    connection: Connection | None = None,
    connection_name: str = "",
    **fields: Any,
) -> JournalEntry:
    person = user if user is not None and user.is_authenticated else None
    return JournalEntry.objects.create(
        team_id=team_id,
        action=action,
        connection=connection,
        connection_name=connection_name or (connection.name if connection is not None else ""),
        user=person,
        user_name=person.get_username() if person is not None else "",
        **fields,
    )


def _handler_fields(state: HandlerState, handler_id: int) -> dict[str, Any]:
    return {
        "handler_id": handler_id,
        "handler_name": state.name[: JournalEntry._meta.get_field("handler_name").max_length],
        "handler_type": state.type[: JournalEntry._meta.get_field("handler_type").max_length],
    }


def record_handler_created(
    *,
    connection: Connection,
    user: User,
    handler_id: int,
    name: str,
    type: str,
    settings: Mapping[str, str],
) -> JournalEntry:
    created = Snapshot(
        id=handler_id, type=type, name=name[:NAME_MAX_LENGTH], settings=dict(settings)
    )
    return _record(
        team_id=connection.team_id,
        action=JournalAction.HANDLER_CREATED,
        user=user,
        connection=connection,
        changes=handler_changes(None, created),
        **_handler_fields(created, handler_id),
    )


def record_handler_changed(
    *, connection: Connection, user: User, before: Handler, after: Handler
) -> JournalEntry | None:
    """A save or a switch; nothing is recorded when nothing changed."""
    changes = handler_changes(before, after)
    if not changes:
        return None
    if {change["field"] for change in changes} == {"is_enabled"}:
        action = (
            JournalAction.HANDLER_ENABLED if after.is_enabled else JournalAction.HANDLER_DISABLED
        )
    else:
        action = JournalAction.HANDLER_CHANGED
    return _record(
        team_id=connection.team_id,
        action=action,
        user=user,
        connection=connection,
        changes=changes,
        snapshot_encrypted=_seal(Snapshot.of(before)),
        **_handler_fields(after, after.id),
    )


def record_handler_deleted(*, connection: Connection, user: User, before: Handler) -> JournalEntry:
    return _record(
        team_id=connection.team_id,
        action=JournalAction.HANDLER_DELETED,
        user=user,
        connection=connection,
        snapshot_encrypted=_seal(Snapshot.of(before)),
        **_handler_fields(before, before.id),
    )


def record_handler_restored(
    *,
    connection: Connection,
    user: User,
    source: JournalEntry,
    restored: Snapshot,
    before: Handler | None,
    handler_id: int,
) -> JournalEntry:
    """`before` is the handler as it stood (None when it was re-created, under `handler_id`)."""
    return _record(
        team_id=connection.team_id,
        action=JournalAction.HANDLER_RESTORED,
        user=user,
        connection=connection,
        changes=handler_changes(before, restored),
        snapshot_encrypted=_seal(Snapshot.of(before)) if before is not None else "",
        restored_from=source,
        previous_handler_id=restored.id if restored.id != handler_id else None,
        **_handler_fields(restored, handler_id),
    )


def restore_claim(*, entry: JournalEntry) -> datetime | None:
    """Claim the entry for one restore: the claim's time, or None when another restore holds it.

    One conditional UPDATE, so that of simultaneous restores exactly one wins, on SQLite (one
    writer at a time) and PostgreSQL (the row lock makes the others re-check the condition).
    """
    now = timezone.now()
    free = Q(restore_started_at__isnull=True) | Q(
        restore_started_at__lt=now - timedelta(seconds=RESTORE_CLAIM_SECONDS)
    )
    claimed = JournalEntry.objects.filter(free, pk=entry.pk).update(restore_started_at=now)
    return now if claimed else None


def restore_release(*, entry: JournalEntry, claimed_at: datetime) -> None:
    JournalEntry.objects.filter(pk=entry.pk, restore_started_at=claimed_at).update(
        restore_started_at=None
    )


def restore_underway(entry: JournalEntry) -> bool:
    """Whether a restore from this entry holds it right now."""
    started = entry.restore_started_at
    return started is not None and timezone.now() - started < timedelta(
        seconds=RESTORE_CLAIM_SECONDS
    )


def recreation_of(entry: JournalEntry) -> JournalEntry | None:
    """The restore that created the entry's handler again, when one did."""
    return entry.restorations.filter(previous_handler_id__isnull=False).first()


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


def record_connection_saved(
    *, connection: Connection, user: User, created: bool, changes: list[Change]
) -> JournalEntry | None:
    if not created and not changes:
        return None
    return _record(
        team_id=connection.team_id,
        action=JournalAction.CONNECTION_ADDED if created else JournalAction.CONNECTION_CHANGED,
        user=user,
        connection=connection,
        changes=changes,
    )


def record_connection_refused(
    *, connection: Connection, user: User, stored: Mapping[str, str], reason: str
) -> JournalEntry:
    """A change of a connection's address that was refused (`reason`: KEY_NOT_RETYPED or
    CHECK_FAILED). Nothing was saved: `stored` is the name and address as they still are,
    `connection` carries the address that was tried. The key is never part of it."""
    return _record(
        team_id=connection.team_id,
        action=JournalAction.CONNECTION_CHANGE_REFUSED,
        user=user,
        connection=connection,
        connection_name=stored["name"],
        changes=[
            {"field": "base_url", "before": stored["base_url"], "after": connection.base_url},
            {"field": "reason", "before": None, "after": reason},
        ],
    )


def record_connection_removed(*, team_id: int, name: str, user: User) -> JournalEntry:
    return _record(
        team_id=team_id,
        action=JournalAction.CONNECTION_REMOVED,
        user=user,
        connection_name=name,
    )


def record_team_event(
    *,
    team: Team,
    user: User,
    action: JournalAction,
    subject: str = "",
    changes: list[Change] | None = None,
) -> JournalEntry:
    """Team, membership and invitation changes; `subject` names the member concerned."""
    return _record(
        team_id=team.pk, action=action, user=user, subject=subject, changes=changes or []
    )


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JournalFilter:
    team_id: int | None = None
    connection_id: int | None = None
    user_id: int | None = None
    # A handler's id, or part of its name.
    handler: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None


def journal_entries(
    *,
    teams: Iterable[Team],
    filters: JournalFilter,
    connection: Connection | None = None,
    handler_ids: Iterable[int] | None = None,
) -> QuerySet[JournalEntry]:
    """The entries of `teams`, newest first, narrowed by `filters` (and to one connection's
    handlers when `handler_ids` is given)."""
    entries = JournalEntry.objects.filter(team__in=list(teams)).select_related("team")
    if connection is not None:
        entries = entries.filter(connection=connection)
    if handler_ids is not None:
        entries = entries.filter(handler_id__in=list(handler_ids))
    if filters.team_id:
        entries = entries.filter(team_id=filters.team_id)
    if filters.connection_id:
        entries = entries.filter(connection_id=filters.connection_id)
    if filters.user_id:
        entries = entries.filter(user_id=filters.user_id)
    handler = filters.handler.strip().lstrip("#")
    if _ID_TEXT.fullmatch(handler):
        entries = entries.filter(Q(handler_id=int(handler)) | Q(previous_handler_id=int(handler)))
    elif handler:
        entries = entries.filter(handler_name__icontains=handler)
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.date_from:
        entries = entries.filter(created_at__date__gte=filters.date_from)
    if filters.date_to:
        entries = entries.filter(created_at__date__lte=filters.date_to)
    return entries


def handler_lineage(*, connection: Connection, handler_id: int) -> list[int]:
    """The handler's id and the ids it had before restores re-created it, newest first."""
    ids = [handler_id]
    while len(ids) < _LINEAGE_DEPTH:
        previous = (
            JournalEntry.objects.filter(
                connection=connection,
                handler_id=ids[-1],
                action=JournalAction.HANDLER_RESTORED,
                previous_handler_id__isnull=False,
            )
            .values_list("previous_handler_id", flat=True)
            .first()
        )
        if previous is None or previous in ids:
            break
        ids.append(previous)
    return ids


def handler_last_changes(
    *, connection: Connection, handler_ids: Iterable[int]
) -> dict[int, JournalEntry]:
    """The latest journal entry of each handler, in one query (no request to Soclook)."""
    latest = (
        JournalEntry.objects.filter(
            connection=connection, handler_id__in=list(handler_ids), action__in=HANDLER_ACTIONS
        )
        .values("handler_id")
        .annotate(last=Max("id"))
        .values("last")
    )
    entries = (
        JournalEntry.objects.filter(pk__in=latest)
        .only("handler_id", "action", "user_name", "created_at")
        .order_by()
    )
    return {entry.handler_id: entry for entry in entries}


# --- test sends ----------------------------------------------------------------------------------


def record_handler_tested(
    *,
    connection: Connection,
    user: User,
    handler_id: int | None,
    name: str,
    type: str,
    outcome: Outcome,
    destination: str,
    typed: bool,
) -> JournalEntry:
    """A test message sent to a handler's destination (handlers_app.testsend): what came of it,
    where it went as the list shows it (never a secret), and whether the settings were typed into
    a form or stored. A new handler's test has no handler id."""
    return _record(
        team_id=connection.team_id,
        action=JournalAction.HANDLER_TESTED,
        user=user,
        connection=connection,
        changes=[
            {"field": "test_result", "after": outcome.record()},
            {"field": "destination", "after": destination},
            {"field": "tested_settings", "after": "typed" if typed else "stored"},
        ],
        handler_id=handler_id,
        handler_name=name[:200],
        handler_type=type[:64],
    )


@dataclass(frozen=True)
class LastTest:
    at: datetime
    outcome: Outcome


def handler_last_tests(
    *, connection: Connection, handler_ids: Iterable[int]
) -> dict[int, LastTest]:
    """The latest test of each handler, in one query (no request to Soclook)."""
    latest = (
        JournalEntry.objects.filter(
            connection=connection,
            handler_id__in=list(handler_ids),
            action=JournalAction.HANDLER_TESTED,
        )
        .values("handler_id")
        .annotate(last=Max("id"))
        .values("last")
    )
    entries = JournalEntry.objects.filter(pk__in=latest).only("handler_id", "created_at", "changes")
    tests = {}
    for entry in entries.order_by():
        result = next(
            (c.get("after") for c in entry.changes if c.get("field") == "test_result"), None
        )
        if isinstance(result, Mapping):
            tests[entry.handler_id] = LastTest(
                at=entry.created_at, outcome=Outcome.from_record(result)
            )
    return tests
