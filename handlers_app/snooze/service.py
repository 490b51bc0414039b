"""Starting a snooze, ending it now, and waking it at its moment (see the package docstring)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError
from django.db.models import F
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from handlers_app.batches import Kind, Target, item_handler, item_settle, job_of_handlers
from handlers_app.journal.queries import handler_switched_since
from handlers_app.journal.recording import record_handler_changed
from handlers_app.models import (
    Connection,
    ItemOutcome,
    Job,
    JobAction,
    JobItem,
    Snooze,
    SnoozeState,
)
from handlers_app.selectors import handler_get
from handlers_app.services import handler_set_enabled
from handlers_app.snooze.state import SNOOZE_LONGEST, snooze_change
from handlers_app.soclook import Handler
from handlers_app.soclook.errors import NotFound, RateLimited, SoclookError

__all__ = [
    "SnoozeJob",
    "SnoozeRefused",
    "snooze_end_now",
    "snooze_job_create",
    "snooze_moment_check",
    "snooze_start",
    "snooze_wake",
    "snoozes_wake_due",
]

logger = logging.getLogger(__name__)

# Refusals from Soclook before a wake gives up (the snooze then says so on the list).
MAX_TRIES = 10
# After a refusal other than the rate limit, the next try waits this long.
RETRY_AFTER = timedelta(minutes=2)
# A wake holds its snooze this long: longer than its two requests take, so that the deferred
# task and the housekeeping loop never both send them; a worker that died is taken over after.
WAKE_CLAIM = timedelta(minutes=2)


class SnoozeRefused(Exception):
    """A snooze that cannot be started; `message` says why in words a person reads."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def snooze_moment_check(until: datetime) -> None:
    """SnoozeRefused unless a snooze may end at `until`."""
    now = timezone.now()
    if until <= now:
        raise SnoozeRefused(_("Choose a moment in the future."))
    if until > now + SNOOZE_LONGEST:
        raise SnoozeRefused(
            _("A snooze lasts at most %(days)d days; switch it off instead.")
            % {"days": SNOOZE_LONGEST.days}
        )


def snooze_start(
    *, connection: Connection, user: AbstractBaseUser, current: Handler, until: datetime
) -> Snooze:
    """Switch the handler off until `until` (journalled: who, until when); a handler already
    snoozed keeps its snooze with the new moment. SoclookError when the switch is refused."""
    snooze_moment_check(until)
    snooze = Snooze.objects.filter(
        connection=connection, handler_id=current.id, state=SnoozeState.ACTIVE
    ).first()
    if snooze is None and not current.is_enabled:
        raise SnoozeRefused(
            _("“%(name)s” is already off; a snooze switches off a handler that is on.")
            % {"name": current.name}
        )
    if snooze is not None:
        before = snooze.until
        Snooze.objects.filter(pk=snooze.pk).update(until=until, next_try_at=until, tries=0)
        snooze.refresh_from_db()
        record_handler_changed(
            connection=connection,
            user=user,
            before=current,
            after=current,
            snooze=snooze_change(before=before, after=until),
        )
    else:
        handler_set_enabled(
            connection=connection,
            user=user,
            current=current,
            enabled=False,
            snooze=snooze_change(before=None, after=until),
        )
        try:
            snooze = Snooze.objects.create(
                connection=connection,
                handler_id=current.id,
                handler_name=current.name[: Snooze._meta.get_field("handler_name").max_length],
                until=until,
                next_try_at=until,
                created_by=user,
            )
        except IntegrityError:
            # Someone snoozed it at the same moment: theirs stands, with this moment.
            snooze = Snooze.objects.get(
                connection=connection, handler_id=current.id, state=SnoozeState.ACTIVE
            )
            Snooze.objects.filter(pk=snooze.pk).update(until=until, next_try_at=until)
            snooze.refresh_from_db()
    _wake_at(snooze, until)
    return snooze


def snooze_end_now(
    *, connection: Connection, user: AbstractBaseUser, snooze: Snooze, current: Handler
) -> Handler:
    """ "Switch on now": the snooze ends before its time, and the handler is switched on."""
    handler = current
    if not current.is_enabled:
        handler = handler_set_enabled(
            connection=connection,
            user=user,
            current=current,
            enabled=True,
            snooze=snooze_change(before=snooze.until, after=None),
        )
    Snooze.objects.filter(pk=snooze.pk, state=SnoozeState.ACTIVE).update(
        state=SnoozeState.SWITCHED_ON_NOW, ended_at=timezone.now()
    )
    return handler


def snooze_job_create(
    *, connection: Connection, user: AbstractBaseUser, handlers: Sequence[Handler], until: datetime
) -> Job:
    """A selection snoozed until `until`: a job of handlers_app.batches, to be run by
    `batches.job_start()`; each handler gets a snooze of its own."""
    return job_of_handlers(
        connection=connection,
        user=user,
        action=JobAction.SNOOZE,
        handlers=handlers,
        payload={"until": until.isoformat()},
    )


class SnoozeJob(Kind):
    """Snooze one handler of a selection until the job's moment."""

    def run(
        self, job: Job, item: JobItem, target: Target, *, resumed: bool, settle_only: bool
    ) -> None:
        until = datetime.fromisoformat(job.payload["until"])
        connection = target.connection
        current = item_handler(item, target, resumed=resumed)
        snoozed = Snooze.objects.filter(
            connection=connection, handler_id=current.id, state=SnoozeState.ACTIVE, until=until
        ).exists()
        if snoozed and not current.is_enabled:
            item_settle(item, ItemOutcome.DONE if resumed else ItemOutcome.UNCHANGED)
            return
        if settle_only:
            item_settle(item, ItemOutcome.NOT_SENT)
            return
        try:
            snooze_start(connection=connection, user=target.user, current=current, until=until)
        except SnoozeRefused as exc:
            item_settle(item, ItemOutcome.SKIPPED, message=exc.message)
        else:
            item_settle(item, ItemOutcome.DONE)


@task
def snooze_wake(*, snooze_id: int) -> None:
    """The deferred task: wake one snooze at its moment."""
    snooze = Snooze.objects.filter(pk=snooze_id).select_related("connection").first()
    if snooze is not None:
        _wake(snooze)


def snoozes_wake_due() -> int:
    """Wake every snooze whose moment has come (the housekeeping loop). Returns how many it
    tried."""
    due = Snooze.objects.filter(
        state=SnoozeState.ACTIVE, next_try_at__lte=timezone.now()
    ).select_related("connection")
    tried = 0
    for snooze in due:
        tried += 1
        try:
            _wake(snooze)
        except Exception:
            # One snooze's trouble (its connection's key unreadable, say) stops no other.
            logger.exception("Waking snooze %d failed; it is tried again.", snooze.pk)
    return tried


def _wake_at(snooze: Snooze, moment: datetime) -> None:
    """Queue the wake for `moment` where the task backend can defer; the housekeeping loop
    wakes it otherwise (and whenever the task is lost)."""
    if snooze_wake.get_backend().supports_defer:
        # On the database backend the task is written beside the snooze, in its transaction.
        snooze_wake.using(run_after=moment).enqueue(snooze_id=snooze.pk)


def _wake(snooze: Snooze) -> None:
    now = timezone.now()
    claimed = Snooze.objects.filter(
        pk=snooze.pk, state=SnoozeState.ACTIVE, next_try_at__lte=now
    ).update(next_try_at=now + WAKE_CLAIM, tries=F("tries") + 1)
    if not claimed:
        return  # Not due (moved later), ended, or being woken elsewhere.
    connection = snooze.connection
    # Switched since the snooze began, other than by the snooze (a switch in the dashboard ends
    # the snooze at once; this finds one in Soclook).
    if handler_switched_since(
        connection=connection, handler_id=snooze.handler_id, since=snooze.created_at
    ):
        _end(snooze, SnoozeState.OVERRIDDEN)
        return
    try:
        current = handler_get(connection=connection, handler_id=snooze.handler_id)
        if current.is_enabled:
            # Switched on in Soclook meanwhile, without the journal knowing yet.
            _end(snooze, SnoozeState.OVERRIDDEN)
            return
        handler_set_enabled(
            connection=connection,
            user=snooze.created_by,
            current=current,
            enabled=True,
            snooze=snooze_change(before=snooze.until, after=None),
        )
    except NotFound:
        _end(snooze, SnoozeState.GONE)
    except SoclookError as exc:
        _refused(snooze, exc)
    else:
        _end(snooze, SnoozeState.DONE)


def _refused(snooze: Snooze, exc: SoclookError) -> None:
    snooze.refresh_from_db()
    kept = Snooze._meta.get_field("message").max_length
    if snooze.tries >= MAX_TRIES:
        Snooze.objects.filter(pk=snooze.pk).update(
            state=SnoozeState.GAVE_UP, ended_at=timezone.now(), message=exc.message[:kept]
        )
        logger.warning("Snooze %d given up after %d refusals.", snooze.pk, snooze.tries)
        return
    wait = timedelta(seconds=exc.retry_after) if isinstance(exc, RateLimited) else RETRY_AFTER
    next_try = timezone.now() + wait
    Snooze.objects.filter(pk=snooze.pk).update(next_try_at=next_try, message=exc.message[:kept])
    _wake_at(snooze, next_try)


def _end(snooze: Snooze, state: SnoozeState) -> None:
    Snooze.objects.filter(pk=snooze.pk, state=SnoozeState.ACTIVE).update(
        state=state, ended_at=timezone.now()
    )
