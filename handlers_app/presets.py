"""Saved set-ups: a handler's type and settings kept under a name in a team, to add the same
handler again in any connection the person may edit.

Reads and writes of set-ups live here; the handlers they create go through
`services.handler_create`, so each one is sent with the client and request budget of the
connection it is added to, and journalled there. Adding one to several connections is previewed
first (`setup_apply_plan`): a connection that already has a handler of the same type sending to
the same place is skipped. The set-up's own journal (saved, changed, used,
deleted) is in its team's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from handlers_app.batches import ItemOutcome, PlacePlanner, PlanItem, Target
from handlers_app.batches.creating import NewHandler, handler_create_as
from handlers_app.journal.recording import SetupState, record_setup_event, record_setup_used
from handlers_app.models import Connection, JournalAction, SavedSetup, Team
from handlers_app.secret_flow import (
    SecretsMayNotGo,
    secrets_may_go,
    secrets_send_check,
    secrets_sent_record,
)
from handlers_app.selectors import handler_places
from handlers_app.soclook import Handler, HandlerStatus
from handlers_app.soclook.errors import OutcomeUnknown, SoclookError
from handlers_app.soclook.types import NAME_MAX_LENGTH

# The most connections one "apply to several connections" adds a set-up to: each is one read
# (none while the read cache holds its handlers) and one write, made while the person waits.
APPLY_MAX_CONNECTIONS = 20
# The most handlers saved as set-ups in one step (the list's selection, `?ids=1,2,3`): each
# may be one read from the service, made while the person waits.
SAVE_MAX_HANDLERS = 25


def setup_list(*, teams: Iterable[Team]) -> QuerySet[SavedSetup]:
    return SavedSetup.objects.filter(team__in=list(teams)).select_related(
        "team", "created_by", "changed_by"
    )


def setup_as_handler(setup: SavedSetup) -> Handler:
    """The set-up as the handler form reads a stored record: its settings fill the form, its
    secrets stay on the server ("set; leave empty to keep it")."""
    return Handler(
        id=0,
        type=setup.type,
        name=setup.name,
        settings=setup.settings,
        status=HandlerStatus.ENABLED,
        created=None,
        last_changed=None,
    )


def setup_settings_with(
    *, setup: SavedSetup, type: str, submitted: Mapping[str, str]
) -> dict[str, str]:
    """The settings to send for a handler added from a set-up: what was typed, and for a secret
    left empty the set-up's (secrets are never put into the form). Another type takes nothing
    from the set-up."""
    if type != setup.type:
        return dict(submitted)
    stored = setup.settings
    return {
        field.name: submitted.get(field.name, "")
        or (stored.get(field.name, "") if field.secret else "")
        for field in setup.handler_type.fields
    }


def setup_create(
    *, team: Team, user: AbstractBaseUser, name: str, type: str, settings: Mapping[str, str]
) -> SavedSetup:
    now = timezone.now()
    setup = SavedSetup(
        team=team,
        name=name[:NAME_MAX_LENGTH],
        type=type,
        created_by=user,
        created_at=now,
        changed_by=user,
        changed_at=now,
    )
    setup.set_settings(settings)
    setup.save()
    record_setup_event(
        setup=setup, user=user, action=JournalAction.SETUP_SAVED, after=SetupState.of(setup)
    )
    return setup


def setup_update(
    *, setup: SavedSetup, user: AbstractBaseUser, name: str, settings: Mapping[str, str]
) -> SavedSetup:
    """Change a set-up's name and settings; a secret left empty keeps the stored one."""
    before = SetupState.of(setup)
    merged = {
        field.name: settings.get(field.name) or before.settings.get(field.name, "")
        for field in setup.handler_type.fields
    }
    setup.name = name[:NAME_MAX_LENGTH]
    setup.set_settings(merged)
    setup.changed_by = user
    setup.changed_at = timezone.now()
    setup.save()
    record_setup_event(
        setup=setup,
        user=user,
        action=JournalAction.SETUP_CHANGED,
        before=before,
        after=SetupState.of(setup),
    )
    return setup


def setup_delete(*, setup: SavedSetup, user: AbstractBaseUser) -> None:
    record_setup_event(setup=setup, user=user, action=JournalAction.SETUP_DELETED)
    setup.delete()


def setup_handler_added(
    *,
    setup: SavedSetup,
    connection: Connection,
    user: AbstractBaseUser,
    name: str,
    type: str,
    settings: Mapping[str, str],
) -> int:
    """Add a handler made from a set-up (with `type` and `settings` as the person left them) to
    a connection; returns its id. SecretsMayNotGo when the set-up's secrets may not go there
    (handlers_app.secret_flow); SoclookError when the service refuses it or cannot be
    reached."""
    secrets_send_check(user, source_team_id=setup.team_id, destination=connection)
    handler_id, _note = handler_create_as(
        destination=Target(connection=connection, user=user),
        new=NewHandler(name=name, type=type, settings=settings),
    )
    record_setup_used(
        setup=setup, connection=connection, user=user, handler_id=handler_id, name=name
    )
    secrets_sent_record(
        user=user,
        source_team=setup.team_id,
        destination=connection,
        what=setup.name,
        handler_type=setup.type,
    )
    return handler_id


def setup_apply_plan(
    *, setup: SavedSetup, user: AbstractBaseUser, connections: Iterable[Connection]
) -> list[PlanItem[Connection]]:
    """For each connection, whether the set-up would be added, skipped because the connection
    already has a handler of its type sending to the same place (as a copy to another
    connection decides), or not added: its secrets may not go there, or the connection's
    handlers could not be read to check. Each connection's handlers are read with its own key
    through the read cache, so a preview followed by the adding reads them once."""
    place = setup_as_handler(setup).place
    plan: list[PlanItem[Connection]] = []
    for connection in connections:
        if not secrets_may_go(user, source_team_id=setup.team_id, destination=connection):
            plan.append(PlacePlanner.refuse(connection, str(SecretsMayNotGo.message)))
            continue
        try:
            taken = handler_places(connection=connection)
        except SoclookError as exc:
            reason = _(
                "Its handlers could not be read to check, so nothing is sent to it: %(reason)s"
            ) % {"reason": exc.message}
            plan.append(PlacePlanner.refuse(connection, reason))
        else:
            plan.append(PlacePlanner(taken).decide(connection, place=place, name=setup.name))
    return plan


@dataclass(frozen=True)
class ApplyResult:
    """What became of a set-up in one connection, in the jobs' words (`ItemOutcome`): created
    as `handler_id`, skipped as already there (`same_as`), or why not (`message`)."""

    connection: Connection
    outcome: ItemOutcome
    handler_id: int | None = None
    same_as: str = ""
    message: str = ""

    @property
    def added(self) -> bool:
        return self.outcome == ItemOutcome.CREATED

    @property
    def skipped(self) -> bool:
        return self.outcome == ItemOutcome.SKIPPED


def setup_apply(
    *,
    setup: SavedSetup,
    user: AbstractBaseUser,
    plan: Iterable[PlanItem[Connection]],
    name: str,
) -> list[ApplyResult]:
    """Add the set-up to each connection the plan adds it to, one after the other; a refusal in
    one does not stop the others. The caller has checked that the person may edit each
    connection; where its secrets may go is checked again here."""
    settings = setup.settings
    results = []
    for item in plan:
        connection = item.subject
        if item.skipped:
            results.append(
                ApplyResult(
                    connection=connection, outcome=ItemOutcome.SKIPPED, same_as=item.same_as
                )
            )
            continue
        if not item.will_add:
            results.append(
                ApplyResult(connection=connection, outcome=ItemOutcome.REFUSED, message=item.reason)
            )
            continue
        try:
            handler_id = setup_handler_added(
                setup=setup,
                connection=connection,
                user=user,
                name=name,
                type=setup.type,
                settings=settings,
            )
        except SecretsMayNotGo as exc:
            results.append(
                ApplyResult(
                    connection=connection, outcome=ItemOutcome.REFUSED, message=str(exc.message)
                )
            )
        except OutcomeUnknown as exc:
            results.append(
                ApplyResult(connection=connection, outcome=ItemOutcome.UNKNOWN, message=exc.message)
            )
        except SoclookError as exc:
            results.append(
                ApplyResult(connection=connection, outcome=ItemOutcome.REFUSED, message=exc.message)
            )
        else:
            results.append(
                ApplyResult(
                    connection=connection, outcome=ItemOutcome.CREATED, handler_id=handler_id
                )
            )
    return results
