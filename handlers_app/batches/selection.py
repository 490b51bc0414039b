"""Which handlers a person chose for work on many of them: handler ids (`?ids=1,2,3`, or the
list's checkboxes), or "all matching this filter" (the list's own query and `all=1`).

One parser for every flow that takes a selection (bulk actions, copy, export, saving set-ups);
an address whose ids are not plain ids is refused with words a person can read, never a
server error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.utils.translation import gettext_lazy as _

from handlers_app.models import ID_MAX_DIGITS, Connection
from handlers_app.selectors import handler_page
from handlers_app.soclook import RESULTS_PER_PAGE_CHOICES, Handler, ListQuery

__all__ = [
    "MAX_SELECTED",
    "Selection",
    "SelectionInvalid",
    "selection_from_params",
    "selection_handlers",
]

# One selection takes at most this many handlers: one page of the list at its largest size.
MAX_SELECTED = max(RESULTS_PER_PAGE_CHOICES)


class SelectionInvalid(ValueError):
    """The address names handlers in a way no page of the dashboard writes."""

    message = _(
        "This address does not name handlers the dashboard can find. Go back to the "
        "list and choose them again."
    )


@dataclass(frozen=True)
class Selection:
    """Handler ids, or (`ids` None) every handler the list's `query` matches."""

    query: ListQuery
    ids: tuple[int, ...] | None = None

    @property
    def is_all(self) -> bool:
        return self.ids is None

    @property
    def is_filtered(self) -> bool:
        q = self.query
        return bool(q.type or q.is_enabled is not None or q.search)

    def to_params(self) -> dict[str, str]:
        """The selection as a query string carries it to any flow of the bulk bar."""
        if self.ids is not None:
            return {"ids": ",".join(str(i) for i in self.ids)}
        return {**self.list_params(), "all": "1"}

    def list_params(self) -> dict[str, str]:
        """The list's query string for the same handlers (filter and order), without the page."""
        params = self.query.to_params(omit_defaults=True)
        params.pop("page", None)
        params.pop("results_per_page", None)
        return params


def selection_from_params(
    params: Mapping[str, Any], *, all_by_default: bool = False
) -> Selection | None:
    """The selection a query string or form asks for: `ids` (comma-separated, or repeated as
    checkboxes send them) or `all=1` with the list's filters; with `all_by_default`, no ids
    means every handler matching the filter. None when nothing is chosen; SelectionInvalid when
    an id is not a plain number (or more ids than one selection takes)."""
    query = replace(ListQuery.from_params(params), page=1, results_per_page=MAX_SELECTED)
    values = params.getlist("ids") if hasattr(params, "getlist") else [params.get("ids", "")]
    parts = [part.strip() for value in values for part in str(value or "").split(",")]
    parts = [part for part in parts if part]
    if not parts:
        if params.get("all") == "1" or all_by_default:
            return Selection(query=query)
        return None
    ids: dict[int, None] = {}
    for part in parts:
        if not (part.isascii() and part.isdigit() and len(part) <= ID_MAX_DIGITS):
            raise SelectionInvalid(part)
        ids[int(part)] = None
    if len(ids) > MAX_SELECTED:
        raise SelectionInvalid(len(ids))
    return Selection(query=query, ids=tuple(ids))


def selection_handlers(
    *, connection: Connection, selection: Selection
) -> tuple[list[Handler], int]:
    """The selected handlers as the service now lists them (through the read cache), and how
    many matched in all (more than MAX_SELECTED for a filter too wide). Ids no longer listed
    are left out."""
    if selection.ids is None:
        page = handler_page(connection=connection, query=selection.query)
        return list(page.items), page.total
    wanted = set(selection.ids)
    query = ListQuery(results_per_page=MAX_SELECTED)
    found: dict[int, Handler] = {}
    while True:
        page = handler_page(connection=connection, query=query)
        found.update((h.id, h) for h in page.items if h.id in wanted)
        if len(found) == len(wanted) or query.page * query.results_per_page >= page.total:
            break
        query = replace(query, page=query.page + 1)
    handlers = [found[i] for i in selection.ids if i in found]
    return handlers, len(handlers)
