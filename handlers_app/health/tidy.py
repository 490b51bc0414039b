"""The Tidy-up page's groups, from what the dashboard already knows: the account's handlers (as
the list reads them, from the read cache), the journal, the tests and the silent checks.

- duplicates: two or more handlers of the same type sending to the same place (`Handler.place`);
  the oldest of each set is kept, the others are offered for deletion;
- switched off for more than SWITCHED_OFF_DAYS: since the journal's last "switched off" entry,
  or, for a handler switched off elsewhere, since Soclook's last change of it (no later change
  can have switched it off);
- waiting for e-mail confirmation for more than UNCONFIRMED_DAYS, counted from its creation;
- whose last test or last check failed;
- of types the dashboard only displays (or does not know).

Each group's actions open the bulk machinery's preview for its handlers: nothing changes until
the preview is confirmed, and every change is journalled and restorable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from handlers_app.health.models import HandlerHealth, HealthState
from handlers_app.health.service import note_of
from handlers_app.journal.queries import handler_last_tests
from handlers_app.models import Connection, JournalAction, JournalEntry
from handlers_app.selectors import handler_all
from handlers_app.service_time import service_moment
from handlers_app.soclook import Handler, HandlerStatus

__all__ = ["SWITCHED_OFF_DAYS", "UNCONFIRMED_DAYS", "TidyGroup", "TidyRow", "tidy_groups"]

SWITCHED_OFF_DAYS = 30
UNCONFIRMED_DAYS = 7


@dataclass(frozen=True)
class TidyRow:
    handler: Handler
    # Why it is in the group, in words (a date, the handler it repeats, what failed).
    why: str = ""
    since: datetime | None = None
    # When the failed test or check was.
    on: datetime | None = None
    # Part of the group's action (a duplicate's first is kept).
    acted_on: bool = True


@dataclass(frozen=True)
class TidyGroup:
    key: str
    title: Promise
    explanation: Promise
    rows: Sequence[TidyRow]
    # (bulk action, its label) offered for the rows acted on.
    actions: Sequence[tuple[str, Promise]] = field(default_factory=tuple)

    @property
    def ids(self) -> str:
        return ",".join(str(row.handler.id) for row in self.rows if row.acted_on)


def tidy_groups(*, connection: Connection, now: datetime | None = None) -> list[TidyGroup]:
    """Every group, in the page's order; a group nothing falls into is left out."""
    now = now or timezone.now()
    handlers = handler_all(connection=connection)
    groups = [
        _duplicates(handlers),
        _switched_off(connection, handlers, now),
        _unconfirmed(connection, handlers, now),
        _failed(connection, handlers),
        _display_only(handlers),
    ]
    return [group for group in groups if group.rows]


def _duplicates(handlers: Sequence[Handler]) -> TidyGroup:
    by_place: dict[tuple[str, str], list[Handler]] = {}
    for handler in sorted(handlers, key=lambda h: h.id):
        place = handler.place
        if place[1]:
            by_place.setdefault(place, []).append(handler)
    rows: list[TidyRow] = []
    for same in by_place.values():
        if len(same) < 2:
            continue
        kept = same[0]
        rows.append(TidyRow(kept, why=str(_("kept: the oldest of this set")), acted_on=False))
        for handler in same[1:]:
            why = _("sends to the same place as “%(name)s”") % {"name": kept.name or kept.id}
            rows.append(TidyRow(handler, why=str(why)))
    return TidyGroup(
        key="duplicates",
        title=_("Two or more handlers sending to the same place"),
        explanation=_(
            "Each alert reaches these destinations twice or more. The oldest of each set is "
            "kept; the others can be deleted (and restored from the journal)."
        ),
        rows=rows,
        actions=(("delete", _("Delete the repeats")),),
    )


def _switched_off(connection: Connection, handlers: Sequence[Handler], now: datetime) -> TidyGroup:
    off = [h for h in handlers if h.status == HandlerStatus.DISABLED]
    journalled = dict(
        JournalEntry.objects.filter(
            connection=connection,
            action=JournalAction.HANDLER_DISABLED,
            handler_id__in=[h.id for h in off],
        )
        .values("handler_id")
        .annotate(at=Max("created_at"))
        .values_list("handler_id", "at")
    )
    limit = now - timedelta(days=SWITCHED_OFF_DAYS)
    rows = []
    for handler in off:
        since = journalled.get(handler.id) or service_moment(
            handler.last_changed or handler.created, connection.service_utc_offset
        )
        if since is not None and since < limit:
            rows.append(TidyRow(handler, since=since))
    rows.sort(key=lambda row: row.since)
    return TidyGroup(
        key="switched_off",
        title=_("Switched off for more than %(days)s days") % {"days": SWITCHED_OFF_DAYS},
        explanation=_(
            "Since the journal's last “switched off”, or for a handler switched off outside the "
            "dashboard, since Soclook's last change of it."
        ),
        rows=rows,
        actions=(("delete", _("Delete them")),),
    )


def _unconfirmed(connection: Connection, handlers: Sequence[Handler], now: datetime) -> TidyGroup:
    limit = now - timedelta(days=UNCONFIRMED_DAYS)
    rows = []
    for handler in handlers:
        created = service_moment(handler.created, connection.service_utc_offset)
        if handler.is_pending and created is not None and created < limit:
            rows.append(TidyRow(handler, since=created))
    rows.sort(key=lambda row: row.since)
    return TidyGroup(
        key="unconfirmed",
        title=_("Waiting for e-mail confirmation for more than %(days)s days")
        % {"days": UNCONFIRMED_DAYS},
        explanation=_(
            "Nobody opened the confirmation link Soclook sent, so these addresses get nothing. "
            "Ask the owner of the address to confirm, or delete the handler."
        ),
        rows=rows,
        actions=(("delete", _("Delete them")), ("disable", _("Switch them off"))),
    )


def _failed(connection: Connection, handlers: Sequence[Handler]) -> TidyGroup:
    ids = [h.id for h in handlers]
    tests = handler_last_tests(connection=connection, handler_ids=ids)
    checks = {
        row.handler_id: row
        for row in HandlerHealth.objects.filter(
            connection=connection, handler_id__in=ids, state=HealthState.ATTENTION
        )
    }
    rows = []
    for handler in handlers:
        test = tests.get(handler.id)
        check = checks.get(handler.id)
        if check is not None and (test is None or check.checked_at >= test.at):
            rows.append(TidyRow(handler, why=note_of(check).text, on=check.checked_at))
        elif test is not None and not test.outcome.delivered and test.outcome.was_sent:
            why = _("last test failed: %(reason)s") % {"reason": test.outcome.summary}
            rows.append(TidyRow(handler, why=str(why), on=test.at))
    return TidyGroup(
        key="failed",
        title=_("The last test or check failed"),
        explanation=_(
            "Alerts sent to these destinations are probably lost. Fix the settings on the edit "
            "page, or switch them off until they are fixed."
        ),
        rows=rows,
        actions=(("disable", _("Switch them off")),),
    )


def _display_only(handlers: Sequence[Handler]) -> TidyGroup:
    rows = [TidyRow(h) for h in handlers if not h.handler_type.is_known]
    return TidyGroup(
        key="display_only",
        title=_("Types this dashboard only displays"),
        explanation=_(
            "Their settings cannot be changed, tested or checked here; they can be switched off "
            "or deleted."
        ),
        rows=rows,
        actions=(("disable", _("Switch them off")), ("delete", _("Delete them"))),
    )
