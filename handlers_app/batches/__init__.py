"""The one road for work on many handlers: what is chosen, what would happen, the job that does
it in the background, and what became of each handler.

- `selection`: which handlers (`?ids=1,2,3`, or "all matching this filter"), parsed once for
  every flow; a malformed address is `SelectionInvalid`, never a server error.
- `plan`: for each item, add it, skip it because the destination already sends to the same
  place, or refuse it with a reason (`PlacePlanner`, `PlanItem`, `Verdict`).
- one `Job` and its `JobItem`s for every kind (in handlers_app.models, re-exported here); one
  vocabulary of statuses (`JobStatus`), reasons to stop (`StopReason`) and item outcomes
  (`ItemOutcome`).
- `runner`: one sliced runner on handlers_app.pacing (progress, cancel, resume after a dead
  worker, within each connection's request budget) and one housekeeping (`jobs_sweep`, run by
  `manage.py jobs_housekeeping`).
- `creating`: a handler created in a connection on behalf of a job or a set-up, switched off
  when it must be, never twice after an interrupted worker.

Adding a kind of job: a `JobAction` value (handlers_app/models.py, with a migration for
its choices), a subclass of `Kind` whose `run(job, item, target, resumed=..., settle_only=...)`
sends one item and settles it with `item_settle` (raising SoclookError for the runner to decide
what a refusal means), `target(job)` when it writes elsewhere than the job's connection, and
its dotted path in `runner.KINDS`. Create the job with `job_create(...)` and start it with
`job_start(job=...)`; the bulk job page (views/bulk.py) follows any job's progress.

Secrets stored for a team leave it only as handlers_app.secret_flow allows.
"""

from __future__ import annotations

from handlers_app.batches.plan import PlacePlanner, PlanItem, Verdict
from handlers_app.batches.runner import (
    KINDS,
    PEOPLE_HEADROOM,
    PREVIEW_KEPT_FOR,
    RUN_AT_ONCE_UP_TO,
    STALLED_AFTER,
    Kind,
    Target,
    item_settle,
    job_counts,
    job_create,
    job_mark_list_refreshed,
    job_run,
    job_stalled,
    job_start,
    job_stop,
    job_waiting_seconds,
    jobs_sweep,
)
from handlers_app.batches.selection import (
    MAX_SELECTED,
    Selection,
    SelectionInvalid,
    selection_from_params,
    selection_handlers,
)
from handlers_app.models import (
    ItemOutcome,
    Job,
    JobAction,
    JobItem,
    JobStatus,
    StopReason,
)

__all__ = [
    "KINDS",
    "MAX_SELECTED",
    "PEOPLE_HEADROOM",
    "PREVIEW_KEPT_FOR",
    "RUN_AT_ONCE_UP_TO",
    "STALLED_AFTER",
    "ItemOutcome",
    "Job",
    "JobAction",
    "JobItem",
    "JobStatus",
    "Kind",
    "PlacePlanner",
    "PlanItem",
    "Selection",
    "SelectionInvalid",
    "StopReason",
    "Target",
    "Verdict",
    "item_settle",
    "job_counts",
    "job_create",
    "job_mark_list_refreshed",
    "job_run",
    "job_stalled",
    "job_start",
    "job_stop",
    "job_waiting_seconds",
    "jobs_sweep",
    "selection_from_params",
    "selection_handlers",
]
