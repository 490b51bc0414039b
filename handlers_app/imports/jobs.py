"""The import jobs: a checked file kept for confirmation, started, stopped, listed.

`import_job_create()` keeps the rows as an `ImportJob` waiting for confirmation: names, types and
masked destinations in `ImportRow`s, the settings of the valid rows encrypted on the job.
`import_job_start()` queues the background task (handlers_app.imports.task).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from handlers_app.imports.ending import import_job_end
from handlers_app.imports.reading import ParsedRow
from handlers_app.imports.task import import_handlers
from handlers_app.models import (
    Connection,
    ImportJob,
    ImportRow,
    ImportRowOutcome,
    ImportStatus,
    ImportStopReason,
)
from handlers_app.readcache import handler_cache_clear

__all__ = [
    "PREVIEW_KEPT_FOR",
    "import_job_create",
    "import_job_mark_list_refreshed",
    "import_job_start",
    "import_job_stop",
    "import_jobs_recent",
    "preview_expired",
]

# A preview nobody confirmed is thrown away, secrets and all, after this long.
PREVIEW_KEPT_FOR = timedelta(hours=1)

_FILE_NAME_LENGTH = ImportJob._meta.get_field("file_name").max_length
_ROW_NAME_LENGTH = ImportRow._meta.get_field("name").max_length
_ROW_SUMMARY_LENGTH = ImportRow._meta.get_field("summary").max_length


def import_job_create(
    *,
    connection: Connection,
    user: AbstractBaseUser,
    file_name: str,
    rows: Sequence[ParsedRow],
) -> ImportJob:
    """Keep checked rows as an import waiting for the person to confirm it."""
    job = ImportJob(connection=connection, created_by=user, file_name=file_name[:_FILE_NAME_LENGTH])
    job.set_payload({str(row.number): row.settings for row in rows if row.is_valid})
    with transaction.atomic():
        job.save()
        ImportRow.objects.bulk_create(
            ImportRow(
                job=job,
                number=row.number,
                type=row.type,
                name=_shortened(row.name),
                summary=row.summary[:_ROW_SUMMARY_LENGTH],
                problems=list(row.problems),
                outcome=ImportRowOutcome.PENDING if row.is_valid else ImportRowOutcome.SKIPPED,
                enabled=row.enabled,
            )
            for row in rows
        )
    return job


def import_job_start(*, job: ImportJob) -> bool:
    """Queue a confirmed import; False when it was not waiting for confirmation (a second
    click, or an expired preview)."""
    if job.status != ImportStatus.PREVIEW or preview_expired(job):
        return False
    started = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEW).update(
        status=ImportStatus.QUEUED, updated_at=timezone.now()
    )
    if not started:
        return False
    if not job.rows.filter(outcome=ImportRowOutcome.PENDING).exists():
        import_job_end(job, reason=None)
        return True
    import_handlers.enqueue(job_id=job.pk)
    return True


def import_job_stop(*, job: ImportJob) -> None:
    """Throw away an unconfirmed import, or stop one that is queued or running.

    A running job stops before its next row; the row being sent finishes first. Between two
    slices (waiting for the budget or for a worker) nothing is being sent, so it ends at once.
    """
    if job.status == ImportStatus.PREVIEW:
        job.delete()
        return
    reason = ImportStopReason.STOPPED_BY_PERSON
    if import_job_end(job, reason=reason, if_status=(ImportStatus.QUEUED,)):
        return
    if import_job_end(job, reason=reason, if_status=(ImportStatus.RUNNING,), between_slices=True):
        return
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(stop_requested=True)


def import_jobs_recent(*, connection: Connection, limit: int = 10) -> QuerySet[ImportJob]:
    """The connection's latest confirmed imports, with their rows counted by outcome."""
    counts = {
        f"{outcome}_count": Count("rows", filter=Q(rows__outcome=outcome))
        for outcome in ImportRowOutcome.values
    }
    return (
        ImportJob.objects.filter(connection=connection)
        .exclude(status=ImportStatus.PREVIEW)
        .select_related("created_by")
        .annotate(**counts)[:limit]
    )


def import_job_mark_list_refreshed(*, job: ImportJob) -> None:
    """Once, after a job ended: forget the cached list in this process.

    The worker cleared the cache after each create, but with the in-process cache (no
    REDIS_URL) that was the worker's own memory, not the web server's.
    """
    if not job.is_over or job.list_cache_cleared:
        return
    if ImportJob.objects.filter(pk=job.pk, list_cache_cleared=False).update(
        list_cache_cleared=True
    ):
        job.list_cache_cleared = True
        if job.rows.filter(
            outcome__in=(ImportRowOutcome.CREATED, ImportRowOutcome.UNKNOWN)
        ).exists():
            handler_cache_clear(connection=job.connection)


def preview_expired(job: ImportJob) -> bool:
    """An unconfirmed import kept past PREVIEW_KEPT_FOR can no longer be started."""
    return job.created_at < timezone.now() - PREVIEW_KEPT_FOR


def _shortened(name: str) -> str:
    """What the rows table keeps of a name too long to import, to show which row it was."""
    if len(name) <= _ROW_NAME_LENGTH:
        return name
    return name[: _ROW_NAME_LENGTH - 1] + "…"
