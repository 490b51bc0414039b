"""Reusing a set-up: duplicate a handler in its connection, copy handlers to another connection.

Secrets travel only on the server: a duplicate's empty secret fields are filled in from the
source here, and a copy reads the source's records and writes them with the destination's own
client, so each request counts against the budget of the key it is sent with.

A copy skips a handler when the destination already has one of the same type sending to the
same place (`Handler.place`), so copying twice creates nothing the second time.

A few handlers are copied while the person waits (`handlers_copy`); more go to the background as
a bulk job (handlers_app.bulk), which uses the helpers at the end of this module for each one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from handlers_app.journal.recording import record_handler_created
from handlers_app.models import Connection, JournalAction, JournalEntry
from handlers_app.selectors import handler_all, handler_places
from handlers_app.services import handler_create, handler_set_enabled, merged_settings
from handlers_app.soclook import Handler, HandlerStatus
from handlers_app.soclook.errors import NotFound, OutcomeUnknown, RateLimited, SoclookError
from handlers_app.soclook.records import RESULTS_PER_PAGE_CHOICES
from handlers_app.soclook.types import NAME_MAX_LENGTH

_LARGEST_PAGE = max(RESULTS_PER_PAGE_CHOICES)


def duplicate_name(source: Handler) -> str:
    name = _("Copy of %(name)s") % {"name": source.name}
    return name[:NAME_MAX_LENGTH]


def handler_duplicate(
    *,
    connection: Connection,
    user: AbstractBaseUser,
    source: Handler,
    name: str,
    settings: Mapping[str, str],
) -> int:
    """Create a copy of `source` in its connection; a secret left empty is the source's."""
    full = merged_settings(current=source, type=source.type, submitted=settings)
    return handler_create(
        connection=connection, user=user, name=name, type=source.type, settings=full
    )


@dataclass(frozen=True)
class CopyItem:
    handler: Handler
    # The destination's handler (or an earlier one of this copy) with the same type and
    # destination: the reason this one is skipped.
    same_as: str | None = None
    same_in_selection: bool = False

    @property
    def skipped(self) -> bool:
        return self.same_as is not None


def copy_plan(*, sources: list[Handler], destination: Connection) -> list[CopyItem]:
    """What a copy of `sources` to `destination` would create and what it would skip."""
    taken = handler_places(connection=destination)
    plan: list[CopyItem] = []
    planned: dict[tuple[str, str], str] = {}
    for handler in sources:
        place = handler.place
        if place in taken:
            plan.append(CopyItem(handler=handler, same_as=taken[place]))
        elif place in planned:
            plan.append(CopyItem(handler=handler, same_as=planned[place], same_in_selection=True))
        else:
            planned[place] = handler.name
            plan.append(CopyItem(handler=handler))
    return plan


class CopyOutcome(StrEnum):
    CREATED = "created"
    SKIPPED = "skipped"
    UNKNOWN = "unknown"
    FAILED = "failed"
    NOT_TRIED = "not_tried"


@dataclass(frozen=True)
class CopyResult:
    item: CopyItem
    outcome: CopyOutcome
    message: str = ""
    new_id: int | None = None


def handlers_copy(
    *, destination: Connection, user: AbstractBaseUser, plan: list[CopyItem]
) -> list[CopyResult]:
    """Create in `destination` each planned handler that is not skipped, switched off when its
    source is. Stops at a refusal for the request budget: the rest is reported as not tried,
    so that nothing is sent that the service would refuse."""
    results: list[CopyResult] = []
    stopped: SoclookError | None = None
    for item in plan:
        if item.skipped:
            results.append(CopyResult(item=item, outcome=CopyOutcome.SKIPPED))
        elif stopped is not None:
            results.append(
                CopyResult(item=item, outcome=CopyOutcome.NOT_TRIED, message=stopped.message)
            )
        else:
            try:
                results.append(_copy_one(destination=destination, user=user, item=item))
            except RateLimited as exc:
                stopped = exc
                results.append(
                    CopyResult(item=item, outcome=CopyOutcome.NOT_TRIED, message=exc.message)
                )
    return results


def _copy_one(*, destination: Connection, user: AbstractBaseUser, item: CopyItem) -> CopyResult:
    try:
        new_id, note = handler_copy_to(destination=destination, user=user, source=item.handler)
    except RateLimited:
        raise
    except OutcomeUnknown as exc:
        return CopyResult(item=item, outcome=CopyOutcome.UNKNOWN, message=exc.message)
    except SoclookError as exc:
        return CopyResult(item=item, outcome=CopyOutcome.FAILED, message=exc.message)
    return CopyResult(item=item, outcome=CopyOutcome.CREATED, message=note, new_id=new_id)


# --- one handler at a time, for a copy in the background ----------------------------------------


def handler_copy_to(
    *, destination: Connection, user: AbstractBaseUser, source: Handler
) -> tuple[int, str]:
    """Create `source` in `destination`, switched off when the source is; returns the new id
    and a note for the person when it could not be switched off. Raises SoclookError when it
    was not created (or may not have been: OutcomeUnknown)."""
    new_id = handler_create(
        connection=destination,
        user=user,
        name=source.name,
        type=source.type,
        settings=source.settings,
    )
    if source.is_enabled:
        return new_id, ""
    created = replace(source, id=new_id, status=HandlerStatus.ENABLED)
    return new_id, _switch_off(destination=destination, user=user, created=created)


def _switch_off(*, destination: Connection, user: AbstractBaseUser, created: Handler) -> str:
    # A copy of a switched-off handler must not start sending in its new account. It exists
    # either way, so a refusal is reported, not tried again.
    try:
        handler_set_enabled(connection=destination, user=user, current=created, enabled=False)
    except SoclookError as exc:
        return _("Added, but it could not be switched off: %(reason)s") % {"reason": exc.message}
    return ""


def copy_source(*, connection: Connection, handler_id: int) -> Handler:
    """The handler to copy as the source account holds it now, read through the cache: a copy
    of many handlers costs the source a read of its list now and then, not one per handler.
    Raises NotFound when it no longer exists."""
    for handler in handler_all(connection=connection):
        if handler.id == handler_id:
            return handler
    raise NotFound


def copy_made(*, destination: Connection, source: Handler) -> Handler | None:
    """The destination's handler of the type of `source` sending to the same place, read afresh
    from the service; None when there is none. Asked before a copy whose request may have been
    under way when its worker stopped, so that it is not created twice."""
    place = source.place
    same_place = [h for h in handler_all(connection=destination, fresh=True) if h.place == place]
    named = [h for h in same_place if is_the_copy(h, source)]
    return (named or same_place or [None])[0]


def is_the_copy(made: Handler, source: Handler) -> bool:
    """`made` (see `copy_made`) bears the name of `source`: the copy itself, not another
    handler someone added there meanwhile."""
    return made.name == source.name[:NAME_MAX_LENGTH]


def copy_made_settle(
    *,
    destination: Connection,
    user: AbstractBaseUser,
    source: Handler,
    made: Handler,
    since: datetime,
) -> str:
    """Finish a copy found made after its worker stopped: journalled once, switched off when
    the source is. Returns a note for the person, as `handler_copy_to` does."""
    journalled = JournalEntry.objects.filter(
        connection=destination,
        handler_id=made.id,
        action=JournalAction.HANDLER_CREATED,
        created_at__gte=since,
    ).exists()
    if not journalled:
        record_handler_created(
            connection=destination,
            user=user,
            handler_id=made.id,
            name=made.name,
            type=made.type,
            settings=made.settings,
        )
    if source.is_enabled or not made.is_enabled:
        return ""
    return _switch_off(destination=destination, user=user, created=made)
