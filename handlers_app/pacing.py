"""Background jobs that run in slices, imports and bulk actions alike.

A job's task handles one slice, then queues the next behind the jobs already waiting for a
worker, so that no job keeps another team's waiting for long. A wait for the request budget
holds no worker: the next slice is queued to start after it, where the task backend can defer;
where it cannot (the immediate backend), the wait is spent in place, in short steps, so that a
request to stop is heard and the heartbeat (`updated_at`) keeps beating.

A job model here has `status`, `stop_requested`, `waiting_until` and `updated_at`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from time import sleep
from typing import Any

from django.db import models
from django.tasks import Task
from django.utils import timezone

# A wait for the request budget never lasts longer than this, whatever the service announces.
MAX_WAIT_SECONDS = 90


@dataclass(frozen=True)
class NextSlice:
    """Where a slice stopped before the job's end: after how many seconds the next slice may
    start, and how many times its first item was already refused for the rate limit."""

    after: int = 0
    waits: int = 0


def job_touch(job: models.Model, **changes: Any) -> None:
    type(job).objects.filter(pk=job.pk).update(updated_at=timezone.now(), **changes)


def job_stop_requested(job: models.Model, *, running: str) -> bool:
    """Someone asked it to stop, or it was ended meanwhile."""
    return not type(job).objects.filter(pk=job.pk, status=running, stop_requested=False).exists()


def job_wait(job: models.Model, seconds: int, *, running: str, step_seconds: int) -> None:
    """Sleep through a wait in steps, so that the heartbeat keeps beating and "Stop" is heard."""
    left = seconds
    while left > 0 and not job_stop_requested(job, running=running):
        step = min(left, step_seconds)
        sleep(step)
        left -= step
        job_touch(job)


def next_slice_queue(
    job: models.Model, step: NextSlice, *, task: Task, running: str, step_seconds: int
) -> None:
    """Queue the next slice, `step.after` seconds from now at the earliest (at most
    MAX_WAIT_SECONDS); the job's page shows until when it waits."""
    seconds = min(step.after, MAX_WAIT_SECONDS)
    resume_at = timezone.now() + timedelta(seconds=seconds)
    job_touch(job, waiting_until=resume_at)
    next_slice = task
    if seconds and task.get_backend().supports_defer:
        # The worker is free meanwhile for other jobs.
        next_slice = task.using(run_after=resume_at)
    elif seconds:
        job_wait(job, seconds, running=running, step_seconds=step_seconds)
    next_slice.enqueue(job_id=job.pk, waits=step.waits)
