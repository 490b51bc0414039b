"""The one runner for work on many handlers: every job kind (an import, switching on or off,
deleting, a copy to another connection) is a `Job` whose items this module sends, one at a time,
in slices (handlers_app.pacing).

- A job's task handles one slice (at most SLICE_ITEMS items, no new item once SLICE_SECONDS
  have passed), then queues the next behind the jobs already waiting, so that no job keeps
  another team's waiting for long.
- It shares the request budget of the connection it writes to with the people using the
  dashboard: it leaves them PEOPLE_HEADROOM requests of each minute, and waits (without holding
  a worker where the task backend can defer) when the budget is spent or Soclook says so.
- Each item is claimed by its outcome (pending -> sending) before its request, so nothing is
  sent twice. A worker told to stop queues the rest of its job before it goes; a job whose worker
  vanished (its heartbeat stopped) is queued again by housekeeping (`jobs_sweep`), and its kind
  reads what an item under way already did before sending anything again.
- What the service's refusal means for an item is decided here once, whatever the kind.

A kind (`Kind`) says whom and where a job writes as (`target`, checked again before every
item) and what one item does (`run`); `KINDS` names every kind in one place.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from time import monotonic
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.tasks import task
from django.utils import timezone
from django.utils.module_loading import import_string

from handlers_app.clients import client_for
from handlers_app.models import (
    Connection,
    ItemOutcome,
    Job,
    JobAction,
    JobItem,
    JobStatus,
    Membership,
    Role,
    StopReason,
)
from handlers_app.pacing import NextSlice, job_stop_requested, job_touch, next_slice_queue
from handlers_app.readcache import handler_cache_clear
from handlers_app.selectors import budget_state, handler_get
from handlers_app.soclook import Handler
from handlers_app.soclook.errors import (
    BadKey,
    KeyUnreadable,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    SoclookError,
    Unavailable,
)

logger = logging.getLogger(__name__)

# Every kind of job, by action: the class that runs its items.
KINDS: dict[str, str] = {
    JobAction.IMPORT: "handlers_app.imports.task.ImportKind",
    JobAction.ENABLE: "handlers_app.bulk.SwitchKind",
    JobAction.DISABLE: "handlers_app.bulk.SwitchKind",
    JobAction.DELETE: "handlers_app.bulk.DeleteKind",
    JobAction.COPY: "handlers_app.sharing.CopyKind",
    JobAction.CHECK: "handlers_app.health.batch.CheckKind",
    JobAction.SNOOZE: "handlers_app.snooze.service.SnoozeJob",
    JobAction.REPLACE: "handlers_app.replacing.ReplaceJob",
    JobAction.SETUP_UPDATE: "handlers_app.setup_links.SetupUpdateJob",
    JobAction.READ: "handlers_app.accountcopy.reading.ReadKind",
}

# A slice sends at most this many items, and starts no new one once it has taken this long.
SLICE_ITEMS = 10
SLICE_SECONDS = 20
# An item still refused for the rate limit after this many waits stops the job.
MAX_WAITS_PER_ITEM = 5
# A job leaves the people using the dashboard this many requests of each minute (at most a
# quarter of the plan's limit), so that the list and the forms keep working while it runs.
PEOPLE_HEADROOM = 10
# A job of at most this many items runs while the person waits (unless its kind always goes to
# the background); a bigger one goes to the background, with a page that shows its progress.
RUN_AT_ONCE_UP_TO = 5
# A running job whose heartbeat is older than this lost its worker (it beats before each item
# and when it queues its next slice; a wait between slices lasts at most MAX_WAIT_SECONDS).
STALLED_AFTER = timedelta(minutes=5)
# A queued job no worker picked up is given up after this long.
QUEUED_KEPT_FOR = timedelta(days=1)
# A preview nobody confirmed is thrown away, secrets and all, after this long.
PREVIEW_KEPT_FOR = timedelta(hours=1)
# A wait spent in the worker (a backend that cannot defer) is cut into steps of this many
# seconds, so that "Cancel" is heard and the heartbeat keeps beating.
_WAIT_STEP_SECONDS = 1
_MESSAGE_LENGTH = JobItem._meta.get_field("message").max_length
_NAME_LENGTH = JobItem._meta.get_field("name").max_length
_TYPE_LENGTH = JobItem._meta.get_field("type").max_length
_SUMMARY_LENGTH = JobItem._meta.get_field("summary").max_length

# What becomes of the items still open when a job ends: one whose request was under way may
# have been applied; one never sent was not.
_OPEN_ITEMS_END_AS = {
    ItemOutcome.SENDING: ItemOutcome.UNKNOWN,
    ItemOutcome.PENDING: ItemOutcome.NOT_SENT,
}


@dataclass(frozen=True)
class Target:
    """The connection a job writes to (whose key and budget it uses) and the person it writes
    as."""

    connection: Connection
    user: AbstractBaseUser


class Kind:
    """How the items of one kind of job are sent. Subclasses override `run`, and `target` when
    they write elsewhere than the job's own connection."""

    # Whether a job of this kind may run while the person waits when it is small.
    runs_at_once: ClassVar[bool] = True

    def target(self, job: Job) -> Target | StopReason:
        """The job's connection, while the person who started it may still edit it."""
        connection = Connection.objects.filter(pk=job.connection_id).first()
        if connection is None:
            return StopReason.INTERRUPTED
        user = job.created_by
        member = Membership.objects.filter(user_id=job.created_by_id, team=connection.team_id)
        allowed = member.first()
        if user is None or allowed is None or not allowed.allows(Role.EDITOR):
            return StopReason.NO_PERMISSION
        return Target(connection=connection, user=user)

    def run(
        self, job: Job, item: JobItem, target: Target, *, resumed: bool, settle_only: bool
    ) -> None:
        """Send one claimed item and settle it (`item_settle`). `resumed`: its request may have
        been under way when the last worker stopped: find out what already happened first.
        `settle_only` (a resumed item of a cancelled job): record what happened, send nothing.
        Raises SoclookError for the runner to decide what it means."""
        raise NotImplementedError


def _kind(job: Job) -> Kind:
    return import_string(KINDS[job.action])()


def item_handler(item: JobItem, target: Target, *, resumed: bool) -> Handler:
    """The item's handler as it is now: when the job resumed, asked of the service itself (the
    item's change may have been applied before the last worker stopped), else as the dashboard
    reads it. Raises SoclookError (NotFound when it is gone)."""
    if resumed:
        return client_for(target.connection).get_handler(item.handler_id)
    return handler_get(connection=target.connection, handler_id=item.handler_id)


def item_settle(item: JobItem, outcome: ItemOutcome, **fields: Any) -> None:
    if "message" in fields:
        fields["message"] = str(fields["message"])[:_MESSAGE_LENGTH]
    JobItem.objects.filter(pk=item.pk).update(outcome=outcome, **fields)
    item.outcome = outcome


# --- jobs ----------------------------------------------------------------------------------------


def job_create(
    *,
    connection: Connection,
    user: AbstractBaseUser,
    action: JobAction,
    items: Iterable[JobItem],
    destination: Connection | None = None,
    status: JobStatus = JobStatus.QUEUED,
    file_name: str = "",
    payload: dict[str, Any] | None = None,
) -> Job:
    """Keep a job and its items (unsaved, their `position` set), to be run by `job_start()`."""
    job = Job(
        connection=connection,
        destination=destination,
        created_by=user,
        action=action,
        status=status,
        file_name=file_name,
    )
    job.set_payload(payload or {})
    with transaction.atomic():
        job.save()
        kept = []
        for item in items:
            item.job = job
            kept.append(item)
        JobItem.objects.bulk_create(kept)
    return job


def job_item_of(handler: Handler, *, position: int, **fields: Any) -> JobItem:
    """The item of a job about one handler: its name, type and destination as a page may show
    them, cut to fit; `fields` adds what the kind keeps beside them."""
    return JobItem(
        position=position,
        handler_id=handler.id,
        name=handler.name[:_NAME_LENGTH],
        type=handler.type[:_TYPE_LENGTH],
        summary=handler.summary[:_SUMMARY_LENGTH],
        **fields,
    )


def job_of_handlers(
    *,
    connection: Connection,
    user: AbstractBaseUser,
    action: JobAction,
    handlers: Iterable[Handler],
    destination: Connection | None = None,
    payload: dict[str, Any] | None = None,
) -> Job:
    """Keep a job of one item per handler, in their order, to be run by `job_start()`."""
    return job_create(
        connection=connection,
        user=user,
        action=action,
        items=(
            job_item_of(handler, position=position) for position, handler in enumerate(handlers)
        ),
        destination=destination,
        payload=payload,
    )


def job_start(*, job: Job) -> bool:
    """Run a confirmed job: a few items now, in the request, a longer job in the background.
    A preview (an import) is confirmed here; False when it was not waiting to be (a second
    click, or an expired preview)."""
    if job.status == JobStatus.PREVIEW:
        if job.created_at < timezone.now() - PREVIEW_KEPT_FOR:
            return False
        if not Job.objects.filter(pk=job.pk, status=JobStatus.PREVIEW).update(
            status=JobStatus.QUEUED, updated_at=timezone.now()
        ):
            return False
        job.status = JobStatus.QUEUED
    open_items = job.items.filter(outcome__in=ItemOutcome.open()).count()
    if not open_items:
        _end(job, reason=None)
        return True
    if not _kind(job).runs_at_once or open_items > RUN_AT_ONCE_UP_TO:
        job_run.enqueue(job_id=job.pk)
        return True
    # The same task, called here: a wait for the budget still goes to the background.
    try:
        job_run.call(job_id=job.pk)
    except Exception:
        # The job was ended with the reason "an unexpected error", which its page shows.
        logger.exception("Job %s stopped by an unexpected error.", job.pk)
    return True


def job_stop(*, job: Job, user: AbstractBaseUser | None = None) -> None:
    """Throw away a preview; cancel a job at once when it is queued or between two slices,
    otherwise after the item being sent now."""
    if job.status == JobStatus.PREVIEW:
        job.delete()
        return
    Job.objects.filter(pk=job.pk).update(stopped_by=user)
    reason = StopReason.STOPPED_BY_PERSON
    if _end(job, reason=reason, if_status=(JobStatus.QUEUED,)):
        return
    if _end(job, reason=reason, if_status=(JobStatus.RUNNING,), between_slices=True):
        return
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(stop_requested=True)


def job_stalled(job: Job) -> bool:
    """Running, but its worker went away (the heartbeat stopped)."""
    return job.status == JobStatus.RUNNING and job.updated_at < timezone.now() - STALLED_AFTER


def job_waiting_seconds(job: Job) -> int:
    """How many seconds a job between two slices still waits for the request budget."""
    now = timezone.now()
    if job.waiting_until is None or job.waiting_until <= now:
        return 0
    return math.ceil((job.waiting_until - now).total_seconds())


def job_counts(job: Job) -> dict[str, int]:
    counts = Counter(job.items.values_list("outcome", flat=True))
    return {outcome.value: counts[outcome] for outcome in ItemOutcome}


def job_mark_list_refreshed(*, job: Job) -> None:
    """Once, after a job ended: forget the cached list in this process (the worker's cache may
    be its own memory, not the web server's)."""
    if not job.is_over or job.list_cache_cleared:
        return
    if Job.objects.filter(pk=job.pk, list_cache_cleared=False).update(list_cache_cleared=True):
        job.list_cache_cleared = True
        changed = job.destination if job.action == JobAction.COPY else job.connection
        if changed is not None:
            handler_cache_clear(connection=changed)


def jobs_sweep() -> tuple[int, int, int]:
    """What abandoned jobs leave behind: previews nobody confirmed in time are thrown away,
    secrets and all; jobs no worker picked up within QUEUED_KEPT_FOR are given up; running jobs
    whose worker went away are queued again. Returns the three counts."""
    now = timezone.now()
    _deleted, by_model = Job.objects.filter(
        status=JobStatus.PREVIEW, created_at__lt=now - PREVIEW_KEPT_FOR
    ).delete()
    previews = by_model.get(Job._meta.label, 0)
    given_up = 0
    for job in Job.objects.filter(status=JobStatus.QUEUED, updated_at__lt=now - QUEUED_KEPT_FOR):
        if _end(job, reason=StopReason.INTERRUPTED, if_status=(JobStatus.QUEUED,)):
            given_up += 1
    resumed = 0
    stalled = Job.objects.filter(status=JobStatus.RUNNING, updated_at__lt=now - STALLED_AFTER)
    for job in stalled:
        if _resume(job):
            resumed += 1
    return previews, given_up, resumed


def _resume(job: Job) -> bool:
    """Put a running job between two slices again and queue its next slice."""
    now = timezone.now()
    if not Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        waiting_until=now, updated_at=now
    ):
        return False
    job_run.enqueue(job_id=job.pk)
    return True


def _end(
    job: Job,
    *,
    reason: StopReason | None,
    if_status: Sequence[JobStatus] = (JobStatus.QUEUED, JobStatus.RUNNING),
    between_slices: bool = False,
) -> bool:
    """Close a job still in one of `if_status` (with `between_slices`, none of its slices
    running): erase what it kept sealed and settle the items left open. False when someone
    else closed or claimed it first."""
    jobs = Job.objects.filter(pk=job.pk, status__in=if_status)
    if between_slices:
        jobs = jobs.filter(waiting_until__isnull=False)
    with transaction.atomic():
        ended = jobs.update(
            status=JobStatus.FINISHED if reason is None else JobStatus.STOPPED,
            stop_reason=reason or "",
            finished_at=timezone.now(),
            waiting_until=None,
            payload_encrypted="",
        )
        if ended:
            for open_outcome, outcome in _OPEN_ITEMS_END_AS.items():
                job.items.filter(outcome=open_outcome).update(outcome=outcome)
    return bool(ended)


# --- the background task -------------------------------------------------------------------------


@task
def job_run(*, job_id: int, waits: int = 0) -> dict[str, int]:
    """Send the next slice of a job's items, then queue the slice after it or end the job;
    returns the count of items by outcome once the job ended. `waits`: how many times the next
    item was already refused for the rate limit."""
    job = _claim(job_id)
    if job is None:
        # Stopped or given up meanwhile, or a slice of it is running already.
        return {}
    try:
        step = _run_slice(job, _kind(job), waits=waits)
    except (KeyboardInterrupt, SystemExit):
        # The worker is stopping: the next one goes on where this one stopped.
        _resume(job)
        raise
    except Exception:
        _end(job, reason=StopReason.ERROR)
        raise
    if isinstance(step, NextSlice) and job_stop_requested(job, running=JobStatus.RUNNING):
        step = StopReason.STOPPED_BY_PERSON
    if isinstance(step, NextSlice):
        next_slice_queue(
            job, step, task=job_run, running=JobStatus.RUNNING, step_seconds=_WAIT_STEP_SECONDS
        )
        return {}
    _end(job, reason=step)
    return job_counts(job)


def _claim(job_id: int) -> Job | None:
    """The job, now running this slice: a queued job starts; a running one goes on only from
    between two slices, so that no two slices of it ever run at once."""
    now = timezone.now()
    started = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now, updated_at=now
    )
    resumed = started or Job.objects.filter(
        pk=job_id, status=JobStatus.RUNNING, waiting_until__isnull=False
    ).update(waiting_until=None, updated_at=now)
    if not resumed:
        return None
    return Job.objects.select_related("created_by").get(pk=job_id)


def _run_slice(job: Job, kind: Kind, *, waits: int) -> NextSlice | StopReason | None:
    started = monotonic()
    open_items = job.items.filter(outcome__in=ItemOutcome.open()).order_by("position")
    for index, item in enumerate(open_items[:SLICE_ITEMS]):
        # Only the first item of a slice may have been refused for the rate limit before.
        item_waits = waits if index == 0 else 0
        if index and monotonic() - started >= SLICE_SECONDS:
            return NextSlice(waits=item_waits)
        # An item whose request was under way when its worker stopped is settled even after a
        # cancel (what already happened is journalled: a deletion stays restorable); only what
        # was not sent yet stays unsent.
        settle_only = item.outcome == ItemOutcome.SENDING and job_stop_requested(
            job, running=JobStatus.RUNNING
        )
        target = _may_go_on(job, kind, settling=settle_only)
        if isinstance(target, StopReason):
            return target
        spare = 0 if settle_only else _seconds_to_spare_for_people(target.connection)
        if spare:
            return NextSlice(after=spare, waits=item_waits)
        step = _send_one(job, item, kind, target, waits=item_waits, settle_only=settle_only)
        job_touch(job)
        if step is not None:
            return step
    if open_items.exists():
        return NextSlice()
    return None


def _may_go_on(job: Job, kind: Kind, *, settling: bool) -> Target | StopReason:
    """Where and as whom to send the next item, or why the job must stop first."""
    state = Job.objects.filter(pk=job.pk).values("status", "stop_requested").first()
    if state is None or state["status"] != JobStatus.RUNNING:
        # Deleted with its connection, or ended meanwhile.
        return StopReason.INTERRUPTED
    if state["stop_requested"] and not settling:
        return StopReason.STOPPED_BY_PERSON
    # Its key, address or the person's rights may have changed meanwhile.
    return kind.target(job)


def _seconds_to_spare_for_people(connection: Connection) -> int:
    """How long to wait before the next request, to leave the people using the dashboard their
    share of the key's budget; 0 to go on now."""
    budget = budget_state(connection=connection)
    headroom = min(PEOPLE_HEADROOM, budget.limit // 4)
    if budget.remaining <= headroom and budget.resets_in:
        return max(1, budget.resets_in)
    return 0


def _send_one(
    job: Job, item: JobItem, kind: Kind, target: Target, *, waits: int, settle_only: bool
) -> NextSlice | StopReason | None:
    """Claim and send one item; None when it is settled, a next slice to send it again after
    the rate limit's wait, a reason when the job must stop."""
    resumed = item.outcome == ItemOutcome.SENDING
    # Claimed by its outcome: an item is sent by one slice only.
    if not resumed and not JobItem.objects.filter(pk=item.pk, outcome=ItemOutcome.PENDING).update(
        outcome=ItemOutcome.SENDING
    ):
        return None
    claimed_as = ItemOutcome.SENDING if resumed else ItemOutcome.PENDING
    try:
        kind.run(job, item, target, resumed=resumed, settle_only=settle_only)
    except NotFound:
        item_settle(item, ItemOutcome.GONE, snapshot_encrypted="")
    except SoclookError as exc:
        return _after_failure(exc, item=item, claimed_as=claimed_as, waits=waits)
    return None


def _after_failure(
    exc: SoclookError, *, item: JobItem, claimed_as: ItemOutcome, waits: int
) -> NextSlice | StopReason | None:
    """What Soclook's refusal means for one item, whatever the kind."""
    if isinstance(exc, RateLimited):
        # Refused before it was applied: safe to send again.
        item_settle(item, claimed_as)
        if waits == MAX_WAITS_PER_ITEM:
            return StopReason.RATE_LIMITED
        return NextSlice(after=max(1, exc.retry_after), waits=waits + 1)
    if isinstance(exc, OutcomeUnknown):
        # It may have been applied: sending it again could do it twice.
        item_settle(item, ItemOutcome.UNKNOWN)
        return None
    if isinstance(exc, BadKey | KeyUnreadable):
        item_settle(item, claimed_as)
        return StopReason.BAD_KEY
    if isinstance(exc, Unavailable):
        item_settle(item, claimed_as)
        return StopReason.UNAVAILABLE
    item_settle(item, ItemOutcome.REFUSED, message=exc.message, snapshot_encrypted="")
    return None
