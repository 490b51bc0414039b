"""Changes made outside the dashboard: handlers created, changed or deleted in Soclook itself.

Each time the read cache reads an account whole from Soclook (a Refresh, or a list whose cached
read has aged), `outside_changes_record` compares it with the account as the dashboard last read
it (`HandlersSeen`, sealed: it holds secrets) and journals each difference the dashboard did not
make itself, as seen at that moment: a new handler, a changed one (the diff, secrets only as
"changed", and the state before, to undo it) and a deleted one (kept whole, to bring it back).

What the dashboard did itself is in the journal: a handler with an entry of the dashboard's
since a little before the last read (the margin covers a write that finished while that read
was under way) is left out. The first read of an account only takes note of it. An account too
big to be read whole (more than one snapshot) is not compared.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from handlers_app import crypto
from handlers_app.journal.diff import handler_changes
from handlers_app.journal.recording import Snapshot, record_outside_change
from handlers_app.models import Connection, HandlersSeen, JournalAction, JournalEntry
from handlers_app.soclook import Handler

__all__ = ["OUTSIDE_ACTIONS", "outside_changes_record"]

OUTSIDE_ACTIONS = (
    JournalAction.HANDLER_CREATED_OUTSIDE,
    JournalAction.HANDLER_CHANGED_OUTSIDE,
    JournalAction.HANDLER_DELETED_OUTSIDE,
)
logger = logging.getLogger(__name__)

# A write of the dashboard's journalled up to this long before the last read may not show in it.
OWN_WRITE_MARGIN = timedelta(minutes=1)


def outside_changes_record(*, connection: Connection, handlers: Sequence[Handler]) -> int:
    """Journal what changed in the account since the dashboard last read it whole, except
    what the dashboard did; `handlers` is the account as just read. Returns how many entries
    were written.

    A database that cannot take it now (busy, say) costs the read nothing: the record is left
    as it was, and the next read compares again."""
    try:
        return _record(connection=connection, handlers=handlers)
    except DatabaseError:
        logger.exception("Changes made outside the dashboard not compared; the next read will.")
        return 0


def _record(*, connection: Connection, handlers: Sequence[Handler]) -> int:
    now = timezone.now()
    after = {handler.id: Snapshot.of(handler) for handler in handlers}
    digest = _digest(after.values())
    seen = HandlersSeen.objects.filter(connection=connection).first()
    if seen is None:
        try:
            with transaction.atomic():
                HandlersSeen.objects.create(
                    connection=connection, state_encrypted=_seal(after), digest=digest, seen_at=now
                )
        except IntegrityError:
            pass  # Another read took note of the account first.
        return 0
    if seen.digest == digest:
        # Nothing changed. The time of the read moves on at most once a margin: a page read
        # again and again costs no write, and the dashboard's own changes are still told
        # apart (they are looked for from the last read less the margin).
        if now - seen.seen_at >= OWN_WRITE_MARGIN:
            HandlersSeen.objects.filter(pk=seen.pk, digest=digest).update(seen_at=now)
        return 0
    try:
        before = _unseal(seen.state_encrypted)
    except crypto.DecryptionError:
        before = None
    with transaction.atomic():
        # Only the read that moves the record on journals the difference: two reads at once
        # would otherwise both write it.
        claimed = HandlersSeen.objects.filter(pk=seen.pk, digest=seen.digest).update(
            state_encrypted=_seal(after), digest=digest, seen_at=now
        )
        if not claimed or before is None:
            return 0
        own = _own_changes(connection=connection, since=seen.seen_at - OWN_WRITE_MARGIN)
        written = 0
        for handler_id in sorted(before.keys() | after.keys()):
            if handler_id in own:
                continue
            old, new = before.get(handler_id), after.get(handler_id)
            if old is None and new is not None:
                action = JournalAction.HANDLER_CREATED_OUTSIDE
            elif new is None and old is not None:
                action = JournalAction.HANDLER_DELETED_OUTSIDE
            elif handler_changes(old, new):
                action = JournalAction.HANDLER_CHANGED_OUTSIDE
            else:
                continue
            record_outside_change(connection=connection, action=action, before=old, after=new)
            written += 1
    return written


def _own_changes(*, connection: Connection, since: object) -> set[int]:
    """The handlers the dashboard changed since `since` (under their old ids too, for a
    handler a restore created again)."""
    entries = (
        JournalEntry.objects.filter(connection=connection, created_at__gte=since)
        .exclude(Q(action__in=OUTSIDE_ACTIONS) | Q(action=JournalAction.HANDLER_TESTED))
        .filter(handler_id__isnull=False)
        .values_list("handler_id", "previous_handler_id")
    )
    own: set[int] = set()
    for handler_id, previous_id in entries:
        own.add(handler_id)
        if previous_id is not None:
            own.add(previous_id)
    return own


def _as_data(snapshot: Snapshot) -> list[object]:
    return [snapshot.id, snapshot.type, snapshot.name, dict(snapshot.settings), snapshot.status]


def _seal(state: dict[int, Snapshot]) -> str:
    return crypto.seal([_as_data(snapshot) for snapshot in state.values()])


def _unseal(sealed: str) -> dict[int, Snapshot]:
    state: dict[int, Snapshot] = {}
    for handler_id, type, name, values, status in crypto.unseal(sealed):
        state[int(handler_id)] = Snapshot(
            id=int(handler_id),
            type=str(type),
            name=str(name),
            settings={str(k): str(v) for k, v in values.items()},
            status=status,
        )
    return state


def _digest(snapshots: Iterable[Snapshot]) -> str:
    """Equal for equal handlers, however they were ordered (times left out: a save moves them).
    Keyed, since the handlers hold secrets: the digest tells nothing of them."""
    data = sorted((_as_data(snapshot) for snapshot in snapshots), key=lambda row: row[0])
    plain = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hmac.new(settings.SECRET_KEY.encode(), plain.encode(), hashlib.sha256).hexdigest()
