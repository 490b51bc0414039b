"""The journal as pages read it: the entries of a person's teams, a handler's history through the
ids restores gave it, and each handler's latest change and test, without a request to Soclook.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Max, Q, QuerySet

from handlers_app.journal import readers
from handlers_app.models import ID_MAX_DIGITS, Connection, JournalAction, JournalEntry, Team

HANDLER_ACTIONS = (
    JournalAction.HANDLER_CREATED,
    JournalAction.HANDLER_CHANGED,
    JournalAction.HANDLER_ENABLED,
    JournalAction.HANDLER_DISABLED,
    JournalAction.HANDLER_DELETED,
    JournalAction.HANDLER_RESTORED,
)


# How many restores back the history of one handler is followed through its earlier ids.
_LINEAGE_DEPTH = 20


# A handler filter read as an id: ASCII digits only ("²".isdigit() is true, int("²") fails).
_ID_TEXT = re.compile(f"[0-9]{{1,{ID_MAX_DIGITS}}}")


@dataclass(frozen=True)
class JournalFilter:
    team_id: int | None = None
    connection_id: int | None = None
    user_id: int | None = None
    # A handler's id, or part of its name.
    handler: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None


def journal_entries(
    *,
    teams: Iterable[Team],
    filters: JournalFilter,
    connection: Connection | None = None,
    handler_ids: Iterable[int] | None = None,
) -> QuerySet[JournalEntry]:
    """The entries of `teams`, newest first, narrowed by `filters` (and to one connection's
    handlers when `handler_ids` is given)."""
    entries = JournalEntry.objects.filter(team__in=list(teams)).select_related("team")
    if connection is not None:
        entries = entries.filter(connection=connection)
    if handler_ids is not None:
        entries = entries.filter(handler_id__in=list(handler_ids))
    chosen = {
        "team_id": filters.team_id,
        "connection_id": filters.connection_id,
        "user_id": filters.user_id,
        "action": filters.action,
        "created_at__date__gte": filters.date_from,
        "created_at__date__lte": filters.date_to,
    }
    entries = entries.filter(**{lookup: value for lookup, value in chosen.items() if value})
    handler = filters.handler.strip().lstrip("#")
    if _ID_TEXT.fullmatch(handler):
        entries = entries.filter(Q(handler_id=int(handler)) | Q(previous_handler_id=int(handler)))
    elif handler:
        entries = entries.filter(handler_name__icontains=handler)
    return entries


def handler_name_latest(*, connection: Connection, handler_id: int) -> str:
    """The name the journal last knew a handler by ("" when it has no entry of it)."""
    latest = (
        JournalEntry.objects.filter(connection=connection, handler_id=handler_id)
        .only("handler_name")
        .first()
    )
    return latest.handler_name if latest else ""


def handler_lineage(*, connection: Connection, handler_id: int) -> list[int]:
    """The handler's id and the ids it had before restores re-created it, newest first."""
    ids = [handler_id]
    while len(ids) < _LINEAGE_DEPTH:
        previous = (
            JournalEntry.objects.filter(
                connection=connection,
                handler_id=ids[-1],
                action=JournalAction.HANDLER_RESTORED,
                previous_handler_id__isnull=False,
            )
            .values_list("previous_handler_id", flat=True)
            .first()
        )
        if previous is None or previous in ids:
            break
        ids.append(previous)
    return ids


def handler_last_changes(
    *, connection: Connection, handler_ids: Iterable[int]
) -> dict[int, JournalEntry]:
    """The latest journal entry of each handler, in one query (no request to Soclook)."""
    ids = list(handler_ids)
    fields = ("handler_id", "action", "user_name", "created_at")
    mine = JournalEntry.objects.filter(connection=connection, action__in=HANDLER_ACTIONS)
    if len(ids) == 1:
        # One row (after a switch or a save): its newest entry, without the grouping.
        entry = mine.filter(handler_id=ids[0]).only(*fields).order_by("-id").first()
        return {entry.handler_id: entry} if entry is not None else {}
    latest = mine.filter(handler_id__in=ids).values("handler_id").annotate(last=Max("id"))
    entries = JournalEntry.objects.filter(pk__in=latest.values("last")).only(*fields).order_by()
    return {entry.handler_id: entry for entry in entries}


def recreations_of(entries: Iterable[JournalEntry]) -> dict[int, int]:
    """For each of `entries` whose deleted handler a restore created again: the entry's id and
    the id the handler came back under, in one query."""
    return dict(
        JournalEntry.objects.filter(
            restored_from__in=[entry.pk for entry in entries], previous_handler_id__isnull=False
        ).values_list("restored_from_id", "handler_id")
    )


@dataclass(frozen=True)
class LastTest:
    at: datetime
    # What came of it, as the test-send package reads its record (journal.readers).
    outcome: Any


def handler_last_tests(
    *, connection: Connection, handler_ids: Iterable[int]
) -> dict[int, LastTest]:
    """The latest test of each handler, in one query (no request to Soclook)."""
    ids = list(handler_ids)
    fields = ("handler_id", "created_at", "changes")
    tested = JournalEntry.objects.filter(connection=connection, action=JournalAction.HANDLER_TESTED)
    if len(ids) == 1:
        # One row (after a switch or a save): its newest test, without the grouping.
        entries = tested.filter(handler_id=ids[0]).only(*fields).order_by("-id")[:1]
    else:
        latest = tested.filter(handler_id__in=ids).values("handler_id").annotate(last=Max("id"))
        entries = JournalEntry.objects.filter(pk__in=latest.values("last")).only(*fields).order_by()
    tests = {}
    for entry in entries:
        result = next(
            (c.get("after") for c in entry.changes if c.get("field") == "test_result"), None
        )
        outcome = readers.read("test_result", result)
        if outcome is not None:
            tests[entry.handler_id] = LastTest(at=entry.created_at, outcome=outcome)
    return tests


def handler_switched_since(*, connection: Connection, handler_id: int, since: datetime) -> bool:
    """Whether the journal shows the handler switched on or off after `since`: in the dashboard,
    or in Soclook (a change made outside the dashboard)."""
    entries = JournalEntry.objects.filter(
        connection=connection,
        handler_id=handler_id,
        created_at__gt=since,
        action__in=(
            JournalAction.HANDLER_ENABLED,
            JournalAction.HANDLER_DISABLED,
            JournalAction.HANDLER_CHANGED_OUTSIDE,
        ),
    ).values_list("action", "changes")
    return any(
        action != JournalAction.HANDLER_CHANGED_OUTSIDE
        or any(change.get("field") == "is_enabled" for change in changes)
        for action, changes in entries
    )
