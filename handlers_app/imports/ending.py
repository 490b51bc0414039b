"""How an import job ends, whoever ends it (the task, a person's "Stop", housekeeping), and when
a job counts as stalled.

Ending a job erases its encrypted settings and settles the rows left open. A stalled job is
ended by housekeeping (`manage.py imports_housekeeping`); until then a page shows it as it will
be, without writing anything itself.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from handlers_app.models import (
    ImportJob,
    ImportRow,
    ImportRowOutcome,
    ImportStatus,
    ImportStopReason,
)

__all__ = [
    "QUEUED_KEPT_FOR",
    "STALLED_AFTER",
    "import_job_end",
    "import_job_seen",
    "import_job_stalled",
    "import_jobs_stalled",
]

# A running job whose heartbeat is older than this lost its worker (it beats before each row and
# when it queues its next slice, and a wait between slices lasts at most the task's
# MAX_WAIT_SECONDS).
STALLED_AFTER = timedelta(minutes=5)
# A queued job no worker picked up is given up after this long.
QUEUED_KEPT_FOR = timedelta(days=1)

# What becomes of the rows still open when a job ends: a row whose request was under way may
# exist now; a row never sent was not.
_OPEN_ROWS_END_AS = {
    ImportRowOutcome.SENDING: ImportRowOutcome.UNKNOWN,
    ImportRowOutcome.PENDING: ImportRowOutcome.NOT_SENT,
}


def import_job_end(
    job: ImportJob,
    *,
    reason: ImportStopReason | None,
    if_status: Sequence[ImportStatus] = (ImportStatus.QUEUED, ImportStatus.RUNNING),
    between_slices: bool = False,
) -> bool:
    """Close a job that is still in one of `if_status` (and, with `between_slices`, has no
    slice running): erase its encrypted settings and settle the rows left open. False when it
    was not (someone else closed or claimed it first)."""
    jobs = ImportJob.objects.filter(pk=job.pk, status__in=if_status)
    if between_slices:
        jobs = jobs.filter(waiting_until__isnull=False)
    with transaction.atomic():
        ended = jobs.update(
            status=ImportStatus.FINISHED if reason is None else ImportStatus.STOPPED,
            stop_reason=reason or "",
            finished_at=timezone.now(),
            waiting_until=None,
            payload_encrypted="",
        )
        if ended:
            for open_outcome, outcome in _OPEN_ROWS_END_AS.items():
                job.rows.filter(outcome=open_outcome).update(outcome=outcome)
    return bool(ended)


def import_job_stalled(job: ImportJob, *, now: datetime | None = None) -> bool:
    """Its worker went away (the heartbeat stopped), or no worker picked it up in time."""
    now = now or timezone.now()
    if job.status == ImportStatus.RUNNING:
        return job.updated_at < now - STALLED_AFTER
    if job.status == ImportStatus.QUEUED:
        return job.updated_at < now - QUEUED_KEPT_FOR
    return False


def import_jobs_stalled(*, now: datetime | None = None) -> QuerySet[ImportJob]:
    """The jobs `import_job_stalled()` holds for."""
    now = now or timezone.now()
    return ImportJob.objects.filter(
        Q(status=ImportStatus.RUNNING, updated_at__lt=now - STALLED_AFTER)
        | Q(status=ImportStatus.QUEUED, updated_at__lt=now - QUEUED_KEPT_FOR)
    )


def import_job_seen(job: ImportJob) -> tuple[ImportJob, list[ImportRow]]:
    """The job and its rows as a page shows them: a stalled job already as housekeeping will
    end it. Nothing is saved; what is returned must not be."""
    rows = list(job.rows.all())
    if not import_job_stalled(job):
        return job, rows
    seen = copy.copy(job)
    seen.status = ImportStatus.STOPPED
    seen.stop_reason = ImportStopReason.INTERRUPTED
    seen.waiting_until = None
    for row in rows:
        row.outcome = _OPEN_ROWS_END_AS.get(ImportRowOutcome(row.outcome), row.outcome)
    return seen, rows
