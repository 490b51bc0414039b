"""How the read cache holds handlers (`Row`), the page it gives the list (`HandlerListPage`),
and the service's own rules for cutting a page from an account held whole (`select_page`)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from handlers_app.accountcopy.store import Coverage
from handlers_app.budget import BudgetState
from handlers_app.soclook import Handler, HandlerPage, HandlerStatus, ListQuery
from handlers_app.soclook.types import get_handler_type

__all__ = ["HandlerListPage", "Row", "chosen_rows", "handler_of", "row_of", "select_page"]


@dataclass(frozen=True, slots=True)
class HandlerListPage(HandlerPage):
    """A page of handlers as the list shows it: how old it is and what is left of the budget.

    `stale_reason` is set (to a message a person can read) when fresh data could not be had and
    the page comes from the cache past SOCLOOK_CACHE_SECONDS. `version` changes whenever what
    the page shows may have (a write here, or different data from Soclook), and only then: what
    is rendered from the items can be kept under it beyond the data's own freshness.
    """

    fetched_at: float = 0.0
    stale_reason: str = ""
    # The types of all the account's handlers when it is held whole, else None.
    account_types: tuple[str, ...] | None = None
    # False when the service did the search (an account bigger than one snapshot): names only.
    searched_destinations: bool = True
    budget: BudgetState | None = None
    version: str = ""
    # How much of a big account its stored copy holds; None for an account held whole here.
    coverage: Coverage | None = None

    @property
    def age_seconds(self) -> int:
        return max(0, int(time.time() - self.fetched_at))

    @property
    def is_stale(self) -> bool:
        return bool(self.stale_reason)


class Row(NamedTuple):
    """A handler as stored in the cache: JSON values (an array once sealed). Times are in ISO
    8601, which sorts like the times themselves: the service's are all naive and to the second."""

    id: int
    type: str
    name: str
    settings: dict[str, str]
    status: int
    created: str | None
    last_changed: str | None
    email_confirmed: bool | None


def row_of(handler: Handler) -> Row:
    return Row(
        id=handler.id,
        type=handler.type,
        name=handler.name,
        settings=dict(handler.settings),
        status=int(handler.status),
        created=_iso(handler.created),
        last_changed=_iso(handler.last_changed),
        email_confirmed=handler.email_confirmed,
    )


def handler_of(row: Row) -> Handler:
    return Handler(
        id=row.id,
        type=row.type,
        name=row.name,
        settings=MappingProxyType(dict(row.settings)),
        status=HandlerStatus(row.status),
        created=_from_iso(row.created),
        last_changed=_from_iso(row.last_changed),
        email_confirmed=row.email_confirmed,
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _from_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


def select_page(
    rows: Sequence[Row], query: ListQuery, *, fetched_at: float, digest: str
) -> HandlerListPage:
    """The page the service would answer for `query`, cut from the account's every handler.

    Same rules as the service (and its emulator, handlers_app.sandbox.api): exact type,
    is_enabled 0/1/2, case-insensitive substring of the name (or here, beyond the service, of
    the destination shown); order by id unless asked, names
    case-insensitively, missing times first when ascending, ties by id; DESC reverses it all.
    """
    chosen = chosen_rows(rows, query)
    per_page = query.results_per_page
    start = (query.page - 1) * per_page
    return HandlerListPage(
        items=tuple(handler_of(row) for row in chosen[start : start + per_page]),
        page=query.page,
        per_page=per_page,
        total=len(chosen),
        total_pages=math.ceil(len(chosen) / per_page),
        fetched_at=fetched_at,
        version=digest,
        account_types=tuple(dict.fromkeys(row.type for row in rows)),
    )


def chosen_rows(rows: Sequence[Row], query: ListQuery) -> list[Row]:
    """Every row `query` asks for, in its order (all its pages)."""
    chosen = list(rows)
    if query.type:
        chosen = [row for row in chosen if row.type == query.type]
    if query.is_enabled is not None:
        chosen = [row for row in chosen if row.status == query.is_enabled]
    if query.search:
        needle = query.search.casefold()
        chosen = [row for row in chosen if needle in _searched_text(row)]
    chosen.sort(key=_sort_key(query.order_by), reverse=query.order_type == "DESC")
    return chosen


def _searched_text(row: Row) -> str:
    """What the search looks in: the name and the destination as the list shows it."""
    destination = get_handler_type(row.type, settings_keys=row.settings).destination(row.settings)
    return f"{row.name}\n{destination}".casefold()


def _sort_key(order_by: str | None) -> Callable[[Row], Any]:
    if order_by == "name":
        return lambda row: (row.name.casefold(), row.id)
    if order_by in ("type", "status"):
        return lambda row: (getattr(row, order_by), row.id)
    if order_by in ("datetime", "last_datetime"):
        column = "created" if order_by == "datetime" else "last_changed"

        def by_time(row: Row) -> tuple[bool, str, int]:
            moment = getattr(row, column)
            return (moment is not None, moment or "", row.id)

        return by_time
    return lambda row: row.id
