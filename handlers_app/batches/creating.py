"""Creating a handler in a connection on behalf of a job (an import's row, a copy), or of a set-up
added to connections: what to create, created with the destination's own key and budget, and
switched off at once when it must be (the service creates every handler switched on).

A create whose request was under way when its worker stopped may have reached the service:
before anything is sent again, the destination is read afresh for a handler of the same type
sending to the same place (`Handler.place`), so that none is created twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from handlers_app.batches.runner import Target, item_settle
from handlers_app.journal.recording import record_handler_created
from handlers_app.models import ItemOutcome, Job, JobItem, JournalAction, JournalEntry
from handlers_app.selectors import handler_all
from handlers_app.services import handler_create, handler_set_enabled
from handlers_app.soclook import Handler, HandlerStatus
from handlers_app.soclook.errors import SoclookError
from handlers_app.soclook.types import NAME_MAX_LENGTH, get_handler_type

__all__ = ["NewHandler", "handler_create_as", "new_handler_send"]


@dataclass(frozen=True)
class NewHandler:
    """A handler to create: its settings (secrets included) only ever on the server."""

    name: str
    type: str
    settings: Mapping[str, str] = field(repr=False)
    enabled: bool = True

    @classmethod
    def of(cls, handler: Handler) -> NewHandler:
        return cls(
            name=handler.name,
            type=handler.type,
            settings=dict(handler.settings),
            enabled=handler.is_enabled,
        )

    @property
    def place(self) -> tuple[str, str]:
        """Where it would send, as `Handler.place` says it."""
        handler_type = get_handler_type(self.type, settings_keys=self.settings)
        return self.type, handler_type.destination_key(self.settings)


def handler_create_as(*, destination: Target, new: NewHandler) -> tuple[int, str]:
    """Create `new` in the target's connection as its person, switched off when it must be;
    returns the new id and a note for the person when it could not be switched off. Raises
    SoclookError when it was not created (or may not have been: OutcomeUnknown)."""
    new_id = handler_create(
        connection=destination.connection,
        user=destination.user,
        name=new.name,
        type=new.type,
        settings=new.settings,
    )
    if new.enabled:
        return new_id, ""
    created = Handler(
        id=new_id,
        type=new.type,
        name=new.name[:NAME_MAX_LENGTH],
        settings=dict(new.settings),
        status=HandlerStatus.ENABLED,
        created=None,
        last_changed=None,
    )
    return new_id, _switch_off(destination, created)


def _switch_off(destination: Target, created: Handler) -> str:
    # It must not start sending, but it exists either way: a refusal (the rate limit included)
    # is reported, not tried again.
    try:
        handler_set_enabled(
            connection=destination.connection,
            user=destination.user,
            current=created,
            enabled=False,
        )
    except SoclookError as exc:
        return _("Added, but it could not be switched off: %(reason)s") % {"reason": exc.message}
    return ""


def new_handler_send(
    job: Job, item: JobItem, target: Target, new: NewHandler, *, resumed: bool, settle_only: bool
) -> None:
    """Create one job item's handler and settle the item (see `Kind.run`)."""
    if resumed:
        made = _made(target, new)
        if made is not None and made.name == new.name[:NAME_MAX_LENGTH]:
            note = _made_settle(target, new, made=made, since=job.created_at)
            item_settle(item, ItemOutcome.CREATED, message=note, **_made_as(item, made.id))
            return
        if made is not None:
            item_settle(item, ItemOutcome.SKIPPED, same_as=made.name[:NAME_MAX_LENGTH])
            return
        if settle_only:
            item_settle(item, ItemOutcome.NOT_SENT)
            return
    new_id, note = handler_create_as(destination=target, new=new)
    item_settle(item, ItemOutcome.CREATED, message=note, **_made_as(item, new_id))


def _made_as(item: JobItem, new_id: int) -> dict[str, int]:
    """An item that names no handler yet (an import's row) keeps the id of the one it made; a
    copy's item keeps naming its source."""
    return {"handler_id": new_id} if item.handler_id is None else {}


def _made(target: Target, new: NewHandler) -> Handler | None:
    """The destination's handler of the type of `new` sending to the same place, read afresh
    from the service (a cached read could predate the create); the one bearing its name first."""
    place = new.place
    fresh = handler_all(connection=target.connection, fresh=True)
    same_place = [h for h in fresh if h.place == place]
    named = [h for h in same_place if h.name == new.name[:NAME_MAX_LENGTH]]
    return (named or same_place or [None])[0]


def _made_settle(target: Target, new: NewHandler, *, made: Handler, since: datetime) -> str:
    """Finish a create found made after its worker stopped: journalled once, switched off when
    it must be. Returns a note for the person, as `handler_create_as` does."""
    journalled = JournalEntry.objects.filter(
        connection=target.connection,
        handler_id=made.id,
        action=JournalAction.HANDLER_CREATED,
        created_at__gte=since,
    ).exists()
    if not journalled:
        record_handler_created(
            connection=target.connection,
            user=target.user,
            handler_id=made.id,
            name=made.name,
            type=made.type,
            settings=made.settings,
        )
    if new.enabled or not made.is_enabled:
        return ""
    return _switch_off(target, made)
