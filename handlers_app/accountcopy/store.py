"""The stored copy of an account bigger than one snapshot of the read cache.

Soclook lists at most 1000 handlers a request and searches names only, so an account of 20 000
would cost a request for every page, filter and order asked, and could never be searched by
destination. The dashboard therefore keeps such an account whole in the database, read page by
page in the background (`copy_read_page`, one request a page), and answers the list from it
(`copy_select`) with SQL: a page, a filter, a search or an order over 20 000 handlers costs a
few indexed queries and the decryption of the rows shown, never the whole account in memory.

What is stored in clear, and what is not: a row keeps plain only what the list shows anyway, the
type, the status, the times, the name and the destination as the list shows it
(`HandlerType.destination`: an address's host, an ID's last characters, never more of a secret);
that is what a search looks in, as it does for a small account. The whole record, secrets
included, is sealed (`crypto.seal`) like every other stored secret. A secret's full value is not
searchable at all, not even by a keyed hash: an exact match would let anyone who can read the
list confirm a guessed webhook address or token.

A read fills a generation of rows of its own, out of sight until its last page is stored; the
list meanwhile shows the last complete read (or, before the first one completes, pages asked
from the service) and says how far the read has come (`Coverage`). Writes made through the
dashboard patch both (`copy_saved`, `copy_created`, `copy_deleted`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from handlers_app import crypto
from handlers_app.accountcopy.models import AccountCopy, CopiedHandler, CopiedRecord
from handlers_app.budget import key_fingerprint
from handlers_app.clients import client_for
from handlers_app.models import Connection
from handlers_app.soclook import Handler, HandlerPage, HandlerStatus, ListQuery
from handlers_app.soclook.types import get_handler_type

__all__ = [
    "COPY_PAGE_SIZE",
    "COPY_REREAD_SECONDS",
    "CopiedPage",
    "Coverage",
    "copy_begin",
    "copy_coverage",
    "copy_created",
    "copy_deleted",
    "copy_for",
    "copy_forget",
    "copy_outdated",
    "copy_page_number",
    "copy_read_page",
    "copy_saved",
    "copy_select",
    "copy_store_page",
    "copy_wants_reading",
]

# Soclook's largest page: the copy is read in as few requests as the service allows.
COPY_PAGE_SIZE = 1000
# A complete copy older than this is read again on the next view (changes made outside the
# dashboard show up by then); the list shows the old one meanwhile, with its age.
COPY_REREAD_SECONDS = 15 * 60


@dataclass(frozen=True, slots=True)
class Coverage:
    """How much of a large account the list's copy holds, for the list to say."""

    # Handlers of the complete read the list shows (0 before the first read completes), and
    # when that read began (None before).
    served: int
    served_at: datetime | None
    # Whether a read is under way; if so, the handlers it has read so far, and how many the
    # service counts (as the last read found them until its first page is in).
    reading: bool
    read: int
    total: int

    @property
    def complete(self) -> bool:
        return self.served_at is not None


@dataclass(frozen=True, slots=True)
class CopiedPage:
    """A page of the list, cut from a complete copy."""

    items: tuple[Handler, ...]
    total: int
    account_types: tuple[str, ...]
    version: str
    served_at: datetime


# --- which copy -------------------------------------------------------------------------------


def copy_for(connection: Connection, *, fingerprint: str | None = None) -> AccountCopy | None:
    """The connection's copy, if it was read with its present key and address (`fingerprint`,
    budget.key_fingerprint, when the caller has it already)."""
    found = AccountCopy.objects.filter(connection=connection).first()
    if found is None:
        return None
    if found.fingerprint != (fingerprint or _fingerprint(connection)):
        # Another key or another address: another account, whose rows must never show here.
        found.delete()
        return None
    return found


def copy_forget(connection: Connection) -> None:
    """The account turned out to fit one snapshot: the read cache holds it whole again."""
    AccountCopy.objects.filter(connection=connection).delete()


def copy_coverage(copy: AccountCopy) -> Coverage:
    reading = copy.reading is not None
    read = 0
    if reading:
        read = CopiedHandler.objects.filter(copy=copy, generation=copy.reading).count()
    served = copy.served_total if copy.served is not None else 0
    return Coverage(
        served=served,
        served_at=copy.served_from if copy.served is not None else None,
        reading=reading,
        read=read,
        total=(copy.total or served) if reading else 0,
    )


def copy_wants_reading(copy: AccountCopy, *, now: datetime | None = None) -> bool:
    """Whether a complete copy should be read again: Soclook changed in a way only it knows, or
    the copy is older than COPY_REREAD_SECONDS."""
    if copy.served_from is None:
        return False
    now = now or timezone.now()
    return copy.outdated or now - copy.served_from > timedelta(seconds=COPY_REREAD_SECONDS)


# --- reading ----------------------------------------------------------------------------------


def copy_begin(connection: Connection) -> AccountCopy:
    """Begin a new read of the account (the rows of an unfinished one are dropped)."""
    with transaction.atomic():
        copy, _ = AccountCopy.objects.select_for_update().get_or_create(
            connection=connection, defaults={"fingerprint": _fingerprint(connection)}
        )
        if copy.reading is not None:
            CopiedHandler.objects.filter(copy=copy, generation=copy.reading).delete()
        copy.last_generation += 1
        copy.reading = copy.last_generation
        copy.reading_from = timezone.now()
        copy.pages_read = 0
        copy.total = 0
        copy.outdated = False
        copy.save()
    return copy


def copy_read_page(copy: AccountCopy, *, connection: Connection, number: int) -> bool:
    """Read page `number` (of COPY_PAGE_SIZE handlers, in id order) into the read under way:
    one request. True when it was the last page, and the read is complete."""
    page = client_for(connection).list_handlers(
        ListQuery(page=number, results_per_page=COPY_PAGE_SIZE)
    )
    return copy_store_page(copy, page)


def copy_store_page(copy: AccountCopy, page: HandlerPage) -> bool:
    """Store a page read from the service into the read under way; complete the read when it
    was the last page. True when it was (or the read is gone: there is nothing more to read)."""
    with transaction.atomic():
        current = AccountCopy.objects.select_for_update().filter(pk=copy.pk).first()
        if current is None or current.reading != copy.reading:
            # Another read began meanwhile (a Refresh): this one's pages are not wanted.
            return True
        _upsert(current, current.reading, page.items)
        current.pages_read = max(current.pages_read, page.page)
        current.total = page.total
        last = page.page >= page.total_pages
        if last:
            _complete(current)
        current.save()
    for field in AccountCopy._meta.concrete_fields:
        setattr(copy, field.attname, getattr(current, field.attname))
    if last and copy.served_total <= COPY_PAGE_SIZE:
        # The account shrank to what one request reads whole: the read cache holds it again.
        AccountCopy.objects.filter(pk=copy.pk).delete()
    return last


def _complete(copy: AccountCopy) -> None:
    """The read under way is whole: show it, drop the one it replaces."""
    for model in (CopiedHandler, CopiedRecord):
        model.objects.filter(copy=copy).exclude(generation=copy.reading).delete()
    rows = CopiedHandler.objects.filter(copy=copy)
    copy.served = copy.reading
    copy.served_total = rows.count()
    copy.types = sorted(rows.order_by().values_list("type", flat=True).distinct())
    copy.served_from = copy.reading_from
    copy.reading = None
    copy.reading_from = None
    copy.revision += 1


# --- writes made through the dashboard ------------------------------------------------------


def copy_saved(connection: Connection, handler: Handler) -> None:
    """Soclook accepted a save or a toggle: the copy's row shows the record as it now stands."""
    copy = copy_for(connection)
    if copy is None:
        return
    where = {"copy": copy, "generation__in": _generations(copy), "handler_id": handler.id}
    with transaction.atomic():
        changed = CopiedHandler.objects.filter(**where).update(**_row_values(handler))
        CopiedRecord.objects.filter(**where).update(sealed=_sealed(handler))
        if changed:
            AccountCopy.objects.filter(pk=copy.pk).update(revision=F("revision") + 1)


def copy_created(connection: Connection, handler: Handler) -> None:
    """Soclook created a handler: it joins the copy (and the read under way)."""
    copy = copy_for(connection)
    if copy is None:
        return
    with transaction.atomic():
        for generation in _generations(copy):
            _upsert(copy, generation, [handler])
        if copy.served is not None:
            served = CopiedHandler.objects.filter(copy=copy, generation=copy.served).count()
            types = sorted({*copy.types, handler.type})
            AccountCopy.objects.filter(pk=copy.pk).update(
                served_total=served, types=types, revision=F("revision") + 1
            )


def copy_deleted(connection: Connection, handler_id: int) -> None:
    """The handler is gone from Soclook."""
    copy = copy_for(connection)
    if copy is None:
        return
    with transaction.atomic():
        deleted, _ = CopiedHandler.objects.filter(copy=copy, handler_id=handler_id).delete()
        CopiedRecord.objects.filter(copy=copy, handler_id=handler_id).delete()
        if deleted and copy.served is not None:
            served = CopiedHandler.objects.filter(copy=copy, generation=copy.served).count()
            AccountCopy.objects.filter(pk=copy.pk).update(
                served_total=served, revision=F("revision") + 1
            )


def copy_outdated(connection: Connection) -> None:
    """Soclook changed in a way only it knows (a write whose outcome is unknown, a restore):
    the copy is read again on the next view, and shown meanwhile."""
    AccountCopy.objects.filter(connection=connection).update(outdated=True)


def _generations(copy: AccountCopy) -> list[int]:
    return [number for number in (copy.served, copy.reading) if number is not None]


def _upsert(copy: AccountCopy, generation: int, handlers: Sequence[Handler]) -> None:
    unique = ["copy", "generation", "handler_id"]
    CopiedHandler.objects.bulk_create(
        [
            CopiedHandler(copy=copy, generation=generation, handler_id=h.id, **_row_values(h))
            for h in handlers
        ],
        update_conflicts=True,
        unique_fields=unique,
        update_fields=list(_ROW_FIELDS),
    )
    CopiedRecord.objects.bulk_create(
        [
            CopiedRecord(copy=copy, generation=generation, handler_id=h.id, sealed=_sealed(h))
            for h in handlers
        ],
        update_conflicts=True,
        unique_fields=unique,
        update_fields=["sealed"],
    )


_ROW_FIELDS = ("type", "status", "name_folded", "created", "last_changed", "searched")


def _row_values(handler: Handler) -> dict[str, Any]:
    destination = get_handler_type(handler.type, settings_keys=handler.settings).destination(
        handler.settings
    )
    return {
        "type": handler.type,
        "status": int(handler.status),
        "name_folded": handler.name.casefold(),
        "created": _iso(handler.created) or "",
        "last_changed": _iso(handler.last_changed) or "",
        "searched": f"{handler.name}\n{destination}".casefold(),
    }


def _sealed(handler: Handler) -> str:
    return crypto.seal(
        {
            "id": handler.id,
            "type": handler.type,
            "name": handler.name,
            "settings": dict(handler.settings),
            "status": int(handler.status),
            "created": _iso(handler.created),
            "last_changed": _iso(handler.last_changed),
            "email_confirmed": handler.email_confirmed,
        }
    )


def _handler(record: dict[str, Any]) -> Handler:
    return Handler(
        id=record["id"],
        type=record["type"],
        name=record["name"],
        settings=MappingProxyType(dict(record["settings"])),
        status=HandlerStatus(record["status"]),
        created=_from_iso(record["created"]),
        last_changed=_from_iso(record["last_changed"]),
        email_confirmed=record["email_confirmed"],
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _from_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


# --- the list, from the copy -----------------------------------------------------------------


def copy_select(copy: AccountCopy, query: ListQuery) -> CopiedPage | None:
    """The page `query` asks for, by the service's own rules (as readcache_rows.select_page),
    from the complete copy; None when there is none yet, or a row can no longer be read (a
    changed encryption key).

    The narrow rows choose and order the page's handlers (one count, one query for the ids);
    only their records are then read and decrypted."""
    if copy.served is None or copy.served_from is None:
        return None
    every = CopiedHandler.objects.filter(copy=copy, generation=copy.served)
    ordered = _ordered(_filtered(every, query), query).values_list("handler_id", flat=True)
    start = (query.page - 1) * query.results_per_page
    end = start + query.results_per_page
    if query.search:
        # One pass through the rows (a search cannot use an index) gives the count and the page.
        every_id = list(ordered)
        total, ids = len(every_id), every_id[start:end]
    else:
        filtered = query.type or query.is_enabled is not None
        total = ordered.count() if filtered else copy.served_total
        ids = list(ordered[start:end])
    records = dict(
        CopiedRecord.objects.filter(
            copy=copy, generation=copy.served, handler_id__in=ids
        ).values_list("handler_id", "sealed")
    )
    try:
        items = tuple(_handler(crypto.unseal(records[handler_id])) for handler_id in ids)
    except (KeyError, crypto.DecryptionError):
        return None
    return CopiedPage(
        items=items,
        total=total,
        account_types=tuple(copy.types),
        version=_version(copy, [records[handler_id] for handler_id in ids]),
        served_at=copy.served_from,
    )


def copy_page_number(copy: AccountCopy, query: ListQuery, handler_id: int) -> int | None:
    """The page of `query`'s list that holds the handler, counted in the complete copy; None
    when its filters leave it out, or there is no complete copy."""
    if copy.served is None:
        return None
    chosen = _filtered(CopiedHandler.objects.filter(copy=copy, generation=copy.served), query)
    row = chosen.filter(handler_id=handler_id).values(*_ORDER_COLUMNS.values()).first()
    if row is None:
        return None
    column = _ORDER_COLUMNS.get(query.order_by or "")
    before = "gt" if query.order_type == "DESC" else "lt"
    earlier = Q(**{f"handler_id__{before}": handler_id})
    if column is not None:
        earlier = Q(**{f"{column}__{before}": row[column]}) | (Q(**{column: row[column]}) & earlier)
    return chosen.filter(earlier).count() // query.results_per_page + 1


# The columns the list sorts by, by the service's name of the order.
_ORDER_COLUMNS = {"name": "name_folded", "datetime": "created", "last_datetime": "last_changed"}


def _filtered(rows: QuerySet[CopiedHandler], query: ListQuery) -> QuerySet[CopiedHandler]:
    if query.type:
        rows = rows.filter(type=query.type)
    if query.is_enabled is not None:
        rows = rows.filter(status=query.is_enabled)
    if query.search:
        rows = rows.filter(searched__contains=query.search.casefold())
    return rows


def _ordered(rows: QuerySet[CopiedHandler], query: ListQuery) -> QuerySet[CopiedHandler]:
    """Names case-insensitively, missing times first when ascending, ties by id; DESC reverses
    it all."""
    descending = query.order_type == "DESC"
    column = _ORDER_COLUMNS.get(query.order_by or "")
    order = [column] if column is not None else []
    order.append("handler_id")
    return rows.order_by(*(f"-{name}" if descending else name for name in order))


def _version(copy: AccountCopy, sealed: Sequence[str]) -> str:
    """Changes whenever the rows shown may have: a new read, a write, another page."""
    digest = hashlib.blake2b(digest_size=12)
    for token in sealed:
        digest.update(token.encode())
    return f"copy:{copy.served}:{copy.revision}:{digest.hexdigest()}"


def _fingerprint(connection: Connection) -> str:
    return key_fingerprint(base_url=connection.base_url, api_key=connection.api_key)
