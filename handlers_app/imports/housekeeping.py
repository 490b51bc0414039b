"""What abandoned imports leave behind, cleared by `manage.py imports_housekeeping` (run beside
the workers by `make run`, `make demo` and `make prod`, or by cron), so that no page has to
write while it is read."""

from __future__ import annotations

from django.utils import timezone

from handlers_app.imports.ending import import_job_end, import_jobs_stalled
from handlers_app.imports.jobs import PREVIEW_KEPT_FOR
from handlers_app.models import ImportJob, ImportStatus, ImportStopReason

__all__ = ["import_jobs_sweep"]


def import_jobs_sweep() -> tuple[int, int]:
    """Erase what abandoned imports still hold: previews nobody confirmed in time, and jobs whose
    worker is gone. Returns how many previews were thrown away and how many jobs given up."""
    now = timezone.now()
    _deleted, by_model = ImportJob.objects.filter(
        status=ImportStatus.PREVIEW, created_at__lt=now - PREVIEW_KEPT_FOR
    ).delete()
    given_up = 0
    for job in import_jobs_stalled(now=now):
        # Only if still in the state it was found in: a queued job a worker took meanwhile runs.
        if import_job_end(
            job, reason=ImportStopReason.INTERRUPTED, if_status=(ImportStatus(job.status),)
        ):
            given_up += 1
    return by_model.get(ImportJob._meta.label, 0), given_up
