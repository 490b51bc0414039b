"""The list's "Needs attention" filter: the handlers whose last check needs attention, as the
list would show them with its other filters and order."""

from __future__ import annotations

import math
from dataclasses import replace

from handlers_app.health.service import attention_ids, health_version
from handlers_app.models import Connection
from handlers_app.readcache import HandlerListPage
from handlers_app.selectors import handler_page
from handlers_app.soclook import RESULTS_PER_PAGE_CHOICES, ListQuery

__all__ = ["attention_page"]

_LARGEST_PAGE = max(RESULTS_PER_PAGE_CHOICES)


def attention_page(
    *, connection: Connection, query: ListQuery, refresh: bool = False
) -> HandlerListPage:
    """A page of the handlers that need attention among those the rest of `query` lists: the
    list is read whole (from the read cache, as the list reads it) and cut here."""
    wanted = attention_ids(connection=connection)
    whole = replace(query, page=1, results_per_page=_LARGEST_PAGE, health=None)
    page = first = handler_page(connection=connection, query=whole, refresh=refresh)
    found = [handler for handler in page.items if handler.id in wanted]
    while page.has_next and wanted:
        whole = replace(whole, page=whole.page + 1)
        page = handler_page(connection=connection, query=whole)
        found.extend(handler for handler in page.items if handler.id in wanted)
    per_page = query.results_per_page
    start = (query.page - 1) * per_page
    return replace(
        first,
        items=tuple(found[start : start + per_page]),
        page=query.page,
        per_page=per_page,
        total=len(found),
        total_pages=math.ceil(len(found) / per_page),
        version=f"{first.version}:health:{health_version(connection)}",
    )
