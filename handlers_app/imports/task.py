"""The background task that creates a confirmed import's handlers (django.tasks;
`manage.py db_worker` runs it).

It creates the handlers one by one through `services.handler_create`, so each is journalled and
the cached list refreshed. It works in slices of a few rows, each queued behind the other jobs
waiting, so that imports of several teams move together. It shares the key's request budget with
the people using the dashboard: it leaves them a few requests each minute, waits (without
holding a worker) when the budget is spent, and never sends a row twice. When the job ends its
encrypted settings are erased.
"""

from __future__ import annotations

from collections import Counter
from time import monotonic

from django.contrib.auth.models import AbstractBaseUser
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from handlers_app.imports.ending import import_job_end
from handlers_app.models import (
    Connection,
    ImportJob,
    ImportRow,
    ImportRowOutcome,
    ImportStatus,
    ImportStopReason,
    Membership,
    Role,
)
from handlers_app.pacing import (
    MAX_WAIT_SECONDS,
    NextSlice,
    job_stop_requested,
    job_touch,
    next_slice_queue,
)
from handlers_app.selectors import budget_state
from handlers_app.services import handler_create, handler_set_enabled
from handlers_app.soclook import Handler, HandlerStatus
from handlers_app.soclook.errors import (
    BadKey,
    OutcomeUnknown,
    RateLimited,
    SoclookError,
    Unavailable,
)

__all__ = [
    "MAX_WAITS_PER_ROW",
    "MAX_WAIT_SECONDS",
    "PEOPLE_HEADROOM",
    "SLICE_ROWS",
    "SLICE_SECONDS",
    "import_handlers",
]

# The task sends an import in slices of at most this many rows, and starts no new row once a
# slice has taken this long; then it queues the next slice behind the jobs already waiting for
# a worker, so that a long import, or one that meets a slow Soclook, never keeps another team's
# waiting for long (README, "Production": how many workers, and why).
SLICE_ROWS = 10
SLICE_SECONDS = 20
# A row still refused for the rate limit after this many waits (each at most MAX_WAIT_SECONDS)
# stops the import.
MAX_WAITS_PER_ROW = 5
# Where a wait is spent in the worker (a task backend that cannot defer), it is cut into slices
# of this many seconds, so that "Stop" is heard and the heartbeat keeps beating.
_WAIT_SLICE_SECONDS = 5
# An import leaves the people using the dashboard this many requests of each minute (at most a
# quarter of the plan's limit), so that the list and the forms keep working while it runs.
PEOPLE_HEADROOM = 10

_MESSAGE_LENGTH = ImportRow._meta.get_field("message").max_length


@task
def import_handlers(*, job_id: int, waits: int = 0) -> dict[str, int]:
    """Create the next slice of a confirmed import's rows, then queue the slice after it, or end
    the job; returns the count of rows by outcome once the job ended.

    `waits`: how many times the next row was already refused for the rate limit.
    """
    job = _claim(job_id)
    if job is None:
        # Stopped or given up meanwhile, or a slice of it is running already.
        return {}
    try:
        step = _create_slice(job, waits=waits)
    except (KeyboardInterrupt, SystemExit):
        # The worker was told to stop at once.
        import_job_end(job, reason=ImportStopReason.INTERRUPTED)
        raise
    except Exception:
        import_job_end(job, reason=ImportStopReason.ERROR)
        raise
    if isinstance(step, NextSlice) and job_stop_requested(job, running=ImportStatus.RUNNING):
        step = ImportStopReason.STOPPED_BY_PERSON
    if isinstance(step, NextSlice):
        next_slice_queue(
            job,
            step,
            task=import_handlers,
            running=ImportStatus.RUNNING,
            step_seconds=_WAIT_SLICE_SECONDS,
        )
        return {}
    import_job_end(job, reason=step)
    return dict(Counter(job.rows.values_list("outcome", flat=True)))


def _claim(job_id: int) -> ImportJob | None:
    """The job, now running this slice: a queued job starts; a running one goes on only from
    between two slices, so that no two slices of it ever run at once."""
    now = timezone.now()
    started = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=now, updated_at=now
    )
    resumed = started or ImportJob.objects.filter(
        pk=job_id, status=ImportStatus.RUNNING, waiting_until__isnull=False
    ).update(waiting_until=None, updated_at=now)
    if not resumed:
        return None
    return ImportJob.objects.select_related("created_by").get(pk=job_id)


def _create_slice(job: ImportJob, *, waits: int) -> NextSlice | ImportStopReason | None:
    """Send the next rows, at most SLICE_ROWS of them and no more once SLICE_SECONDS have
    passed; None when no row is left to send, a reason when the import must stop."""
    started = monotonic()
    settings_by_row = job.payload
    pending = job.rows.filter(outcome=ImportRowOutcome.PENDING).order_by("number")
    for index, row in enumerate(pending[:SLICE_ROWS]):
        # Only the first row of a slice may have been refused for the rate limit before.
        row_waits = waits if index == 0 else 0
        if index and monotonic() - started >= SLICE_SECONDS:
            return NextSlice(waits=row_waits)
        go_on = _may_go_on(job)
        if isinstance(go_on, ImportStopReason):
            return go_on
        connection, user = go_on
        spare = _seconds_to_spare_for_people(connection)
        if spare:
            return NextSlice(after=spare, waits=row_waits)
        step = _create_row(
            row,
            connection=connection,
            user=user,
            settings=settings_by_row[str(row.number)],
            waits=row_waits,
        )
        job_touch(job)
        if step is not None:
            return step
    if pending.exists():
        return NextSlice()
    return None


def _may_go_on(job: ImportJob) -> tuple[Connection, AbstractBaseUser] | ImportStopReason:
    """The connection as it now stands and whom to send as, or why the import must stop
    before its next row."""
    state = ImportJob.objects.filter(pk=job.pk).values("status", "stop_requested").first()
    if state is None or state["status"] != ImportStatus.RUNNING:
        # Deleted with its connection, or given up for stalled while this worker hung.
        return ImportStopReason.INTERRUPTED
    if state["stop_requested"]:
        return ImportStopReason.STOPPED_BY_PERSON
    # Its key or address may have been changed meanwhile.
    connection = Connection.objects.filter(pk=job.connection_id).first()
    if connection is None:
        return ImportStopReason.INTERRUPTED
    user = job.created_by
    membership = Membership.objects.filter(user_id=job.created_by_id, team=connection.team_id)
    allowed = membership.first()
    if user is None or allowed is None or not allowed.allows(Role.EDITOR):
        return ImportStopReason.NO_PERMISSION
    return connection, user


def _seconds_to_spare_for_people(connection: Connection) -> int:
    """How long to wait before the next create, to leave the people using the dashboard their
    share of the key's budget; 0 to go on now."""
    budget = budget_state(connection=connection)
    headroom = min(PEOPLE_HEADROOM, budget.limit // 4)
    if budget.remaining <= headroom and budget.resets_in:
        return max(1, budget.resets_in)
    return 0


def _create_row(
    row: ImportRow,
    *,
    connection: Connection,
    user: AbstractBaseUser,
    settings: dict[str, str],
    waits: int,
) -> NextSlice | ImportStopReason | None:
    """Send one row; None when it is settled, a next slice to send it again after the rate
    limit's wait, a reason when the import must stop."""
    rows = ImportRow.objects.filter(pk=row.pk)
    # Claimed by its outcome: a row is sent by one slice only.
    if not rows.filter(outcome=ImportRowOutcome.PENDING).update(outcome=ImportRowOutcome.SENDING):
        return None
    try:
        handler_id = handler_create(
            connection=connection, user=user, name=row.name, type=row.type, settings=settings
        )
    except RateLimited as exc:
        # Refused before it was applied (here or by the service): safe to send again.
        rows.update(outcome=ImportRowOutcome.PENDING)
        if waits == MAX_WAITS_PER_ROW:
            return ImportStopReason.RATE_LIMITED
        return NextSlice(after=max(1, exc.retry_after), waits=waits + 1)
    except OutcomeUnknown:
        # It may exist now: sending it again could make a second one.
        rows.update(outcome=ImportRowOutcome.UNKNOWN)
    except BadKey:
        rows.update(outcome=ImportRowOutcome.NOT_SENT)
        return ImportStopReason.BAD_KEY
    except Unavailable:
        rows.update(outcome=ImportRowOutcome.NOT_SENT)
        return ImportStopReason.UNAVAILABLE
    except SoclookError as exc:
        rows.update(outcome=ImportRowOutcome.REFUSED, message=exc.message[:_MESSAGE_LENGTH])
    else:
        rows.update(outcome=ImportRowOutcome.CREATED, handler_id=handler_id)
        if not row.enabled:
            _switch_off(
                row, connection=connection, user=user, settings=settings, handler_id=handler_id
            )
    return None


def _switch_off(
    row: ImportRow,
    *,
    connection: Connection,
    user: AbstractBaseUser,
    settings: dict[str, str],
    handler_id: int,
) -> None:
    """Switch off a handler just created from a row exported switched off. It exists either
    way, so a refusal (the rate limit included) is not tried again: the row says so."""
    created = Handler(
        id=handler_id,
        type=row.type,
        name=row.name,
        settings=settings,
        status=HandlerStatus.ENABLED,
        created=None,
        last_changed=None,
    )
    try:
        handler_set_enabled(connection=connection, user=user, current=created, enabled=False)
    except SoclookError as exc:
        message = _("Created, but still switched on: %(reason)s") % {"reason": exc.message}
        ImportRow.objects.filter(pk=row.pk).update(message=message[:_MESSAGE_LENGTH])
