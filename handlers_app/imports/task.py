"""The job kind that creates a confirmed import's handlers, one row at a time (the runner of
handlers_app.batches sends them in slices within the request budget; `manage.py db_worker` runs
it).

Each row is created through `services.handler_create`, so it is journalled and the cached list
refreshed, and switched off at once when the file says it was off. A row whose create was under
way when its worker stopped is looked for in the account before anything is sent again. The
rows' settings, secrets included, are sealed on the job until it ends.
"""

from __future__ import annotations

from handlers_app.batches import Job, JobItem, Kind, Target
from handlers_app.batches.creating import NewHandler, new_handler_send

__all__ = ["ImportKind"]


class ImportKind(Kind):
    # An import always runs in the background: its page follows it.
    runs_at_once = False

    def run(
        self, job: Job, item: JobItem, target: Target, *, resumed: bool, settle_only: bool
    ) -> None:
        new = NewHandler(
            name=item.name,
            type=item.type,
            settings=job.payload[str(item.position)],
            enabled=item.enabled,
        )
        new_handler_send(job, item, target, new, resumed=resumed, settle_only=settle_only)
