"""Bulk actions on the handler list: switch on, switch off or delete many handlers at once, as
job kinds of handlers_app.batches (the selection, the job, the runner and its pacing live
there).

Every change goes through `services` and is journalled there. A handler whose request was under
way when its worker stopped is read again before anything is sent: what already happened is
not done twice. A bulk delete keeps each handler restorable from the journal, even when its
worker stops between the service's confirmation and the journal entry: the handler's snapshot
is sealed on its item before the DELETE is sent and cleared with the entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from handlers_app.batches import (
    MAX_SELECTED,
    ItemOutcome,
    Job,
    JobAction,
    JobItem,
    Kind,
    Target,
    item_settle,
    job_create,
)
from handlers_app.clients import client_for
from handlers_app.journal.recording import (
    Snapshot,
    record_handler_changed,
    snapshot_seal,
    snapshot_unseal,
)
from handlers_app.models import Connection, JournalAction, JournalEntry
from handlers_app.selectors import handler_get
from handlers_app.services import handler_delete, handler_deleted_record, handler_set_enabled
from handlers_app.soclook import Handler, HandlerStatus
from handlers_app.soclook.errors import NotFound, SoclookError

__all__ = ["BULK_ACTIONS", "DeleteKind", "SwitchKind", "bulk_job_create", "is_already"]

# The actions of the list's bulk bar that run as a job here.
BULK_ACTIONS = (JobAction.ENABLE, JobAction.DISABLE, JobAction.DELETE)
_NAME_LENGTH = JobItem._meta.get_field("name").max_length


def is_already(handler: Handler, action: JobAction) -> bool:
    """The handler is already as the action would leave it (switched on or off)."""
    if action == JobAction.ENABLE:
        return handler.status != HandlerStatus.DISABLED
    if action == JobAction.DISABLE:
        return handler.status == HandlerStatus.DISABLED
    return False


def bulk_job_create(
    *,
    connection: Connection,
    user: AbstractBaseUser,
    action: JobAction,
    handlers: Sequence[Handler],
) -> Job:
    """Keep the handlers a person confirmed, to be changed by `batches.job_start()`."""
    return job_create(
        connection=connection,
        user=user,
        action=action,
        items=(
            JobItem(
                position=position,
                handler_id=handler.id,
                name=handler.name[:_NAME_LENGTH],
                type=handler.type,
            )
            for position, handler in enumerate(handlers[:MAX_SELECTED])
        ),
    )


class SwitchKind(Kind):
    """Switch one handler on or off (the job's action says which)."""

    def run(
        self, job: Job, item: JobItem, target: Target, *, resumed: bool, settle_only: bool
    ) -> None:
        action = JobAction(job.action)
        connection = target.connection
        if resumed:
            # Its request may have been applied before the last worker stopped.
            current = client_for(connection).get_handler(item.handler_id)
            if is_already(current, action):
                _journal_interrupted_switch(job, item, target, current=current)
                item_settle(item, ItemOutcome.DONE)
                return
            if settle_only:
                item_settle(item, ItemOutcome.NOT_SENT)
                return
        else:
            current = handler_get(connection=connection, handler_id=item.handler_id)
        if is_already(current, action):
            item_settle(item, ItemOutcome.UNCHANGED)
            return
        handler_set_enabled(
            connection=connection,
            user=target.user,
            current=current,
            enabled=action == JobAction.ENABLE,
        )
        item_settle(item, ItemOutcome.DONE)


def _journal_interrupted_switch(
    job: Job, item: JobItem, target: Target, *, current: Handler
) -> None:
    """A switch the last worker sent but may not have journalled gets its one journal entry."""
    action = JobAction(job.action)
    journalled = JournalEntry.objects.filter(
        connection=target.connection,
        handler_id=item.handler_id,
        action=JournalAction.HANDLER_ENABLED
        if action == JobAction.ENABLE
        else JournalAction.HANDLER_DISABLED,
        created_at__gte=job.created_at,
    ).exists()
    if journalled:
        return
    before = HandlerStatus.ENABLED if action == JobAction.DISABLE else HandlerStatus.DISABLED
    record_handler_changed(
        connection=target.connection,
        user=target.user,
        before=replace(current, status=before),
        after=current,
    )


class DeleteKind(Kind):
    """Delete one handler as a single delete does, restorable from the journal."""

    def run(
        self, job: Job, item: JobItem, target: Target, *, resumed: bool, settle_only: bool
    ) -> None:
        connection = target.connection
        try:
            if resumed:
                current = client_for(connection).get_handler(item.handler_id)
                if settle_only:
                    # Still there: its DELETE was never applied, and none is sent now.
                    item_settle(item, ItemOutcome.NOT_SENT, snapshot_encrypted="")
                    return
            else:
                current = handler_get(connection=connection, handler_id=item.handler_id)
        except NotFound:
            if resumed:
                _settle_deleted(item, target)
                return
            raise
        _delete(item, target, current=current)


def _delete(item: JobItem, target: Target, *, current: Handler) -> None:
    """The snapshot first made durable on its item and cleared in the transaction that
    journals the deletion: a worker that stops after the service confirmed the DELETE leaves
    the snapshot to `_settle_deleted`."""
    items = JobItem.objects.filter(pk=item.pk)
    items.update(snapshot_encrypted=snapshot_seal(Snapshot.of(current)))
    try:
        handler_delete(
            connection=target.connection,
            user=target.user,
            current=current,
            settle=lambda: items.update(snapshot_encrypted="", outcome=ItemOutcome.DONE),
        )
    except NotFound:
        raise
    except SoclookError:
        # Refused before it was applied, or no clear answer (reported as unknown, never sent
        # again, and not journalled, as a single delete's): the snapshot is not needed.
        items.update(snapshot_encrypted="")
        raise
    item.outcome = ItemOutcome.DONE


def _settle_deleted(item: JobItem, target: Target) -> None:
    """An interrupted delete whose handler is gone. With a snapshot on its item, the service
    confirmed the DELETE but the worker stopped before journalling it: the journal entry is
    written from the snapshot, once (clearing it claims the item). Without one, the DELETE
    was never sent: the handler went some other way."""
    items = JobItem.objects.filter(pk=item.pk)
    sealed = items.values_list("snapshot_encrypted", flat=True).first()
    if not sealed:
        item_settle(item, ItemOutcome.GONE)
        return
    with transaction.atomic():
        if items.filter(snapshot_encrypted=sealed).update(
            snapshot_encrypted="", outcome=ItemOutcome.DONE
        ):
            handler_deleted_record(
                connection=target.connection, user=target.user, kept=snapshot_unseal(sealed)
            )
