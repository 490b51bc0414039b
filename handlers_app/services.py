"""Writes: everything that changes the dashboard's data or a Soclook account goes through here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from handlers_app.clients import client_for
from handlers_app.journal.diff import CHECK_FAILED, KEY_NOT_RETYPED, Change, connection_changes
from handlers_app.journal.recording import (
    Snapshot,
    record_connection_refused,
    record_connection_removed,
    record_connection_saved,
    record_handler_changed,
    record_handler_created,
    record_handler_deleted,
    record_handler_restored,
    snapshot_of,
)
from handlers_app.journal.restoring import recreation_of, restore_claim, restore_release
from handlers_app.models import Connection, JournalEntry
from handlers_app.readcache import (
    handler_cache_clear,
    handler_cache_created,
    handler_cache_deleted,
    handler_cache_guard,
    handler_cache_saved,
    handler_cache_unsure,
)
from handlers_app.service_time import service_now
from handlers_app.snooze.state import snooze_overridden
from handlers_app.soclook import Handler, HandlerStatus, ListQuery
from handlers_app.soclook.errors import BadKey, KeyUnreadable, SoclookError, Unavailable
from handlers_app.soclook.types import NAME_MAX_LENGTH, get_handler_type


class RestoreUnderway(Exception):
    """Another restore from the same journal entry is under way, or has already created the
    handler again (`recreated`, its journal entry)."""

    def __init__(self, *, recreated: JournalEntry | None = None) -> None:
        super().__init__("another restore from this journal entry came first")
        self.recreated = recreated


class ConnectionCheckFailed(Exception):
    """A connection was not saved; `message` says why, `field` names the form field to fix
    (None: the form as a whole)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def connection_check(*, connection: Connection) -> None:
    """Try the key with one small list call; remember the outcome on the connection.

    Raises ConnectionCheckFailed with a message a person can act on.
    """
    try:
        client_for(connection).list_handlers(ListQuery(results_per_page=10))
    except BadKey:
        message = _(
            "The service did not accept this API key. Copy it again from your account's API "
            "settings."
        )
    except Unavailable:
        message = _(
            "No Soclook-compatible API answered at this address. Check the base URL: it usually "
            "ends in /api/."
        )
    except SoclookError as exc:
        message = str(exc.message)
    else:
        message = ""
    connection.last_checked_at = timezone.now()
    connection.last_check_ok = not message
    kept = Connection._meta.get_field("last_check_message").max_length
    connection.last_check_message = message[:kept]
    if message:
        raise ConnectionCheckFailed(message)


def connection_save(
    *,
    connection: Connection,
    api_key: str | None,
    user: AbstractBaseUser | None,
    check: bool = True,
) -> Connection:
    """Check and save a new or changed connection. An empty api_key keeps the stored one.
    Without `check` (the operator's `add_connection --no-check`) the key is not tried.

    The stored key is only ever sent to the address it was entered for: a new address needs the
    key typed again, and is refused (and journalled, as is a new address that fails the check)
    before anything is sent anywhere.
    """
    created = connection.pk is None
    # The form has already changed the instance; the journal compares with what is stored.
    before = (
        None
        if created
        else Connection.objects.filter(pk=connection.pk).values("name", "base_url").first()
    )
    moved = before is not None and before["base_url"] != connection.base_url
    if moved and not api_key:
        record_connection_refused(
            connection=connection, user=user, stored=before, reason=KEY_NOT_RETYPED
        )
        raise ConnectionCheckFailed(
            _(
                "You changed the address: type the API key again. The stored key is only ever "
                "sent to the address it was entered for."
            ),
            field="api_key",
        )
    key_changed = bool(api_key) and (created or _stored_key(connection) != api_key)
    if api_key:
        connection.set_api_key(api_key)
    if created:
        connection.created_by = user
    try:
        if check:
            connection_check(connection=connection)
    except ConnectionCheckFailed:
        if moved:
            record_connection_refused(
                connection=connection, user=user, stored=before, reason=CHECK_FAILED
            )
        raise
    connection.save()
    record_connection_saved(
        connection=connection,
        user=user,
        created=created,
        changes=connection_changes(before=before, after=connection, api_key_changed=key_changed),
    )
    return connection


def _stored_key(connection: Connection) -> str | None:
    """The key stored for a connection; None when it can no longer be read (a new one is then
    a change)."""
    try:
        return connection.api_key
    except KeyUnreadable:
        return None


def connection_delete(*, connection: Connection, user: AbstractBaseUser | None) -> None:
    team_id, name = connection.team_id, connection.name
    connection.delete()
    record_connection_removed(team_id=team_id, name=name, user=user)


def merged_settings(
    *, current: Handler | None, type: str, submitted: Mapping[str, str]
) -> dict[str, str]:
    """The full settings to send for `type`: what was typed, and for a secret left empty the
    stored value (secrets are write-only, so an empty field means "keep").

    A type the registry does not know keeps its stored settings untouched.
    """
    stored = dict(current.settings) if current is not None and current.type == type else {}
    handler_type = get_handler_type(type, settings_keys=stored)
    if not handler_type.is_known:
        return stored
    result: dict[str, str] = {}
    for field in handler_type.fields:
        value = submitted.get(field.name, "")
        result[field.name] = value if value else stored.get(field.name, "")
    return result


def handler_create(
    *,
    connection: Connection,
    user: AbstractBaseUser,
    name: str,
    type: str,
    settings: Mapping[str, str],
) -> int:
    """Create a handler and journal it. The cached list takes the new record as the service's
    answer describes it: one request in all, however big the account (a copy or an import of N
    handlers costs N). A service whose answer holds only the id is asked for the record (one
    more request); when that fails, the list shows what was sent until the service is asked."""
    client = client_for(connection, writes=True)
    with handler_cache_guard(connection=connection):
        handler_id, described = client.create_handler_described(
            name=name, type=type, settings=settings
        )
    if described is None:
        described = _created_read_back(connection, handler_id)
    if described is not None:
        handler_cache_created(connection=connection, handler=described, provisional=False)
    else:
        now = service_now(connection.service_utc_offset)
        handler_cache_created(
            connection=connection,
            handler=Handler.as_sent(id=handler_id, type=type, name=name, settings=settings, at=now),
        )
    record_handler_created(
        connection=connection,
        user=user,
        handler_id=handler_id,
        name=name,
        type=type,
        settings=settings,
    )
    return handler_id


def _created_read_back(connection: Connection, handler_id: int) -> Handler | None:
    """The new record, read once from the service; None when it cannot say just now."""
    try:
        return client_for(connection, writes=True).get_handler(handler_id)
    except SoclookError:
        return None


def handler_changed(*, current: Handler, name: str, type: str, settings: Mapping[str, str]) -> bool:
    """Whether saving what was submitted would change the handler at all."""
    full = merged_settings(current=current, type=type, submitted=settings)
    return (name[:NAME_MAX_LENGTH], type, full) != (
        current.name,
        current.type,
        dict(current.settings),
    )


def handler_update(
    *,
    connection: Connection,
    user: AbstractBaseUser,
    current: Handler,
    name: str,
    type: str,
    settings: Mapping[str, str],
) -> Handler:
    """Save a changed handler. Sends the whole record (name, type, every settings field), as the
    service blanks what an update leaves out; sends nothing when nothing changed
    (`handler_changed`). Returns the record as it now stands."""
    if not handler_changed(current=current, name=name, type=type, settings=settings):
        return current
    full = merged_settings(current=current, type=type, submitted=settings)
    with handler_cache_guard(connection=connection, handler_id=current.id):
        answered = client_for(connection, writes=True).update_handler(
            handler_id=current.id, name=name, type=type, settings=full
        )
    updated = replace(
        current,
        name=name[:NAME_MAX_LENGTH],
        type=type,
        settings=full,
        **_dates_after_write(connection, current, answered),
    )
    handler_cache_saved(connection=connection, handler=updated, exact=_dated_by_service(answered))
    record_handler_changed(connection=connection, user=user, before=current, after=updated)
    return updated


def handler_set_enabled(
    *,
    connection: Connection,
    user: AbstractBaseUser | None,
    current: Handler,
    enabled: bool,
    snooze: Change | None = None,
) -> Handler:
    """Switch a handler on or off. A switch by a person (no `snooze`) ends the handler's
    snooze: what a person does by hand wins over the snooze's own end (handlers_app.snooze)."""
    with handler_cache_guard(connection=connection, handler_id=current.id):
        answered = client_for(connection, writes=True).update_handler(
            handler_id=current.id,
            name=current.name,
            type=current.type,
            settings=dict(current.settings),
            is_enabled=enabled,
        )
    if not enabled:
        status = HandlerStatus.DISABLED
    elif current.status == HandlerStatus.PENDING or current.email_confirmed is False:
        # The service keeps an unconfirmed address waiting, whatever was asked.
        status = HandlerStatus.PENDING
    else:
        status = HandlerStatus.ENABLED
    updated = replace(current, status=status, **_dates_after_write(connection, current, answered))
    handler_cache_saved(connection=connection, handler=updated, exact=_dated_by_service(answered))
    record_handler_changed(
        connection=connection, user=user, before=current, after=updated, snooze=snooze
    )
    if snooze is None:
        snooze_overridden(connection=connection, handler_id=current.id)
    return updated


def _dated_by_service(answered: Handler | None) -> bool:
    """Whether a write's answer gave the record's last change (else the dashboard guessed it)."""
    return answered is not None and answered.last_changed is not None


def _dates_after_write(
    connection: Connection, current: Handler, answered: Handler | None
) -> dict[str, datetime | None]:
    """The record's dates after a write: the service's, when its answer carries them; else the
    dashboard's own time of the change, which the next read from the service replaces."""
    if answered is not None and answered.last_changed is not None:
        return {
            "created": answered.created or current.created,
            "last_changed": answered.last_changed,
        }
    return {
        "created": current.created,
        "last_changed": service_now(connection.service_utc_offset),
    }


def handler_delete(
    *,
    connection: Connection,
    user: AbstractBaseUser,
    current: Handler,
    settle: Callable[[], object] | None = None,
) -> None:
    """Delete a handler and journal it, restorable (`handler_deleted_record`). `settle` runs in
    the journal entry's transaction: a bulk delete clears there the copy of the snapshot it
    made durable before the request (handlers_app.bulk)."""
    with handler_cache_guard(connection=connection, handler_id=current.id):
        client_for(connection, writes=True).delete_handler(current.id)
    handler_deleted_record(
        connection=connection, user=user, kept=Snapshot.of(current), settle=settle
    )


def handler_deleted_record(
    *,
    connection: Connection,
    user: AbstractBaseUser | None,
    kept: Snapshot,
    settle: Callable[[], object] | None = None,
) -> JournalEntry:
    """What follows a DELETE the service confirmed: the cache forgets the handler and the
    journal keeps it as `kept`, so that it can be restored. Also for a deletion confirmed
    before the worker sending it stopped, from the snapshot kept before it was sent."""
    handler_cache_deleted(connection=connection, handler_id=kept.id)
    with transaction.atomic():
        entry = record_handler_deleted(connection=connection, user=user, kept=kept)
        if settle is not None:
            settle()
    return entry


def handler_restore(
    *,
    connection: Connection,
    user: AbstractBaseUser,
    entry: JournalEntry,
    current: Handler | None,
) -> int:
    """Bring a handler back to the state a journal entry kept; return its id.

    `current` is the handler as it stands: it is updated in full (name, type, every setting,
    on/off) to the kept state. When it no longer exists (None) it is created again from the
    snapshot, under a new id that the journal links to the old one.

    One restore from an entry runs at a time: the others raise RestoreUnderway, as does a
    restore of a handler that an earlier one already created again.
    """
    kept = snapshot_of(entry)
    if kept is None:
        raise ValueError("this journal entry kept no handler to restore")
    claimed_at = restore_claim(entry=entry)
    if claimed_at is None:
        raise RestoreUnderway
    try:
        # Checked again under the claim: a restore that finished since the page was read.
        recreated = recreation_of(entry)
        if recreated is not None:
            raise RestoreUnderway(recreated=recreated)
        return _restore(connection=connection, user=user, entry=entry, kept=kept, current=current)
    finally:
        restore_release(entry=entry, claimed_at=claimed_at)


def _restore(
    *,
    connection: Connection,
    user: AbstractBaseUser,
    entry: JournalEntry,
    kept: Snapshot,
    current: Handler | None,
) -> int:
    client = client_for(connection, writes=True)
    with handler_cache_guard(connection=connection, handler_id=current.id if current else None):
        if current is None:
            handler_id = client.create_handler(
                name=kept.name, type=kept.type, settings=kept.settings
            )
        else:
            handler_id = current.id
            client.update_handler(
                handler_id=handler_id,
                name=kept.name,
                type=kept.type,
                settings=kept.settings,
                is_enabled=kept.is_enabled if kept.is_enabled != current.is_enabled else None,
            )
    handler_cache_unsure(connection=connection)
    record_handler_restored(
        connection=connection,
        user=user,
        source=entry,
        restored=kept,
        before=current,
        handler_id=handler_id,
    )
    if current is None and not kept.is_enabled:
        # It was off when it was deleted; coming back must not start it sending.
        with handler_cache_guard(connection=connection, handler_id=handler_id):
            client.update_handler(
                handler_id=handler_id,
                name=kept.name,
                type=kept.type,
                settings=kept.settings,
                is_enabled=False,
            )
        handler_cache_clear(connection=connection)
    return handler_id
