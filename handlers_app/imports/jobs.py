"""The import jobs: a checked file kept for confirmation, started, stopped, listed.

`import_job_create()` keeps the rows as a job of handlers_app.batches waiting for confirmation:
names, types and masked destinations on its items, the settings of the valid rows sealed on the
job. `batches.job_start()` queues it; handlers_app.imports.task says what one row does.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from handlers_app.batches import (
    PREVIEW_KEPT_FOR,
    ItemOutcome,
    Job,
    JobAction,
    JobItem,
    JobStatus,
    job_create,
)
from handlers_app.imports.reading import ParsedRow
from handlers_app.models import Connection

__all__ = [
    "import_job_create",
    "import_jobs_recent",
    "preview_expired",
]

_FILE_NAME_LENGTH = Job._meta.get_field("file_name").max_length
_ROW_NAME_LENGTH = JobItem._meta.get_field("name").max_length
_ROW_SUMMARY_LENGTH = JobItem._meta.get_field("summary").max_length


def import_job_create(
    *,
    connection: Connection,
    user: AbstractBaseUser,
    file_name: str,
    rows: Sequence[ParsedRow],
) -> Job:
    """Keep checked rows as an import waiting for the person to confirm it."""
    return job_create(
        connection=connection,
        user=user,
        action=JobAction.IMPORT,
        status=JobStatus.PREVIEW,
        file_name=file_name[:_FILE_NAME_LENGTH],
        payload={str(row.number): row.settings for row in rows if row.is_valid},
        items=(
            JobItem(
                position=row.number,
                type=row.type,
                name=_shortened(row.name),
                summary=row.summary[:_ROW_SUMMARY_LENGTH],
                problems=list(row.problems),
                outcome=ItemOutcome.PENDING if row.is_valid else ItemOutcome.SKIPPED,
                enabled=row.enabled,
            )
            for row in rows
        ),
    )


def import_jobs_recent(*, connection: Connection, limit: int = 10) -> QuerySet[Job]:
    """The connection's latest confirmed imports, with their rows counted by outcome."""
    counts = {
        f"{outcome}_count": Count("items", filter=Q(items__outcome=outcome))
        for outcome in ItemOutcome.values
    }
    return (
        Job.objects.filter(connection=connection, action=JobAction.IMPORT)
        .exclude(status=JobStatus.PREVIEW)
        .select_related("created_by")
        .annotate(**counts)[:limit]
    )


def preview_expired(job: Job) -> bool:
    """An unconfirmed import kept past PREVIEW_KEPT_FOR can no longer be started."""
    return job.created_at < timezone.now() - PREVIEW_KEPT_FOR


def _shortened(name: str) -> str:
    """What the rows table keeps of a name too long to import, to show which row it was."""
    if len(name) <= _ROW_NAME_LENGTH:
        return name
    return name[: _ROW_NAME_LENGTH - 1] + "…"
