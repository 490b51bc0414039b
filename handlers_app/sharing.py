"""Reusing a set-up: duplicate a handler in its connection, copy handlers to another connection.

Secrets travel only on the server: a duplicate's empty secret fields are filled in from the
source here, and a copy reads the source's records and writes them with the destination's own
client, so each request counts against the budget of the key it is sent with.

A copy skips a handler when the destination already has one of the same type sending to the
same place (`Handler.place`), so copying twice creates nothing the second time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser
from django.http import QueryDict
from django.utils.translation import gettext as _

from handlers_app.models import ID_MAX_DIGITS, Connection
from handlers_app.selectors import handler_get, handler_page, handler_places
from handlers_app.services import handler_create, handler_set_enabled, merged_settings
from handlers_app.soclook import Handler, HandlerStatus, ListQuery
from handlers_app.soclook.errors import NotFound, OutcomeUnknown, RateLimited, SoclookError
from handlers_app.soclook.records import RESULTS_PER_PAGE_CHOICES
from handlers_app.soclook.types import NAME_MAX_LENGTH

# One copy runs while the page waits, and the service allows 60 requests a minute per key:
# this many creates (and as many switch-offs) leave room for the team's other work.
COPY_MAX_HANDLERS = 25
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


class SelectionError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Selection:
    """Which handlers of a connection a copy takes: listed `ids`, or with `query` all those
    the list shows for that filter (`?all=1` and the list's own query string)."""

    ids: tuple[int, ...] = ()
    query: ListQuery | None = None

    @classmethod
    def from_params(cls, params: QueryDict) -> Selection:
        if params.get("all") == "1":
            return cls(query=ListQuery.from_params(params))
        ids: dict[int, None] = {}
        for raw in params.get("ids", "").split(","):
            raw = raw.strip()
            if raw.isascii() and raw.isdigit() and len(raw) <= ID_MAX_DIGITS:
                ids[int(raw)] = None
            # One more than a copy takes is enough to refuse the selection.
            if len(ids) > COPY_MAX_HANDLERS:
                break
        return cls(ids=tuple(ids))

    def to_params(self) -> dict[str, str]:
        if self.query is not None:
            return {"all": "1", **self.query.to_params(omit_defaults=True)}
        return {"ids": ",".join(str(i) for i in self.ids)}

    @property
    def is_empty(self) -> bool:
        return self.query is None and not self.ids


def copy_sources(*, connection: Connection, selection: Selection) -> tuple[list[Handler], int]:
    """The selected handlers as stored, and how many of the listed ids no longer exist.

    Raises SelectionError for nothing selected or more than COPY_MAX_HANDLERS, before asking
    the service when the count is known; SoclookError when the service cannot answer.
    """
    if selection.is_empty:
        raise SelectionError(_("No handlers were selected to copy."))
    too_many = SelectionError(
        _(
            "At most %(max)d handlers can be copied at once. Select fewer and copy the rest in "
            "a second step."
        )
        % {"max": COPY_MAX_HANDLERS}
    )
    if selection.query is not None:
        query = replace(selection.query, page=1, results_per_page=_LARGEST_PAGE)
        page = handler_page(connection=connection, query=query)
        if page.total > COPY_MAX_HANDLERS:
            raise too_many
        return list(page.items), 0
    if len(selection.ids) > COPY_MAX_HANDLERS:
        raise too_many
    found: list[Handler] = []
    missing = 0
    for handler_id in selection.ids:
        try:
            found.append(handler_get(connection=connection, handler_id=handler_id))
        except NotFound:
            missing += 1
    return found, missing


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
    source = item.handler
    try:
        new_id = handler_create(
            connection=destination,
            user=user,
            name=source.name,
            type=source.type,
            settings=source.settings,
        )
    except RateLimited:
        raise
    except OutcomeUnknown as exc:
        return CopyResult(item=item, outcome=CopyOutcome.UNKNOWN, message=exc.message)
    except SoclookError as exc:
        return CopyResult(item=item, outcome=CopyOutcome.FAILED, message=exc.message)
    if not source.is_enabled:
        # A copy of a switched-off handler must not start sending in its new account.
        created = replace(source, id=new_id, status=HandlerStatus.ENABLED)
        try:
            handler_set_enabled(connection=destination, user=user, current=created, enabled=False)
        except SoclookError as exc:
            message = _("Added, but it could not be switched off: %(reason)s") % {
                "reason": exc.message
            }
            return CopyResult(
                item=item, outcome=CopyOutcome.CREATED, message=message, new_id=new_id
            )
    return CopyResult(item=item, outcome=CopyOutcome.CREATED, new_id=new_id)
