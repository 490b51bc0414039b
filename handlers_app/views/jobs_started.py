"""Jobs started together from one page (one per connection): each started, and what its page
shows of it right away (a small job has run already; a bigger one goes on in the background)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.urls import reverse

from handlers_app.batches import Job, job_counts, job_start


@dataclass(frozen=True)
class StartedJob:
    job: Job
    counts: dict[str, int]
    url: str


def jobs_start(jobs: Iterable[Job]) -> list[StartedJob]:
    """Start each job; what a page lists of them, with the link to each one's progress."""
    started = []
    for job in jobs:
        job_start(job=job)
        started.append(
            StartedJob(
                job=job,
                counts=job_counts(job),
                url=reverse("handler_bulk_job", args=[job.connection_id, job.pk]),
            )
        )
    return started
