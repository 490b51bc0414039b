"""Linked set-ups: each handler added from a saved set-up remembers it (`SetupLink`), so that the
set-up's page lists where it is used and whether each handler still matches it.

A handler matches its set-up while it has the set-up's type and, field by field, its settings
(its name is the person's to choose). Each connection's handlers are read once, through the read
cache, with that connection's own key; only connections the person may see are read and listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from handlers_app.journal.diff import Change, ChangeLine, change_lines, handler_changes
from handlers_app.journal.recording import Snapshot
from handlers_app.models import Connection, SavedSetup, SetupLink
from handlers_app.selectors import handler_all
from handlers_app.soclook import Handler
from handlers_app.soclook.errors import SoclookError

__all__ = ["SetupUse", "UseState", "setup_differences", "setup_link_add", "setup_uses"]


class UseState(StrEnum):
    MATCHES = "matches"
    DIFFERS = "differs"
    GONE = "gone"
    UNREAD = "unread"


@dataclass(frozen=True)
class SetupUse:
    """One handler made from the set-up: how it stands against it. `differences` says what an
    update from the set-up would change (secrets only as changed); `handler` is None when it is
    gone or could not be read (`error`)."""

    link: SetupLink
    state: UseState
    handler: Handler | None = None
    differences: tuple[ChangeLine, ...] = ()
    error: str = ""

    @property
    def connection(self) -> Connection:
        return self.link.connection


def setup_link_add(
    *, setup: SavedSetup, connection: Connection, handler_id: int, user: AbstractBaseUser | None
) -> None:
    """Remember that the handler was made from the set-up."""
    try:
        with transaction.atomic():
            SetupLink.objects.create(
                setup=setup, connection=connection, handler_id=handler_id, created_by=user
            )
    except IntegrityError:
        pass  # Already remembered.


def setup_uses(*, setup: SavedSetup, connections: Iterable[Connection]) -> list[SetupUse]:
    """The handlers made from the set-up in `connections` (those the person may see), each
    against the set-up as it now is. crypto.DecryptionError when the set-up cannot be read."""
    visible = {connection.pk: connection for connection in connections}
    links = [
        link
        for link in SetupLink.objects.filter(setup=setup, connection_id__in=list(visible))
        .select_related("connection", "connection__team")
        .order_by("connection__team__name", "connection__name", "handler_id")
    ]
    read: dict[int, dict[int, Handler] | str] = {}
    uses = []
    for link in links:
        if link.connection_id not in read:
            try:
                handlers = handler_all(connection=link.connection)
            except SoclookError as exc:
                read[link.connection_id] = exc.message
            else:
                read[link.connection_id] = {handler.id: handler for handler in handlers}
        found = read[link.connection_id]
        if isinstance(found, str):
            uses.append(SetupUse(link=link, state=UseState.UNREAD, error=found))
            continue
        handler = found.get(link.handler_id)
        if handler is None:
            uses.append(SetupUse(link=link, state=UseState.GONE))
            continue
        differences = tuple(change_lines(setup_differences(handler=handler, setup=setup)))
        state = UseState.DIFFERS if differences else UseState.MATCHES
        uses.append(SetupUse(link=link, state=state, handler=handler, differences=differences))
    return uses


def setup_differences(*, handler: Handler, setup: SavedSetup) -> list[Change]:
    """What an update from the set-up would change in the handler: its type and settings (its
    name and status are its own)."""
    now = Snapshot(id=handler.id, type=handler.type, name=handler.name, settings=handler.settings)
    wanted = replace(now, type=setup.type, settings=setup.settings)
    return handler_changes(now, wanted)
