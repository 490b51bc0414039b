"""Writing journal entries. Services call the `record_*` functions after a write has succeeded,
so a failed call leaves no entry. The handler as the service had it before a change or deletion is
kept whole, secrets included, in a snapshot encrypted by `crypto`: that is what a restore sends
back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from handlers_app import crypto
from handlers_app.journal.diff import Change, HandlerState, handler_changes
from handlers_app.models import Connection, JournalAction, JournalEntry, SavedSetup, Team
from handlers_app.soclook import Handler, HandlerStatus
from handlers_app.soclook.types import NAME_MAX_LENGTH

type User = AbstractBaseUser | AnonymousUser | None


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


def snapshot_seal(snapshot: Snapshot) -> str:
    """The snapshot as stored, encrypted: in a journal entry, or on a bulk delete's item until
    its entry is written."""
    data = {
        "id": snapshot.id,
        "type": snapshot.type,
        "name": snapshot.name,
        "settings": dict(snapshot.settings),
        "status": snapshot.status,
    }
    return crypto.seal(data)


def snapshot_unseal(sealed: str) -> Snapshot:
    """What `snapshot_seal` stored; crypto.DecryptionError when no key reads it."""
    data = crypto.unseal(sealed)
    return Snapshot(
        id=int(data["id"]),
        type=str(data["type"]),
        name=str(data["name"]),
        settings={str(k): str(v) for k, v in data["settings"].items()},
        status=data["status"],
    )


def snapshot_of(entry: JournalEntry) -> Snapshot | None:
    if not entry.snapshot_encrypted:
        return None
    return snapshot_unseal(entry.snapshot_encrypted)


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
        snapshot_encrypted=snapshot_seal(Snapshot.of(before)),
        **_handler_fields(after, after.id),
    )


def record_handler_deleted(*, connection: Connection, user: User, kept: Snapshot) -> JournalEntry:
    """A deleted handler, `kept` as the service had it before: what a restore sends back."""
    return _record(
        team_id=connection.team_id,
        action=JournalAction.HANDLER_DELETED,
        user=user,
        connection=connection,
        snapshot_encrypted=snapshot_seal(kept),
        **_handler_fields(kept, kept.id),
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
        snapshot_encrypted=snapshot_seal(Snapshot.of(before)) if before is not None else "",
        restored_from=source,
        previous_handler_id=restored.id if restored.id != handler_id else None,
        **_handler_fields(restored, handler_id),
    )


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


def record_handler_tested(
    *,
    connection: Connection,
    user: User,
    handler_id: int | None,
    name: str,
    type: str,
    outcome: Mapping[str, Any],
    destination: Mapping[str, Any],
    typed: bool,
) -> JournalEntry:
    """A test message sent to a handler's destination: what came of it (the test-send package's
    own record, which it words: journal.readers), where it went as the list shows it, kept as
    `HandlerType.destination_record` (never a secret), and whether the settings were typed into
    a form or stored. A new handler's test has no handler id."""
    return _record(
        team_id=connection.team_id,
        action=JournalAction.HANDLER_TESTED,
        user=user,
        connection=connection,
        changes=[
            {"field": "test_result", "after": dict(outcome)},
            {"field": "destination", "after": dict(destination)},
            {"field": "tested_settings", "after": "typed" if typed else "stored"},
        ],
        handler_id=handler_id,
        handler_name=name[:200],
        handler_type=type[:64],
    )


def record_handlers_exported(
    *, connection: Connection, user: User, count: int, file_format: str
) -> JournalEntry:
    """An export that holds the handlers' secrets (handlers_app.exports): who made it, how many
    handlers it holds, in which format. The file itself is kept nowhere."""
    return _record(
        team_id=connection.team_id,
        action=JournalAction.HANDLERS_EXPORTED_WITH_SECRETS,
        user=user,
        connection=connection,
        changes=[
            {"field": "exported_count", "after": count},
            {"field": "export_format", "after": file_format.upper()},
        ],
    )


def record_secrets_sent(
    *,
    team_id: int,
    user: User,
    source_connection: Connection | None,
    what: str,
    handler_type: str,
    handler_id: int | None,
    destination: Connection,
) -> JournalEntry:
    """Secrets of `team_id` (of the handler or set-up named `what`) sent to another team's
    connection (handlers_app.secret_flow): named here, in the source team's journal, so that its
    owners can tell where their secrets went."""
    names = JournalEntry._meta
    return _record(
        team_id=team_id,
        action=JournalAction.SECRETS_SENT,
        user=user,
        connection=source_connection,
        handler_id=handler_id,
        handler_name=what[: names.get_field("handler_name").max_length],
        handler_type=handler_type[: names.get_field("handler_type").max_length],
        changes=[
            {"field": "sent_to_connection", "after": destination.name},
            {"field": "sent_to_team", "after": destination.team.name},
        ],
    )


@dataclass(frozen=True)
class SetupState:
    """A saved set-up as the journal compares it: its name, type and settings (no status)."""

    name: str
    type: str
    settings: Mapping[str, str] = field(repr=False)
    status: int | None = None

    @classmethod
    def of(cls, setup: SavedSetup) -> SetupState:
        return cls(name=setup.name, type=setup.type, settings=setup.settings)


_SETUP_ACTIONS = (
    JournalAction.SETUP_SAVED,
    JournalAction.SETUP_CHANGED,
    JournalAction.SETUP_DELETED,
)


def record_setup_event(
    *,
    setup: SavedSetup,
    user: User,
    action: JournalAction,
    before: SetupState | None = None,
    after: SetupState | None = None,
) -> JournalEntry | None:
    """A set-up saved, changed or deleted; its name is the entry's subject. A change that
    changes nothing is not recorded. Secrets appear only as set or changed."""
    if action not in _SETUP_ACTIONS:
        raise ValueError(f"{action} is not a change of a saved set-up")
    changes = handler_changes(before, after) if action != JournalAction.SETUP_DELETED else []
    if action == JournalAction.SETUP_CHANGED and not changes:
        return None
    return _record(
        team_id=setup.team_id,
        action=action,
        user=user,
        subject=setup.name[: JournalEntry._meta.get_field("subject").max_length],
        handler_type=setup.type[: JournalEntry._meta.get_field("handler_type").max_length],
        changes=changes,
    )


def record_setup_used(
    *, setup: SavedSetup, connection: Connection, user: User, handler_id: int, name: str
) -> JournalEntry:
    """A handler added from a saved set-up, in the set-up's team's journal. The connection is
    named only when it is in that team: a team's journal does not tell another team's names
    (the new handler's own entry is in the journal of the connection's team)."""
    same_team = connection.team_id == setup.team_id
    state = SetupState(name=name, type=setup.type, settings={})
    return _record(
        team_id=setup.team_id,
        action=JournalAction.SETUP_USED,
        user=user,
        connection=connection if same_team else None,
        connection_name=connection.name if same_team else "",
        subject=setup.name[: JournalEntry._meta.get_field("subject").max_length],
        **_handler_fields(state, handler_id),
    )
