"""Bulk actions on the handler list: switch on, switch off, delete or copy many handlers at once.

A selection is either handler ids (`?ids=1,2,3`) or "all matching this filter" (the list's own
query and `all=1`); the same shape carries a selection to the other flows of the bulk bar (copy
to a connection, export, save as set-ups). `bulk_job_create()` keeps the selected handlers as a
`BulkJob`; `bulk_job_start()` runs a few of them at once and queues the rest to the background
task `bulk_apply`, which works like the import task (handlers_app.imports.task): slices of a few
handlers queued behind the other jobs, the request budget shared with the people using the
dashboard, waits spent without holding a worker, and each handler claimed before its request so
that nothing is sent twice. Every change goes through `services` and is journalled there; a bulk
delete keeps each handler restorable from the journal, even when its worker stops between the
service's confirmation and the journal entry: the handler's snapshot is sealed on its item
before the DELETE is sent and cleared with the entry.

A copy to another connection (handlers_app.sharing) of more than a few handlers is a bulk job
too (`bulk_copy_job_create`): its items are the planned copies, the skipped ones settled from the
start; each is created with the destination's key and counts against the destination's budget,
which is the one paced. The source is read through the cache, its secrets only ever on the server.

A worker told to stop queues the rest of its job before it goes; a job whose worker vanished
(its heartbeat stopped) is queued again by `manage.py imports_housekeeping`. A handler whose
request was under way is read again before anything is sent: what already happened is not done
twice; for a copy, the destination is read afresh for a handler of the same type sending to
the same place, so that none is created twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from time import monotonic
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from handlers_app.access import copy_destination_for
from handlers_app.clients import client_for
from handlers_app.imports.ending import STALLED_AFTER
from handlers_app.imports.task import (
    MAX_WAITS_PER_ROW,
    PEOPLE_HEADROOM,
    SLICE_ROWS,
    SLICE_SECONDS,
)
from handlers_app.journal.recording import (
    Snapshot,
    record_handler_changed,
    snapshot_seal,
    snapshot_unseal,
)
from handlers_app.models import (
    BulkAction,
    BulkItem,
    BulkItemOutcome,
    BulkJob,
    BulkStatus,
    Connection,
    ImportStopReason,
    JournalAction,
    JournalEntry,
    Membership,
    Role,
)
from handlers_app.pacing import (
    NextSlice,
    job_stop_requested,
    job_touch,
    next_slice_queue,
)
from handlers_app.readcache import handler_cache_clear
from handlers_app.selectors import budget_state, handler_get, handler_page
from handlers_app.services import handler_delete, handler_deleted_record, handler_set_enabled
from handlers_app.sharing import (
    CopyItem,
    copy_made,
    copy_made_settle,
    copy_source,
    handler_copy_to,
    is_the_copy,
)
from handlers_app.soclook import RESULTS_PER_PAGE_CHOICES, Handler, HandlerStatus, ListQuery
from handlers_app.soclook.errors import (
    BadKey,
    KeyUnreadable,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    SoclookError,
    Unavailable,
)

__all__ = [
    "BULK_MAX_HANDLERS",
    "RUN_AT_ONCE_UP_TO",
    "Selection",
    "bulk_apply",
    "bulk_copy_job_create",
    "bulk_job_counts",
    "bulk_job_create",
    "bulk_job_mark_list_refreshed",
    "bulk_job_stalled",
    "bulk_job_start",
    "bulk_job_stop",
    "bulk_jobs_resume_stalled",
    "is_already",
    "selection_from_params",
    "selection_handlers",
]

logger = logging.getLogger(__name__)

# One bulk action takes at most this many handlers: one page of the list at its largest size.
BULK_MAX_HANDLERS = max(RESULTS_PER_PAGE_CHOICES)
# A selection of at most this many handlers is changed while the person waits; a larger one
# goes to the background, with a page that shows its progress.
RUN_AT_ONCE_UP_TO = 5
# A wait spent in the worker (a backend that cannot defer) is cut into slices of this many
# seconds, so that "Cancel" is heard and the heartbeat keeps beating.
_WAIT_SLICE_SECONDS = 1
_MESSAGE_LENGTH = BulkItem._meta.get_field("message").max_length
_NAME_LENGTH = BulkItem._meta.get_field("name").max_length

_WANTED_JOURNAL_ACTION = {
    BulkAction.ENABLE: JournalAction.HANDLER_ENABLED,
    BulkAction.DISABLE: JournalAction.HANDLER_DISABLED,
    BulkAction.DELETE: JournalAction.HANDLER_DELETED,
}
_OPEN_ITEMS_END_AS = {
    BulkItemOutcome.SENDING: BulkItemOutcome.UNKNOWN,
    BulkItemOutcome.PENDING: BulkItemOutcome.NOT_SENT,
}


# --- what is selected ------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """Handler ids, or (`ids` None) every handler the list's `query` matches."""

    query: ListQuery
    ids: tuple[int, ...] | None = None

    @property
    def is_all(self) -> bool:
        return self.ids is None

    def to_params(self) -> dict[str, str]:
        """The selection as a query string carries it to any flow of the bulk bar."""
        if self.ids is not None:
            return {"ids": ",".join(str(i) for i in self.ids)}
        params = self.query.to_params(omit_defaults=True)
        params.pop("page", None)
        params.pop("results_per_page", None)
        return {**params, "all": "1"}


def selection_from_params(params: Mapping[str, Any]) -> Selection | None:
    """The selection a query string or form asks for: `all=1` with the list's filters, or
    `ids` (comma-separated, or repeated as checkboxes send them); None when nothing is."""
    query = ListQuery.from_params(params)
    query = replace(query, page=1, results_per_page=BULK_MAX_HANDLERS)
    if params.get("all") == "1":
        return Selection(query=query)
    values = params.getlist("ids") if hasattr(params, "getlist") else [params.get("ids", "")]
    ids: list[int] = []
    for value in values:
        for part in str(value or "").split(","):
            part = part.strip()
            if part.isascii() and part.isdigit() and len(part) <= 18 and int(part) not in ids:
                ids.append(int(part))
    if not ids:
        return None
    return Selection(query=query, ids=tuple(ids[:BULK_MAX_HANDLERS]))


def selection_handlers(
    *, connection: Connection, selection: Selection
) -> tuple[list[Handler], int]:
    """The selected handlers as the service now lists them, and how many matched in all (more
    than BULK_MAX_HANDLERS for a filter too wide). Ids no longer listed are left out."""
    if selection.ids is None:
        page = handler_page(connection=connection, query=selection.query)
        return list(page.items), page.total
    wanted = set(selection.ids)
    query = ListQuery(results_per_page=BULK_MAX_HANDLERS)
    found: dict[int, Handler] = {}
    while True:
        page = handler_page(connection=connection, query=query)
        found.update((h.id, h) for h in page.items if h.id in wanted)
        if len(found) == len(wanted) or query.page * query.results_per_page >= page.total:
            break
        query = replace(query, page=query.page + 1)
    handlers = [found[i] for i in selection.ids if i in found]
    return handlers, len(handlers)


def is_already(handler: Handler, action: BulkAction) -> bool:
    """The handler is already as the action would leave it (switched on or off)."""
    if action == BulkAction.ENABLE:
        return handler.status != HandlerStatus.DISABLED
    if action == BulkAction.DISABLE:
        return handler.status == HandlerStatus.DISABLED
    return False


# --- jobs --------------------------------------------------------------------------------------


def bulk_job_create(
    *,
    connection: Connection,
    user: AbstractBaseUser,
    action: BulkAction,
    handlers: Sequence[Handler],
) -> BulkJob:
    """Keep the handlers a person confirmed, to be changed by `bulk_job_start()`."""
    job = BulkJob(connection=connection, created_by=user, action=action)
    with transaction.atomic():
        job.save()
        BulkItem.objects.bulk_create(
            BulkItem(
                job=job,
                position=position,
                handler_id=handler.id,
                name=handler.name[:_NAME_LENGTH],
                type=handler.type,
            )
            for position, handler in enumerate(handlers[:BULK_MAX_HANDLERS])
        )
    return job


def bulk_copy_job_create(
    *,
    source: Connection,
    destination: Connection,
    user: AbstractBaseUser,
    plan: Sequence[CopyItem],
) -> BulkJob:
    """Keep a copy a person confirmed (handlers_app.sharing.copy_plan), to be run by
    `bulk_job_start()`: the skipped handlers are settled at once, with the reason."""
    job = BulkJob(
        connection=source, destination=destination, created_by=user, action=BulkAction.COPY
    )
    with transaction.atomic():
        job.save()
        BulkItem.objects.bulk_create(
            BulkItem(
                job=job,
                position=position,
                handler_id=item.handler.id,
                name=item.handler.name[:_NAME_LENGTH],
                type=item.handler.type,
                outcome=BulkItemOutcome.SKIPPED if item.skipped else BulkItemOutcome.PENDING,
                same_as=(item.same_as or "")[:_NAME_LENGTH],
                same_in_selection=item.same_in_selection,
            )
            for position, item in enumerate(plan[:BULK_MAX_HANDLERS])
        )
    return job


def bulk_job_start(*, job: BulkJob) -> None:
    """Change a few handlers now, in the request; queue a longer job to the background."""
    if job.items.count() > RUN_AT_ONCE_UP_TO:
        bulk_apply.enqueue(job_id=job.pk)
        return
    # The same task, called here: a wait for the budget still goes to the background.
    try:
        bulk_apply.call(job_id=job.pk)
    except Exception:
        # The job was ended with the reason "an unexpected error", which its page shows.
        logger.exception("Bulk action %s stopped by an unexpected error.", job.pk)


def bulk_job_stop(*, job: BulkJob) -> None:
    """Cancel a job: at once when it is queued or between two slices, otherwise after the
    handler being sent now."""
    reason = ImportStopReason.STOPPED_BY_PERSON
    if _end(job, reason=reason, if_status=(BulkStatus.QUEUED,)):
        return
    if _end(job, reason=reason, if_status=(BulkStatus.RUNNING,), between_slices=True):
        return
    BulkJob.objects.filter(pk=job.pk, status=BulkStatus.RUNNING).update(stop_requested=True)


def bulk_job_stalled(job: BulkJob) -> bool:
    """Running, but its worker went away (the heartbeat stopped)."""
    return job.status == BulkStatus.RUNNING and job.updated_at < timezone.now() - STALLED_AFTER


def bulk_jobs_resume_stalled() -> int:
    """Queue again the jobs whose worker went away; returns how many. Each goes on from the
    handler it was sending, read again first (see `_settle_interrupted`)."""
    resumed = 0
    stalled = BulkJob.objects.filter(
        status=BulkStatus.RUNNING, updated_at__lt=timezone.now() - STALLED_AFTER
    )
    for job in stalled:
        if _resume(job):
            resumed += 1
    return resumed


def bulk_job_mark_list_refreshed(*, job: BulkJob) -> None:
    """Once, after a job ended: forget the cached list in this process (the worker's cache may
    be its own memory, not the web server's)."""
    if not job.is_over or job.list_cache_cleared:
        return
    if BulkJob.objects.filter(pk=job.pk, list_cache_cleared=False).update(list_cache_cleared=True):
        job.list_cache_cleared = True
        changed = job.destination if job.action == BulkAction.COPY else job.connection
        if changed is not None:
            handler_cache_clear(connection=changed)


def bulk_job_counts(job: BulkJob) -> dict[str, int]:
    counts = Counter(job.items.values_list("outcome", flat=True))
    return {outcome.value: counts[outcome] for outcome in BulkItemOutcome}


def _resume(job: BulkJob) -> bool:
    """Put a running job between two slices again and queue its next slice."""
    now = timezone.now()
    if not BulkJob.objects.filter(pk=job.pk, status=BulkStatus.RUNNING).update(
        waiting_until=now, updated_at=now
    ):
        return False
    bulk_apply.enqueue(job_id=job.pk)
    return True


def _end(
    job: BulkJob,
    *,
    reason: ImportStopReason | None,
    if_status: Sequence[BulkStatus] = (BulkStatus.QUEUED, BulkStatus.RUNNING),
    between_slices: bool = False,
) -> bool:
    """Close a job still in one of `if_status` and settle the handlers left open."""
    jobs = BulkJob.objects.filter(pk=job.pk, status__in=if_status)
    if between_slices:
        jobs = jobs.filter(waiting_until__isnull=False)
    with transaction.atomic():
        ended = jobs.update(
            status=BulkStatus.FINISHED if reason is None else BulkStatus.STOPPED,
            stop_reason=reason or "",
            finished_at=timezone.now(),
            waiting_until=None,
        )
        if ended:
            for open_outcome, outcome in _OPEN_ITEMS_END_AS.items():
                job.items.filter(outcome=open_outcome).update(outcome=outcome)
    return bool(ended)


# --- the background task -----------------------------------------------------------------------


@task
def bulk_apply(*, job_id: int, waits: int = 0) -> dict[str, int]:
    """Change the next slice of a job's handlers, then queue the slice after it or end the job;
    returns the count of handlers by outcome once the job ended."""
    job = _claim(job_id)
    if job is None:
        return {}
    try:
        step = _run_slice(job, waits=waits)
    except (KeyboardInterrupt, SystemExit):
        # The worker is stopping: the next one goes on where this one stopped.
        _resume(job)
        raise
    except Exception:
        _end(job, reason=ImportStopReason.ERROR)
        raise
    if isinstance(step, NextSlice) and job_stop_requested(job, running=BulkStatus.RUNNING):
        step = ImportStopReason.STOPPED_BY_PERSON
    if isinstance(step, NextSlice):
        next_slice_queue(
            job,
            step,
            task=bulk_apply,
            running=BulkStatus.RUNNING,
            step_seconds=_WAIT_SLICE_SECONDS,
        )
        return {}
    _end(job, reason=step)
    return bulk_job_counts(job)


def _claim(job_id: int) -> BulkJob | None:
    now = timezone.now()
    started = BulkJob.objects.filter(pk=job_id, status=BulkStatus.QUEUED).update(
        status=BulkStatus.RUNNING, started_at=now, updated_at=now
    )
    resumed = started or BulkJob.objects.filter(
        pk=job_id, status=BulkStatus.RUNNING, waiting_until__isnull=False
    ).update(waiting_until=None, updated_at=now)
    if not resumed:
        return None
    return BulkJob.objects.select_related("created_by").get(pk=job_id)


def _run_slice(job: BulkJob, *, waits: int) -> NextSlice | ImportStopReason | None:
    started = monotonic()
    open_items = job.items.filter(
        outcome__in=(BulkItemOutcome.SENDING, BulkItemOutcome.PENDING)
    ).order_by("position")
    for index, item in enumerate(open_items[:SLICE_ROWS]):
        item_waits = waits if index == 0 else 0
        if index and monotonic() - started >= SLICE_SECONDS:
            return NextSlice(waits=item_waits)
        # A handler whose request was under way when its worker stopped is settled even after
        # a cancel (what already happened is journalled: a deletion stays restorable); only
        # what was not sent yet stays unsent.
        settle_only = item.outcome == BulkItemOutcome.SENDING and job_stop_requested(
            job, running=BulkStatus.RUNNING
        )
        go_on = _may_go_on(job, settling=settle_only)
        if isinstance(go_on, ImportStopReason):
            return go_on
        connection, user = go_on
        spare = 0 if settle_only else _seconds_to_spare_for_people(connection)
        if spare:
            return NextSlice(after=spare, waits=item_waits)
        step = _apply_one(
            job, item, connection=connection, user=user, waits=item_waits, settle_only=settle_only
        )
        job_touch(job)
        if step is not None:
            return step
    if open_items.exists():
        return NextSlice()
    return None


def _may_go_on(
    job: BulkJob, *, settling: bool = False
) -> tuple[Connection, AbstractBaseUser] | ImportStopReason:
    """The connection to write to and the person the job writes as, or why it must stop.
    `settling` an interrupted handler goes on through a person's stop."""
    state = BulkJob.objects.filter(pk=job.pk).values("status", "stop_requested").first()
    if state is None or state["status"] != BulkStatus.RUNNING:
        return ImportStopReason.INTERRUPTED
    if state["stop_requested"] and not settling:
        return ImportStopReason.STOPPED_BY_PERSON
    connection = Connection.objects.filter(pk=job.connection_id).first()
    if connection is None:
        return ImportStopReason.INTERRUPTED
    user = job.created_by
    allowed = Membership.objects.filter(user_id=job.created_by_id, team=connection.team_id).first()
    if user is None or allowed is None or not allowed.allows(Role.EDITOR):
        return ImportStopReason.NO_PERMISSION
    if job.action == BulkAction.COPY:
        # A copy writes to its destination: its key, budget and the person's right to add there.
        if job.destination_id is None:
            return ImportStopReason.DESTINATION_GONE
        destination = copy_destination_for(
            user, source_id=connection.pk, destination_id=job.destination_id
        )
        if destination is None:
            return ImportStopReason.NO_COPY_PERMISSION
        return destination, user
    return connection, user


def _seconds_to_spare_for_people(connection: Connection) -> int:
    """How long to wait before the next request, to leave the people using the dashboard their
    share of the key's budget (and the read of the handler before its change); 0 to go on."""
    budget = budget_state(connection=connection)
    headroom = min(PEOPLE_HEADROOM, budget.limit // 4)
    if budget.remaining <= headroom and budget.resets_in:
        return max(1, budget.resets_in)
    return 0


def _apply_one(
    job: BulkJob,
    item: BulkItem,
    *,
    connection: Connection,
    user: AbstractBaseUser,
    waits: int,
    settle_only: bool = False,
) -> NextSlice | ImportStopReason | None:
    """Change one handler; None when it is settled, a next slice to try it again after the
    rate limit's wait, a reason when the job must stop. `settle_only` (an interrupted handler
    of a cancelled job) records what already happened and sends nothing new."""
    items = BulkItem.objects.filter(pk=item.pk)
    interrupted = item.outcome == BulkItemOutcome.SENDING
    # Claimed by its outcome: a handler is sent by one slice only.
    if not interrupted and not items.filter(outcome=BulkItemOutcome.PENDING).update(
        outcome=BulkItemOutcome.SENDING
    ):
        return None
    action = BulkAction(job.action)
    if action == BulkAction.COPY:
        return _copy_one(
            job, item, destination=connection, user=user, waits=waits, settle_only=settle_only
        )
    try:
        if interrupted:
            # Its request may have been applied before the last worker stopped: read it afresh.
            current = client_for(connection).get_handler(item.handler_id)
            if is_already(current, action):
                _settle_interrupted(job, item, connection=connection, user=user, current=current)
                items.update(outcome=BulkItemOutcome.DONE)
                return None
            if settle_only:
                items.update(outcome=BulkItemOutcome.NOT_SENT, snapshot_encrypted="")
                return None
        else:
            current = handler_get(connection=connection, handler_id=item.handler_id)
        if is_already(current, action):
            items.update(outcome=BulkItemOutcome.UNCHANGED)
            return None
        if action == BulkAction.DELETE:
            _delete(item, connection=connection, user=user, current=current)
        else:
            handler_set_enabled(
                connection=connection,
                user=user,
                current=current,
                enabled=action == BulkAction.ENABLE,
            )
    except NotFound:
        if interrupted and action == BulkAction.DELETE:
            _settle_deleted(item, connection=connection, user=user)
        else:
            items.update(outcome=BulkItemOutcome.GONE, snapshot_encrypted="")
    except SoclookError as exc:
        return _after_failure(exc, item=item, waits=waits)
    else:
        items.update(outcome=BulkItemOutcome.DONE)
    return None


def _after_failure(
    exc: SoclookError, *, item: BulkItem, waits: int
) -> NextSlice | ImportStopReason | None:
    """What Soclook's refusal means for one handler of a job, whatever the action (a handler
    that is not found is each action's own): returns as `_apply_one` does."""
    items = BulkItem.objects.filter(pk=item.pk)
    if isinstance(exc, RateLimited):
        # Refused before it was applied: safe to send again.
        items.update(outcome=item.outcome)
        if waits == MAX_WAITS_PER_ROW:
            return ImportStopReason.RATE_LIMITED
        return NextSlice(after=max(1, exc.retry_after), waits=waits + 1)
    if isinstance(exc, OutcomeUnknown):
        items.update(outcome=BulkItemOutcome.UNKNOWN)
        return None
    if isinstance(exc, BadKey | KeyUnreadable):
        items.update(outcome=item.outcome)
        return ImportStopReason.BAD_KEY
    if isinstance(exc, Unavailable):
        items.update(outcome=item.outcome)
        return ImportStopReason.UNAVAILABLE
    items.update(outcome=BulkItemOutcome.REFUSED, message=exc.message[:_MESSAGE_LENGTH])
    return None


def _delete(
    item: BulkItem, *, connection: Connection, user: AbstractBaseUser, current: Handler
) -> None:
    """Delete one handler as a single delete does, its snapshot first made durable on its item
    and cleared in the transaction that journals the deletion: a worker that stops after the
    service confirmed the DELETE leaves the snapshot to `_settle_deleted`."""
    items = BulkItem.objects.filter(pk=item.pk)
    items.update(snapshot_encrypted=snapshot_seal(Snapshot.of(current)))
    try:
        handler_delete(
            connection=connection,
            user=user,
            current=current,
            settle=lambda: items.update(snapshot_encrypted="", outcome=BulkItemOutcome.DONE),
        )
    except NotFound:
        raise
    except SoclookError:
        # Refused before it was applied, or no clear answer (reported as unknown, never sent
        # again, and not journalled, as a single delete's): the snapshot is not needed.
        items.update(snapshot_encrypted="")
        raise


def _settle_deleted(item: BulkItem, *, connection: Connection, user: AbstractBaseUser) -> None:
    """An interrupted delete whose handler is gone. With a snapshot on its item, the service
    confirmed the DELETE but the worker stopped before journalling it: the journal entry is
    written from the snapshot, once (clearing it claims the item). Without one, the DELETE
    was never sent: the handler went some other way."""
    items = BulkItem.objects.filter(pk=item.pk)
    sealed = items.values_list("snapshot_encrypted", flat=True).first()
    if not sealed:
        items.update(outcome=BulkItemOutcome.GONE)
        return
    with transaction.atomic():
        if items.filter(snapshot_encrypted=sealed).update(
            snapshot_encrypted="", outcome=BulkItemOutcome.DONE
        ):
            handler_deleted_record(connection=connection, user=user, kept=snapshot_unseal(sealed))


def _copy_one(
    job: BulkJob,
    item: BulkItem,
    *,
    destination: Connection,
    user: AbstractBaseUser,
    waits: int,
    settle_only: bool = False,
) -> NextSlice | ImportStopReason | None:
    """Copy one handler (claimed by `_apply_one`) to the job's destination; returns as
    `_apply_one` does."""
    items = BulkItem.objects.filter(pk=item.pk)
    try:
        source = copy_source(connection=job.connection, handler_id=item.handler_id)
        if item.outcome == BulkItemOutcome.SENDING:
            # Its create may have reached the service before the last worker stopped.
            made = copy_made(destination=destination, source=source)
            if made is not None and is_the_copy(made, source):
                note = copy_made_settle(
                    destination=destination,
                    user=user,
                    source=source,
                    made=made,
                    since=job.created_at,
                )
                items.update(outcome=BulkItemOutcome.DONE, message=note[:_MESSAGE_LENGTH])
                return None
            if made is not None:
                items.update(outcome=BulkItemOutcome.SKIPPED, same_as=made.name[:_NAME_LENGTH])
                return None
            if settle_only:
                items.update(outcome=BulkItemOutcome.NOT_SENT)
                return None
        _new_id, note = handler_copy_to(destination=destination, user=user, source=source)
    except NotFound:
        items.update(outcome=BulkItemOutcome.GONE)
    except SoclookError as exc:
        return _after_failure(exc, item=item, waits=waits)
    else:
        items.update(outcome=BulkItemOutcome.DONE, message=note[:_MESSAGE_LENGTH])
    return None


def _settle_interrupted(
    job: BulkJob,
    item: BulkItem,
    *,
    connection: Connection,
    user: AbstractBaseUser,
    current: Handler,
) -> None:
    """A switch the last worker sent but may not have journalled gets its one journal entry."""
    journalled = JournalEntry.objects.filter(
        connection=connection,
        handler_id=item.handler_id,
        action=_WANTED_JOURNAL_ACTION[BulkAction(job.action)],
        created_at__gte=job.created_at,
    ).exists()
    if journalled or job.action == BulkAction.DELETE:
        return
    before_status = (
        HandlerStatus.ENABLED if job.action == BulkAction.DISABLE else HandlerStatus.DISABLED
    )
    record_handler_changed(
        connection=connection,
        user=user,
        before=replace(current, status=before_status),
        after=current,
    )
