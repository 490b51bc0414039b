"""Reusing a set-up: duplicate a handler in its connection, copy handlers to another connection.

Secrets travel only on the server: a duplicate's empty secret fields are filled in from the
source here, and a copy reads the source's records and writes them with the destination's own
client, so each request counts against the budget of the key it is sent with. A copy to another
team's connection carries the handlers' secrets out of their team: handlers_app.secret_flow
decides who may, and journals it in the source team.

A copy skips a handler when the destination already has one of the same type sending to the
same place (`Handler.place`, batches.PlacePlanner), so copying twice creates nothing the second
time. It runs as a job of handlers_app.batches (`CopyKind`): a few handlers while the person
waits, more in the background.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from handlers_app.access import copy_destination_for
from handlers_app.batches import (
    MAX_SELECTED,
    Kind,
    PlacePlanner,
    PlanItem,
    Target,
    job_create,
    job_item_of,
)
from handlers_app.batches.creating import NewHandler, new_handler_send
from handlers_app.models import Connection, ItemOutcome, Job, JobAction, JobItem, StopReason
from handlers_app.secret_flow import secrets_sent_record
from handlers_app.selectors import handler_all, handler_places
from handlers_app.services import handler_create, merged_settings
from handlers_app.soclook import Handler
from handlers_app.soclook.errors import NotFound
from handlers_app.soclook.types import NAME_MAX_LENGTH

__all__ = [
    "CopyKind",
    "copy_job_create",
    "copy_plan",
    "duplicate_name",
    "handler_duplicate",
]

_NAME_LENGTH = JobItem._meta.get_field("name").max_length


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
    """Create a copy of `source` in its connection; a secret left empty is the source's (the
    secrets stay in the team, where its editors may use them)."""
    full = merged_settings(current=source, type=source.type, submitted=settings)
    return handler_create(
        connection=connection, user=user, name=name, type=source.type, settings=full
    )


# Why a handler of a type the dashboard only displays is not copied: the service lists such
# handlers but does not create new ones through its API.
NOT_CREATABLE = gettext_lazy(
    "The dashboard only shows handlers of this type: Soclook does not take new ones through its "
    "API, so it is not copied."
)


def copy_plan(*, sources: list[Handler], destination: Connection) -> list[PlanItem[Handler]]:
    """What a copy of `sources` to `destination` would create, what it would skip, and what it
    cannot create at all (a type the dashboard only displays): nothing is sent for those."""
    planner: PlacePlanner[Handler] = PlacePlanner(handler_places(connection=destination))
    return [
        planner.decide(h, place=h.place, name=h.name)
        if h.handler_type.is_known
        else PlacePlanner.refuse(h, str(NOT_CREATABLE))
        for h in sources
    ]


def copy_job_create(
    *,
    source: Connection,
    destination: Connection,
    user: AbstractBaseUser,
    plan: Sequence[PlanItem[Handler]],
) -> Job:
    """Keep a copy a person confirmed (`copy_plan`), to be run by `batches.job_start()`: the
    skipped handlers are settled at once, with the reason."""
    return job_create(
        connection=source,
        destination=destination,
        user=user,
        action=JobAction.COPY,
        items=(
            job_item_of(
                item.subject,
                position=position,
                outcome=_first_outcome(item),
                message=item.reason,
                same_as=item.same_as[:_NAME_LENGTH],
                same_in_selection=item.same_in_selection,
            )
            for position, item in enumerate(plan[:MAX_SELECTED])
        ),
    )


def _first_outcome(item: PlanItem[Handler]) -> ItemOutcome:
    """A planned copy waits to be sent; a skipped or refused one is settled from the start."""
    if item.skipped:
        return ItemOutcome.SKIPPED
    return ItemOutcome.PENDING if item.will_add else ItemOutcome.REFUSED


class CopyKind(Kind):
    """Copy one handler of the job's connection to its destination, with the destination's key
    and budget, switched off when the source is."""

    def target(self, job: Job) -> Target | StopReason:
        """The destination, while the person who started it may still copy there (the right
        to take these secrets there included)."""
        if job.destination_id is None:
            return StopReason.DESTINATION_GONE
        user = job.created_by
        if user is None:
            return StopReason.NO_PERMISSION
        destination = copy_destination_for(
            user, source_id=job.connection_id, destination_id=job.destination_id
        )
        if destination is None:
            return StopReason.NO_COPY_PERMISSION
        return Target(connection=destination, user=user)

    def run(
        self, job: Job, item: JobItem, target: Target, *, resumed: bool, settle_only: bool
    ) -> None:
        source = copy_source(connection=job.connection, handler_id=item.handler_id)
        new_handler_send(
            job, item, target, NewHandler.of(source), resumed=resumed, settle_only=settle_only
        )
        if item.outcome == ItemOutcome.CREATED:
            secrets_sent_record(
                user=target.user,
                source_team=job.connection.team_id,
                destination=target.connection,
                what=source.name,
                handler_type=source.type,
                source_connection=job.connection,
                handler_id=source.id,
            )


def copy_source(*, connection: Connection, handler_id: int) -> Handler:
    """The handler to copy as the source account holds it now, read through the cache: a copy
    of many handlers costs the source a read of its list now and then, not one per handler.
    Raises NotFound when it no longer exists."""
    for handler in handler_all(connection=connection):
        if handler.id == handler_id:
            return handler
    raise NotFound
