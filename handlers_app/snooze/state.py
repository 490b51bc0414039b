"""Snoozes as rows: the moments a snooze may end at, the ones in force, and ending one without a
request (a person switched the handler by hand)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta, tzinfo

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from handlers_app.journal.diff import Change
from handlers_app.models import Connection, Snooze, SnoozeState

# A snooze ends at most this far ahead: longer is no longer a pause but a switch-off.
SNOOZE_LONGEST = timedelta(days=30)
# "Until tomorrow morning" means this hour of the viewer's day.
MORNING = time(9, 0)


class SnoozeLength(models.TextChoices):
    HOUR = "1h", _("For 1 hour")
    FOUR_HOURS = "4h", _("For 4 hours")
    TOMORROW = "tomorrow", _("Until tomorrow 09:00")
    MOMENT = "moment", _("Until a moment you choose")


def snooze_end(length: SnoozeLength, *, now: datetime, zone: tzinfo) -> datetime:
    """When a snooze of `length` started `now` ends; "tomorrow" in the viewer's `zone`. Not
    for MOMENT, which the person gives."""
    if length == SnoozeLength.HOUR:
        return now + timedelta(hours=1)
    if length == SnoozeLength.FOUR_HOURS:
        return now + timedelta(hours=4)
    if length == SnoozeLength.TOMORROW:
        tomorrow = timezone.localtime(now, zone).date() + timedelta(days=1)
        return datetime.combine(tomorrow, MORNING, tzinfo=zone)
    raise ValueError(f"{length} is a moment the person chooses")


def snooze_change(*, before: datetime | None, after: datetime | None) -> Change:
    """A snooze's moment in a journal entry, stored as UTC ISO 8601 and shown in the reader's
    zone (journal.diff)."""
    return {
        "field": "snoozed_until",
        "before": before.isoformat() if before is not None else None,
        "after": after.isoformat() if after is not None else None,
    }


def snoozes_in_force(*, connection: Connection, handler_ids: Iterable[int]) -> dict[int, Snooze]:
    """The snoozes in force of these handlers of the connection, by handler id."""
    snoozes = Snooze.objects.filter(
        connection=connection, handler_id__in=list(handler_ids), state=SnoozeState.ACTIVE
    )
    return {snooze.handler_id: snooze for snooze in snoozes}


def snooze_overridden(*, connection: Connection, handler_id: int) -> int:
    """A person switched the handler by hand: its snooze, if any, ends without switching it
    back on. Returns how many ended (0 or 1)."""
    return Snooze.objects.filter(
        connection=connection, handler_id=handler_id, state=SnoozeState.ACTIVE
    ).update(state=SnoozeState.OVERRIDDEN, ended_at=timezone.now())


def snoozes_version(*, connection: Connection) -> str:
    """Changes whenever a snooze of the connection starts, moves or ends: the list's cached rows
    show them."""
    snoozes = Snooze.objects.filter(connection=connection, state=SnoozeState.ACTIVE)
    return ",".join(
        f"{pk}:{until.timestamp():.0f}" for pk, until in snoozes.values_list("pk", "until")
    )
