"""The background read of a big account: a job of the project's one job machinery
(handlers_app.batches) whose items are the account's pages of 1000, one request each.

The runner paces it within the connection's request budget and leaves the people using the
dashboard their share (`batches.PEOPLE_HEADROOM` of each minute): a person's list view is never
refused because of it. The list's view keeps it going (`account_read_keep`): the first view of
a big account stores the first page and starts the job for the rest; a copy grown old (or one
Soclook may have changed behind it) is read again on the next view, and Refresh begins a new
read at once. A read replaced by a newer one stops sending; its pages are never shown.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from handlers_app.accountcopy.models import AccountCopy
from handlers_app.accountcopy.store import (
    COPY_PAGE_SIZE,
    copy_begin,
    copy_for,
    copy_read_page,
    copy_wants_reading,
)
from handlers_app.batches import (
    ItemOutcome,
    Job,
    JobAction,
    JobItem,
    JobStatus,
    Kind,
    StopReason,
    Target,
    item_settle,
    job_create,
    job_start,
    job_stop,
)
from handlers_app.models import Connection

__all__ = ["ReadKind", "account_read_keep", "account_read_running"]

# A Refresh begins a new read only when the one under way began longer ago than this: pressing
# it again and again must not throw away the pages just read.
_FRESH_READ = timedelta(seconds=60)


class ReadKind(Kind):
    """Read one page of 1000 of the account into its copy (the item's position is the page)."""

    runs_at_once = False

    def target(self, job: Job) -> Target | StopReason:
        # Reading needs no more than seeing the list, which whoever started it could.
        connection = Connection.objects.filter(pk=job.connection_id).first()
        if connection is None:
            return StopReason.INTERRUPTED
        return Target(connection=connection, user=job.created_by)

    def run(
        self, job: Job, item: JobItem, target: Target, *, resumed: bool, settle_only: bool
    ) -> None:
        # A read changes nothing in Soclook: one under way when its worker stopped is simply
        # read again, unless the job was stopped meanwhile.
        if settle_only:
            item_settle(item, ItemOutcome.NOT_SENT)
            return
        connection = target.connection
        copy = copy_for(connection)
        if copy is None or copy.reading != job.payload.get("generation"):
            # A newer read began (a Refresh), or the connection's key or address changed.
            item_settle(item, ItemOutcome.UNCHANGED)
            return
        last = copy_read_page(copy, connection=connection, number=item.position)
        item_settle(item, ItemOutcome.DONE)
        if last:
            # The account ended sooner than the job planned (handlers deleted meanwhile).
            job.items.filter(outcome=ItemOutcome.PENDING).update(outcome=ItemOutcome.UNCHANGED)
        else:
            _plan_more_pages(job, copy)


def _plan_more_pages(job: Job, copy: AccountCopy) -> None:
    """The account grew while it was read: one more item for each page the service now counts."""
    pages = math.ceil(copy.total / COPY_PAGE_SIZE)
    planned = job.items.aggregate(last=Max("position"))["last"] or 0
    JobItem.objects.bulk_create(
        JobItem(job=job, position=number) for number in range(planned + 1, pages + 1)
    )


def account_read_running(*, connection: Connection) -> bool:
    """Whether a read of the account is queued or under way."""
    return _running(connection) is not None


def _running(connection: Connection) -> Job | None:
    return Job.objects.filter(
        connection=connection,
        action=JobAction.READ,
        status__in=(JobStatus.QUEUED, JobStatus.RUNNING),
    ).first()


def account_read_keep(
    *, connection: Connection, user: AbstractBaseUser, again: bool = False
) -> bool:
    """Keep a big account's copy being read: start the job for a read without one (the first
    view stored page 1), read a copy grown old again, and with `again` (Refresh) begin a new
    read unless one began just now. Sends nothing itself; True when it started a job."""
    with transaction.atomic():
        # One view at a time decides, so that two never start two jobs for one read.
        copy = AccountCopy.objects.select_for_update().filter(connection=connection).first()
        if copy is None or copy_for(connection) is None:
            return False
        running = _running(connection)
        now = timezone.now()
        under_way = copy.reading is not None and running is not None
        if again and under_way and now - copy.reading_from < _FRESH_READ:
            return False
        if again or (copy.reading is None and copy_wants_reading(copy, now=now)):
            if running is not None:
                job_stop(job=running)
            copy = copy_begin(connection)
            first = 1
        elif copy.reading is not None and running is None:
            first = copy.pages_read + 1
        else:
            return False
        known = max(copy.total, copy.served_total, 1)
        pages = max(first, math.ceil(known / COPY_PAGE_SIZE))
        job = job_create(
            connection=connection,
            user=user,
            action=JobAction.READ,
            items=[JobItem(position=number) for number in range(first, pages + 1)],
            payload={"generation": copy.reading},
        )
    job_start(job=job)
    return True
