""" "Check all": every handler of a connection checked in the background, as a job of the one job
machinery (handlers_app.batches), its progress on the job's page.

Each item is one handler, read as the list reads it (the read cache, within the connection's
budget, which the runner shares with the people using the dashboard) and checked once its
service has had its second since the last check's request to it (`host_turn`); one checked or
tested moments ago is skipped. When the last item is settled, the team's owners are told once
about the handlers that turned to "needs attention" during the job.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from handlers_app.batches import Kind, Target, item_settle, job_of_handlers, job_start
from handlers_app.health.models import HandlerHealth
from handlers_app.health.notify import owners_tell
from handlers_app.health.service import check_turn, destination_host, handler_check, host_turn
from handlers_app.models import Connection, ItemOutcome, Job, JobAction, JobItem, JobStatus
from handlers_app.selectors import handler_all, handler_get

__all__ = ["CheckKind", "check_all_start"]


class CheckKind(Kind):
    # Checks ask the destinations, a second apart per service: never while the person waits.
    runs_at_once = False

    def run(
        self, job: Job, item: JobItem, target: Target, *, resumed: bool, settle_only: bool
    ) -> None:
        # A check changes nothing: an item under way when its worker stopped is simply checked
        # again, and after a cancel nothing more is asked.
        if settle_only:
            item_settle(item, ItemOutcome.NOT_SENT)
            return
        connection = target.connection
        handler = handler_get(connection=connection, handler_id=item.handler_id)
        if handler.handler_type.silent_check:
            if not check_turn(connection=connection, handler_id=handler.id):
                item_settle(item, ItemOutcome.UNCHANGED)
                self._tell_owners_at_the_end(job, connection)
                return
            host_turn(destination_host(handler))
        handler_check(connection=connection, handler=handler)
        item_settle(item, ItemOutcome.DONE)
        self._tell_owners_at_the_end(job, connection)

    def _tell_owners_at_the_end(self, job: Job, connection: Connection) -> None:
        if job.items.filter(outcome__in=ItemOutcome.open()).exists():
            return
        turned = HandlerHealth.objects.filter(
            connection=connection, attention_since__gte=job.started_at or job.created_at
        ).order_by("handler_name")
        owners_tell(connection=connection, turned=list(turned))


def check_all_under_way(connection: Connection) -> Job | None:
    return (
        Job.objects.filter(
            connection=connection,
            action=JobAction.CHECK,
            status__in=(JobStatus.QUEUED, JobStatus.RUNNING),
        )
        .order_by("-pk")
        .first()
    )


def check_all_start(*, connection: Connection, user: AbstractBaseUser) -> Job:
    """A job checking every handler of the connection, started; the one already under way
    when there is one. SoclookError when the list cannot be read."""
    running = check_all_under_way(connection)
    if running is not None:
        return running
    handlers = handler_all(connection=connection)
    job = job_of_handlers(
        connection=connection, user=user, action=JobAction.CHECK, handlers=handlers
    )
    job_start(job=job)
    return job
