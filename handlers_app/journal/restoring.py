"""One restore from a journal entry at a time, and whether an earlier one already brought the
handler back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from handlers_app.models import JournalEntry

# How long one restore holds its entry: longer than its few requests to the service can take.
# A claim left behind by a process that died is taken over after it.
RESTORE_CLAIM_SECONDS = 2 * 60


def restore_claim(*, entry: JournalEntry) -> datetime | None:
    """Claim the entry for one restore: the claim's time, or None when another restore holds it.

    One conditional UPDATE, so that of simultaneous restores exactly one wins, on SQLite (one
    writer at a time) and PostgreSQL (the row lock makes the others re-check the condition).
    """
    now = timezone.now()
    free = Q(restore_started_at__isnull=True) | Q(
        restore_started_at__lt=now - timedelta(seconds=RESTORE_CLAIM_SECONDS)
    )
    claimed = JournalEntry.objects.filter(free, pk=entry.pk).update(restore_started_at=now)
    return now if claimed else None


def restore_release(*, entry: JournalEntry, claimed_at: datetime) -> None:
    JournalEntry.objects.filter(pk=entry.pk, restore_started_at=claimed_at).update(
        restore_started_at=None
    )


def restore_underway(entry: JournalEntry) -> bool:
    """Whether a restore from this entry holds it right now."""
    started = entry.restore_started_at
    return started is not None and timezone.now() - started < timedelta(
        seconds=RESTORE_CLAIM_SECONDS
    )


def recreation_of(entry: JournalEntry) -> JournalEntry | None:
    """The restore that created the entry's handler again, when one did."""
    return entry.restorations.filter(previous_handler_id__isnull=False).first()
