"""The read cache: handler reads from Soclook, kept in Django's cache and kept right after writes.

Soclook allows 60 requests a minute per key, shared by the team, so handler reads are kept in
Django's cache (one cache for every worker when REDIS_URL is set) for SOCLOOK_CACHE_SECONDS:
- An account of at most 1000 handlers is fetched whole, in one request, and every page, filter
  and sort order is cut from that snapshot by the service's own rules (`readcache_rows`). A
  bigger account is cached page by page, as asked.
- A single handler comes from the snapshot or from the list page it was on, so opening the edit
  page from the list costs no request.
- Never wrong after the dashboard's own writes: entries are filed under the account's *epoch*, a
  number each accepted write moves on (services call `handler_cache_saved`, `..._deleted`,
  `..._clear`). A read notes the epoch before asking the service, so what it stores can never
  hide a write that finished meanwhile. A save, toggle or delete carries the snapshot over into
  the new epoch with that one record changed, so browsing goes on without a request. A create
  carries it over with the new record as it was sent, marked *provisional*: only the service
  knows the record's status, times and place, so the next read asks it, and the snapshot is
  there to fall back on when it cannot (a write never leaves the list worse than before).
- The list's search looks in each handler's name and, locally from the snapshot, in its
  destination as the list shows it (`HandlerType.destination`, never a secret). The service
  itself only searches names, so in a bigger account the search covers names only
  (`HandlerListPage.searched_destinations`).
- A bigger account is also kept whole in the database (handlers_app.accountcopy), read page by
  page in the background; once that copy is complete, the list is answered from it
  (`page_from_copy`), every handler filtered, searched and sorted, at no request. The first
  1000-row read that finds an account to be big is its copy's first page, never thrown away.
- Entries outlive their freshness by STALE_KEEP_SECONDS: when the request budget is spent or the
  service is down, reads (handlers_app.selectors) fall back to what the current epoch holds.
- Each read of an account whole is compared with the dashboard's last one, and what changed
  in Soclook itself is journalled (handlers_app.journal.outside).
- Cached handlers carry their secrets, so they are sealed (`crypto.seal`), as the database's
  secrets are.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache

from handlers_app import crypto
from handlers_app.accountcopy.store import (
    CopiedPage,
    copy_created,
    copy_deleted,
    copy_outdated,
    copy_saved,
)
from handlers_app.budget import BudgetState, CacheBudget, key_fingerprint
from handlers_app.clients import client_for
from handlers_app.journal.outside import outside_changes_record
from handlers_app.models import Connection
from handlers_app.readcache_rows import (
    HandlerListPage,
    Row,
    chosen_rows,
    handler_of,
    row_of,
    select_page,
)
from handlers_app.soclook import (
    RESULTS_PER_PAGE_CHOICES,
    Handler,
    HandlerPage,
    ListQuery,
)
from handlers_app.soclook.errors import NotFound, OutcomeUnknown

SNAPSHOT_SIZE = max(RESULTS_PER_PAGE_CHOICES)
# How long a cached read can still be shown, marked with its age, when no fresh one can be had.
STALE_KEEP_SECONDS = 60 * 60
# Single handlers remembered per account beyond the snapshot (bounds one cache entry's size).
_KNOWN_LIMIT = 2000


# --- keeping the cache right after writes (called by services) ---------------------------------


def handler_cache_saved(*, connection: Connection, handler: Handler, exact: bool = False) -> None:
    """Soclook accepted a save or a toggle: `handler` is the record as it now stands; `exact`
    when its times are the service's own (its answer held them), not the dashboard's guess."""
    AccountCache(connection).advance(saved=handler, exact=exact)
    copy_saved(connection, handler)


def handler_cache_created(
    *, connection: Connection, handler: Handler, provisional: bool = True
) -> None:
    """Soclook created a handler. `handler` is the record as the service answered it, or
    (`provisional`) what was sent with the id it was given: the next list then asks the service,
    which alone knows its status, times and place."""
    AccountCache(connection).advance(created=handler, provisional=provisional)
    copy_created(connection, handler)


def handler_cache_deleted(*, connection: Connection, handler_id: int) -> None:
    """The handler is gone from Soclook (deleted here, or found missing)."""
    AccountCache(connection).advance(deleted_id=handler_id)
    copy_deleted(connection, handler_id)


def handler_cache_clear(*, connection: Connection) -> None:
    """Forget the cached reads (a job ended in a worker whose cache may be its own memory).
    The stored copy of a big account is shared and patched by every write: it stays."""
    AccountCache(connection).advance()


def handler_cache_unsure(*, connection: Connection) -> None:
    """Soclook changed in a way only it knows (a write with an unknown outcome, a restore):
    the cached reads are forgotten and a big account's copy is read again."""
    AccountCache(connection).advance()
    copy_outdated(connection)


@contextmanager
def handler_cache_guard(*, connection: Connection, handler_id: int | None = None) -> Iterator[None]:
    """Around a write: when its outcome is unknown, or the handler turns out to be gone, stop
    trusting what the cache holds about it."""
    try:
        yield
    except NotFound:
        if handler_id is None:
            raise
        handler_cache_deleted(connection=connection, handler_id=handler_id)
        raise
    except OutcomeUnknown:
        handler_cache_unsure(connection=connection)
        raise


# --- the cache itself --------------------------------------------------------------------------


class _Remembered(NamedTuple):
    """A single handler remembered beyond the snapshot, and when it was fetched."""

    fetched_at: float
    row: Row


class AccountCache:
    """The cached reads of one account (one key at one address), in the current epoch.

    Entries, each sealed as JSON (`_seal`): `all:<epoch>` the snapshot {fetched_at, rows,
    touched, provisional, digest}; `page:<epoch>:<query>` a page of a big account {fetched_at,
    rows, page, per_page, total, total_pages, digest}; `known:<epoch>` single handlers
    {id: (fetched_at, row)}. `touched` lists the ids saved since the snapshot was fetched: the
    service moved their last-change time to a moment only it knows. `provisional` lists the
    handlers created since, put in as they were sent: the list is then read from the service
    again, the snapshot kept to fall back on.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.fingerprint = key_fingerprint(base_url=connection.base_url, api_key=connection.api_key)
        self.prefix = f"soclook:data:{self.fingerprint}"
        self.epoch = self._current_epoch()

    # reads

    def page(self, query: ListQuery, *, fresh_only: bool) -> HandlerListPage | None:
        snapshot = _unseal_rows(cache.get(self._key("all")))
        # Only the service knows where a saved handler now falls in last-change order.
        reordered = query.order_by == "last_datetime" and bool(snapshot and snapshot["touched"])
        if (
            snapshot is not None
            and self._usable(snapshot, fresh_only)
            and not (fresh_only and (reordered or snapshot.get("provisional")))
        ):
            return select_page(
                snapshot["rows"],
                query,
                fetched_at=snapshot["fetched_at"],
                digest=snapshot["digest"],
            )
        entry = _unseal_rows(cache.get(self._key("page", _query_key(query))))
        if entry is not None and self._usable(entry, fresh_only):
            return _entry_page(entry, query)
        if not _within_first(query):
            return None
        # The plain list's first 1000 handlers in id order hold this page.
        first = _unseal_rows(cache.get(self._key("page", _query_key(_FIRST_QUERY))))
        if first is None or not self._usable(first, fresh_only):
            return None
        cut = _cut_from_first(_entry_page(first, _FIRST_QUERY), query)
        if cut is None:
            return None
        return _as_list_page(cut, first["fetched_at"], _digest((first["digest"], query.page)))

    def page_number(self, query: ListQuery, handler_id: int) -> int | None:
        """The page of `query`'s list that holds the handler, cut from the snapshot however old;
        None when the list leaves it out or no snapshot is held (a big account)."""
        snapshot = _unseal_rows(cache.get(self._key("all")))
        if snapshot is None:
            return None
        chosen = chosen_rows(snapshot["rows"], query)
        place = next((index for index, row in enumerate(chosen) if row.id == handler_id), None)
        if place is None:
            return None
        return place // query.results_per_page + 1

    def is_whole(self) -> bool:
        """Whether the account is held whole (at most one snapshot's worth of handlers)."""
        return cache.get(self._key("all")) is not None

    def handler(self, handler_id: int, *, fresh_only: bool) -> Handler | None:
        known = _unseal_known(cache.get(self._key("known")))
        if handler_id in known:
            remembered = known[handler_id]
            if not fresh_only or self._is_fresh(remembered.fetched_at):
                return handler_of(remembered.row)
        snapshot = _unseal_rows(cache.get(self._key("all")))
        if snapshot is not None and self._usable(snapshot, fresh_only):
            provisional = fresh_only and handler_id in snapshot.get("provisional", ())
            for row in snapshot["rows"]:
                if row.id == handler_id and not provisional:
                    return handler_of(row)
        return None

    def budget_state(self) -> BudgetState:
        return CacheBudget(fingerprint=self.fingerprint).state()

    # fetching (each call is one request to the service)

    def fetch_page(
        self, query: ListQuery, *, large: bool
    ) -> tuple[HandlerListPage, HandlerPage | None]:
        """The page `query` asks for, from the service. An account not known to be `large` is
        read whole (one request, which serves every view of an account of up to 1000); when
        that read finds more, it is returned too, as the first page of the account's copy, and
        the page asked for is cut from it when it can be."""
        client = client_for(self.connection)
        first: HandlerPage | None = None
        if not large:
            whole_query = _FIRST_QUERY
            whole = client.list_handlers(whole_query)
            fetched_at = time.time()
            if whole.total <= len(whole.items):
                rows = tuple(row_of(handler) for handler in whole.items)
                snapshot = {
                    "fetched_at": fetched_at,
                    "rows": rows,
                    "touched": [],
                    "digest": _digest(rows),
                }
                cache.set(self._key("all"), _seal(snapshot), timeout=STALE_KEEP_SECONDS)
                outside_changes_record(connection=self.connection, handlers=whole.items)
                return select_page(
                    rows, query, fetched_at=fetched_at, digest=snapshot["digest"]
                ), None
            first = whole
            self._store_page(whole_query, whole, fetched_at)
            cut = _cut_from_first(whole, query)
            if cut is not None:
                digest = self._store_page(query, cut, fetched_at)
                return _as_list_page(cut, fetched_at, digest), first
        page = client.list_handlers(query)
        fetched_at = time.time()
        digest = self._store_page(query, page, fetched_at)
        listed = replace(
            _as_list_page(page, fetched_at, digest), searched_destinations=not query.search
        )
        return listed, first

    def page_from_copy(self, copied: CopiedPage, query: ListQuery) -> HandlerListPage:
        """A page cut from a big account's complete copy (handlers_app.accountcopy)."""
        return HandlerListPage(
            items=copied.items,
            page=query.page,
            per_page=query.results_per_page,
            total=copied.total,
            total_pages=math.ceil(copied.total / query.results_per_page),
            fetched_at=copied.served_at.timestamp(),
            account_types=copied.account_types,
            version=copied.version,
        )

    def remember(self, handler: Handler) -> None:
        known = _unseal_known(cache.get(self._key("known")))
        known[handler.id] = _Remembered(time.time(), row_of(handler))
        cache.set(self._key("known"), _seal(_bounded(known)), timeout=STALE_KEEP_SECONDS)

    def _store_page(self, query: ListQuery, page: HandlerPage, fetched_at: float) -> str:
        """Keep a page of a big account; return its digest."""
        rows = tuple(row_of(handler) for handler in page.items)
        entry = {
            "fetched_at": fetched_at,
            "rows": rows,
            "page": page.page,
            "per_page": page.per_page,
            "total": page.total,
            "total_pages": page.total_pages,
            "digest": _digest((rows, page.page, page.per_page, page.total, page.total_pages)),
        }
        known = _unseal_known(cache.get(self._key("known")))
        known.update((row.id, _Remembered(fetched_at, row)) for row in rows)
        cache.set_many(
            {
                self._key("page", _query_key(query)): _seal(entry),
                self._key("known"): _seal(_bounded(known)),
            },
            timeout=STALE_KEEP_SECONDS,
        )
        return entry["digest"]

    # writes

    def advance(
        self,
        *,
        saved: Handler | None = None,
        created: Handler | None = None,
        deleted_id: int | None = None,
        exact: bool = False,
        provisional: bool = True,
    ) -> None:
        """Move to a new epoch, carrying over what a save, a create or a delete leaves true."""
        epoch_key = self._key_unversioned("epoch")
        try:
            new_epoch = cache.incr(epoch_key)
        except ValueError:
            cache.add(epoch_key, time.time_ns(), timeout=None)
            return
        # Only the epoch right before ours is known to hold no write but ours; when two writes
        # race, the later one finds nothing there yet and its epoch simply starts empty.
        old_epoch = new_epoch - 1
        changed_id = saved.id if saved is not None else deleted_id
        now = time.time()
        carried: dict[str, Any] = {}
        snapshot = _unseal_rows(cache.get(self._key("all", epoch=old_epoch)))
        if snapshot is not None and created is not None:
            rows = sorted((*snapshot["rows"], row_of(created)), key=lambda row: row.id)
            kept = tuple(rows)
            unsure = {*snapshot.get("provisional", ())}
            if provisional:
                unsure.add(created.id)
            carried[self._key("all", epoch=new_epoch)] = {
                **snapshot,
                "rows": kept,
                "provisional": sorted(unsure),
                "digest": _digest(kept),
            }
        elif snapshot is not None and changed_id is not None:
            rows = [row for row in snapshot["rows"] if row.id != changed_id]
            present = len(rows) < len(snapshot["rows"])
            touched = snapshot["touched"]
            if saved is not None and present:
                rows.append(row_of(saved))
                rows.sort(key=lambda row: row.id)
                if not exact:
                    touched = sorted({*touched, saved.id})
            if saved is None or present:
                kept = tuple(rows)
                carried[self._key("all", epoch=new_epoch)] = {
                    **snapshot,
                    "rows": kept,
                    "touched": touched,
                    "digest": _digest(kept),
                }
        known = (
            _unseal_known(cache.get(self._key("known", epoch=old_epoch)))
            if changed_id is not None or created is not None
            else {}
        )
        known.pop(changed_id, None)
        if saved is not None:
            known[saved.id] = _Remembered(now, row_of(saved))
        if known:
            carried[self._key("known", epoch=new_epoch)] = known
        if carried:
            cache.set_many(
                {key: _seal(value) for key, value in carried.items()}, timeout=STALE_KEEP_SECONDS
            )

    # keys and epochs

    def _current_epoch(self) -> int:
        key = self._key_unversioned("epoch")
        epoch = cache.get(key)
        if epoch is None:
            # Never a number used before, even if the cache lost the key: old entries stay
            # out of reach.
            cache.add(key, time.time_ns(), timeout=None)
            epoch = cache.get(key)
        return epoch

    def _key(self, name: str, *rest: str, epoch: int | None = None) -> str:
        at = self.epoch if epoch is None else epoch
        return ":".join((self.prefix, name, str(at), *rest))

    def _key_unversioned(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def _usable(self, entry: dict[str, Any], fresh_only: bool) -> bool:
        return not fresh_only or self._is_fresh(entry["fetched_at"])

    @staticmethod
    def _is_fresh(fetched_at: float) -> bool:
        return time.time() - fetched_at < settings.SOCLOOK_CACHE_SECONDS


def _query_key(query: ListQuery) -> str:
    params = sorted(query.to_params().items())
    return hashlib.sha256(repr(params).encode()).hexdigest()[:32]


def _entry_page(entry: dict[str, Any], query: ListQuery) -> HandlerListPage:
    """A page of a big account as the cache kept it."""
    return HandlerListPage(
        items=tuple(handler_of(row) for row in entry["rows"]),
        page=entry["page"],
        per_page=entry["per_page"],
        total=entry["total"],
        total_pages=entry["total_pages"],
        fetched_at=entry["fetched_at"],
        version=entry["digest"],
        searched_destinations=not query.search,
    )


# The read that tells a big account from one held whole: its first 1000 handlers in id order.
_FIRST_QUERY = ListQuery(results_per_page=SNAPSHOT_SIZE)


def _within_first(query: ListQuery) -> bool:
    """Whether the account's first 1000 handlers in id order hold the page `query` asks for:
    a page of the plain list, unfiltered and in the service's own order."""
    if query.type or query.is_enabled is not None or query.search:
        return False
    if query.order_by not in (None, "notification_handler_id") or query.order_type == "DESC":
        return False
    return query.page * query.results_per_page <= SNAPSHOT_SIZE


def _cut_from_first(first: HandlerPage, query: ListQuery) -> HandlerPage | None:
    """The page `query` asks for, cut from the first read (`_within_first`)."""
    if not _within_first(query) or query.page * query.results_per_page > len(first.items):
        return None
    start = (query.page - 1) * query.results_per_page
    return HandlerPage(
        items=first.items[start : start + query.results_per_page],
        page=query.page,
        per_page=query.results_per_page,
        total=first.total,
        total_pages=math.ceil(first.total / query.results_per_page),
    )


def _bounded(known: dict[int, _Remembered]) -> dict[int, _Remembered]:
    if len(known) <= _KNOWN_LIMIT:
        return known
    newest = sorted(known.items(), key=lambda item: item[1].fetched_at)[-_KNOWN_LIMIT:]
    return dict(newest)


def _as_list_page(page: HandlerPage, fetched_at: float, digest: str) -> HandlerListPage:
    return HandlerListPage(
        items=page.items,
        page=page.page,
        per_page=page.per_page,
        total=page.total,
        total_pages=page.total_pages,
        fetched_at=fetched_at,
        version=digest,
    )


def _seal(value: object) -> str:
    """Cached handlers carry their secrets (webhook URLs, tokens), so the cache, which may be a
    shared Redis, holds them only encrypted, like the database does."""
    return crypto.seal(value)


def _unseal(sealed: object) -> Any:
    """What `_seal` stored, or None when it is missing or unreadable (say, after a key change,
    or an entry written by an older version)."""
    if not isinstance(sealed, str):
        return None
    try:
        return crypto.unseal(sealed)
    except crypto.DecryptionError:
        return None


def _unseal_rows(sealed: object) -> dict[str, Any] | None:
    """A snapshot or a page entry, its rows back as tuples."""
    entry = _unseal(sealed)
    if not isinstance(entry, dict):
        return None
    return {**entry, "rows": tuple(Row(*row) for row in entry["rows"])}


def _unseal_known(sealed: object) -> dict[int, _Remembered]:
    """The single handlers of an epoch (JSON has kept their ids as strings)."""
    known = _unseal(sealed)
    if not isinstance(known, dict):
        return {}
    return {
        int(key): _Remembered(fetched_at, Row(*row)) for key, (fetched_at, row) in known.items()
    }


def _digest(value: object) -> str:
    """A short fingerprint of cached rows: equal for equal data, whenever it was fetched."""
    plain = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(plain.encode(), digest_size=12).hexdigest()
