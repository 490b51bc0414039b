"""Linked set-ups: each handler added from a saved set-up remembers it (`SetupLink`), so that the
set-up's page lists where it is used and whether each handler still matches it, and after the
set-up changed, updates the handlers made from it: a job kind of handlers_app.batches
(`SetupUpdateJob`), one job per connection, each handler read again and saved through
`services.handler_update` (journalled, restorable) with the set-up's type and settings as they
are when it runs. The set-up's secrets reach another team's connection only as
handlers_app.secret_flow allows, and are journalled in the set-up's team when they do.

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
from django.utils.translation import gettext_lazy as _

from handlers_app.batches import Kind, Target, item_handler, item_settle, job_create
from handlers_app.journal.diff import Change, ChangeLine, change_lines, handler_changes
from handlers_app.journal.recording import Snapshot
from handlers_app.models import (
    Connection,
    ItemOutcome,
    Job,
    JobAction,
    JobItem,
    SavedSetup,
    SetupLink,
)
from handlers_app.secret_flow import (
    SecretsMayNotGo,
    secrets_may_go,
    secrets_send_check,
    secrets_sent_record,
)
from handlers_app.selectors import handler_all
from handlers_app.services import handler_update
from handlers_app.soclook import Handler
from handlers_app.soclook.errors import SoclookError

__all__ = [
    "SetupUpdateJob",
    "SetupUse",
    "UseState",
    "setup_differences",
    "setup_link_add",
    "setup_update_jobs_create",
    "setup_uses",
]

_NAME_LENGTH = JobItem._meta.get_field("name").max_length


_SETUP_GONE = _("The set-up was deleted before this handler's turn.")


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


def setup_update_jobs_create(
    *, setup: SavedSetup, user: AbstractBaseUser, uses: Iterable[SetupUse]
) -> list[Job]:
    """One job per connection whose handlers made from the set-up differ from it now, to be
    run by `batches.job_start()`. SecretsMayNotGo when the set-up's secrets may not go to one
    of those connections (nothing is kept then)."""
    by_connection: dict[int, list[SetupUse]] = {}
    for use in uses:
        if use.state == UseState.DIFFERS and use.handler is not None:
            by_connection.setdefault(use.link.connection_id, []).append(use)
    for differing in by_connection.values():
        secrets_send_check(user, source_team_id=setup.team_id, destination=differing[0].connection)
    return [
        job_create(
            connection=differing[0].connection,
            user=user,
            action=JobAction.SETUP_UPDATE,
            items=[
                JobItem(
                    position=position,
                    handler_id=use.link.handler_id,
                    name=use.handler.name[:_NAME_LENGTH] if use.handler else "",
                    type=setup.type,
                )
                for position, use in enumerate(differing)
            ],
            payload={"setup_id": setup.pk},
        )
        for differing in by_connection.values()
    ]


class SetupUpdateJob(Kind):
    """Bring one handler made from a set-up back in line with it (its name stays its own)."""

    def run(
        self, job: Job, item: JobItem, target: Target, *, resumed: bool, settle_only: bool
    ) -> None:
        setup = SavedSetup.objects.filter(pk=job.payload.get("setup_id")).first()
        connection = target.connection
        if setup is None:
            item_settle(item, ItemOutcome.NOT_SENT, message=_SETUP_GONE)
            return
        current = item_handler(item, target, resumed=resumed)
        if not setup_differences(handler=current, setup=setup):
            item_settle(item, ItemOutcome.DONE if resumed else ItemOutcome.UNCHANGED)
            return
        if settle_only:
            item_settle(item, ItemOutcome.NOT_SENT)
            return
        if not secrets_may_go(target.user, source_team_id=setup.team_id, destination=connection):
            item_settle(item, ItemOutcome.REFUSED, message=SecretsMayNotGo.message)
            return
        handler_update(
            connection=connection,
            user=target.user,
            current=current,
            name=current.name,
            type=setup.type,
            settings=setup.settings,
        )
        secrets_sent_record(
            user=target.user,
            source_team=setup.team_id,
            destination=connection,
            what=setup.name,
            handler_type=setup.type,
            handler_id=current.id,
        )
        item_settle(item, ItemOutcome.DONE)
