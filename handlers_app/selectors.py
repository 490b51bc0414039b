"""Reads: what the pages show, from the database and (through the read cache) from Soclook.

Soclook allows 60 requests a minute per key, shared by the team, so handler reads go through
`handlers_app.readcache`, which serves them for SOCLOOK_CACHE_SECONDS and stays right after the
dashboard's own writes. When the request budget is spent or the service is down, reads fall back
to what the cache holds, however old, and the list says how old (`HandlerListPage.stale_reason`).
"""

from __future__ import annotations

from dataclasses import replace

from handlers_app.accountcopy.store import (
    copy_begin,
    copy_coverage,
    copy_for,
    copy_page_number,
    copy_select,
    copy_store_page,
)
from handlers_app.budget import BudgetState
from handlers_app.clients import client_for
from handlers_app.models import Connection
from handlers_app.readcache import AccountCache, HandlerListPage, handler_cache_deleted
from handlers_app.service_time import offset_learn_from_read
from handlers_app.soclook import RESULTS_PER_PAGE_CHOICES, Handler, ListQuery
from handlers_app.soclook.errors import NotFound, RateLimited, SoclookError, Unavailable

__all__ = [
    "HandlerListPage",
    "budget_state",
    "handler_all",
    "handler_get",
    "handler_page",
    "handler_page_number",
    "handler_places",
]

_LARGEST_PAGE = max(RESULTS_PER_PAGE_CHOICES)


def handler_page(
    *, connection: Connection, query: ListQuery, refresh: bool = False
) -> HandlerListPage:
    """One page of the account's handlers, as the list shows it; `refresh` skips the cache.
    The dashboard's own "needs attention" filter (`ListQuery.health`) is applied here too, so
    that every reader of a filtered list (bulk actions on "all matching", exports) gets it. A big
    account (more than one snapshot) is answered from its stored copy once that is complete, at no
    request; before that, and on a Refresh, page by page from the service.
    """
    if query.health:
        # Imported here: the filter reads whole lists through this very function.
        from handlers_app.health.listing import attention_page

        return attention_page(connection=connection, query=query, refresh=refresh)
    account = AccountCache(connection)
    copy = copy_for(connection, fingerprint=account.fingerprint)
    if copy is not None and copy.served is not None and not refresh:
        copied = copy_select(copy, query)
        if copied is not None:
            page = replace(account.page_from_copy(copied, query), coverage=copy_coverage(copy))
            return _with_budget(account, page)
    page = None if refresh else account.page(query, fresh_only=True)
    if page is None:
        try:
            page, first = account.fetch_page(query, large=copy is not None)
            offset_learn_from_read(connection=connection, handlers=page.items)
        except (RateLimited, Unavailable) as exc:
            page = account.page(query, fresh_only=False)
            if page is None:
                raise
            page = replace(page, stale_reason=exc.message)
        else:
            if first is not None:
                copy = copy_begin(connection)
                copy_store_page(copy, first)
    if copy is not None:
        page = replace(page, coverage=copy_coverage(copy))
    return _with_budget(account, page)


def _with_budget(account: AccountCache, page: HandlerListPage) -> HandlerListPage:
    return replace(page, budget=account.budget_state(), version=f"{account.epoch}:{page.version}")


def handler_all(*, connection: Connection, fresh: bool = False) -> list[Handler]:
    """Every handler of the account, read as the list reads it: one request for an account of
    up to 1000 handlers, none while the cache holds it; with `fresh`, straight from the service,
    where a cached read (even a stale one, when the budget is spent) will not do."""
    found: list[Handler] = []
    number = 1
    while True:
        query = ListQuery(page=number, results_per_page=_LARGEST_PAGE)
        if fresh:
            page = client_for(connection).list_handlers(query)
        else:
            page = handler_page(connection=connection, query=query)
        found.extend(page.items)
        if not page.has_next:
            return found
        number += 1


def handler_places(*, connection: Connection) -> dict[tuple[str, str], str]:
    """Where the account's handlers send (`Handler.place`), each with the name of the first
    handler sending there: what a copy or a saved set-up added to it would repeat."""
    taken: dict[tuple[str, str], str] = {}
    for handler in handler_all(connection=connection):
        taken.setdefault(handler.place, handler.name)
    return taken


def handler_page_number(*, connection: Connection, query: ListQuery, handler_id: int) -> int | None:
    """The page of the list `query` asks for that holds the handler; None when its filters
    leave the handler out.

    Reads the list as `handler_page` does (a record just created sends the read to the
    service, which alone knows where it falls). An account too big to be held whole is
    counted in its stored copy once that is complete; before, it would need a request a page
    to search through, so there, as when the list cannot be read at all, the answer is the
    page asked for.
    """
    try:
        handler_page(connection=connection, query=query)
    except SoclookError:
        return query.page
    account = AccountCache(connection)
    if not account.is_whole():
        copy = copy_for(connection, fingerprint=account.fingerprint)
        if copy is not None and copy.served is not None:
            return copy_page_number(copy, query, handler_id)
        return query.page
    return account.page_number(query, handler_id)


def handler_get(*, connection: Connection, handler_id: int) -> Handler:
    account = AccountCache(connection)
    handler = account.handler(handler_id, fresh_only=True)
    if handler is not None:
        return handler
    try:
        handler = client_for(connection).get_handler(handler_id)
    except (RateLimited, Unavailable):
        handler = account.handler(handler_id, fresh_only=False)
        if handler is None:
            raise
        return handler
    except NotFound:
        handler_cache_deleted(connection=connection, handler_id=handler_id)
        raise
    offset_learn_from_read(connection=connection, handlers=[handler])
    account.remember(handler)
    return handler


def budget_state(*, connection: Connection) -> BudgetState:
    """What is left of the connection's request budget this minute."""
    return AccountCache(connection).budget_state()
