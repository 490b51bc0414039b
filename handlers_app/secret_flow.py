"""Where a stored secret may go: one rule, called by every path that puts a stored secret
(a webhook address, a bot token, X's keys) into a request to another connection or into a file.

A secret stored for team T (in a handler of one of T's connections, or in one of T's saved
set-ups) reaches a connection of another team, or a file, only by an owner of T; within T,
editors may use it. Every time a secret leaves its team, T's journal says which handler or
set-up, to which connection of which team, and who sent it: T's owners can always tell where
their secrets went.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from handlers_app.journal.recording import record_secrets_sent
from handlers_app.models import Connection, Membership, Role, Team

__all__ = [
    "SecretsMayNotGo",
    "secrets_may_go",
    "secrets_may_leave",
    "secrets_send_check",
    "secrets_sent_record",
]

type Person = AbstractBaseUser | AnonymousUser


class SecretsMayNotGo(PermissionDenied):
    """The person may not take these secrets out of their team."""

    message = _(
        "Only an owner of the team these settings belong to may add them to another team's "
        "connection, since they carry its secrets."
    )


def _role_in(user: Person, team_id: int) -> Role | None:
    role = Membership.objects.filter(user_id=user.pk, team_id=team_id).values_list(
        "role", flat=True
    )
    found = role.first()
    return Role(found) if found else None


def secrets_may_go(user: Person, *, source_team_id: int, destination: Connection | None) -> bool:
    """Whether `user` may put secrets stored for `source_team_id` into `destination` (None: a
    file). Within the team an editor may; anywhere else only an owner of the source team."""
    if destination is not None and destination.team_id == source_team_id:
        role = _role_in(user, source_team_id)
        return role is not None and role.allows(Role.EDITOR)
    return secrets_may_leave(user, team_id=source_team_id)


def secrets_may_leave(user: Person, *, team_id: int) -> bool:
    """Whether `user` may take the team's secrets out of it: to another team's connection or
    into a file. Only its owners may."""
    role = _role_in(user, team_id)
    return role is not None and role.allows(Role.OWNER)


def secrets_send_check(
    user: Person, *, source_team_id: int, destination: Connection | None
) -> None:
    """SecretsMayNotGo unless `secrets_may_go` holds."""
    if not secrets_may_go(user, source_team_id=source_team_id, destination=destination):
        raise SecretsMayNotGo


def secrets_sent_record(
    *,
    user: Person,
    source_team: Team | int,
    destination: Connection,
    what: str,
    handler_type: str = "",
    source_connection: Connection | None = None,
    handler_id: int | None = None,
) -> None:
    """Journal, in the source team, secrets that left it for another team's connection: `what`
    names the handler or set-up they came from. Nothing is journalled within the team (the
    handler's own entries say it all)."""
    team_id = source_team if isinstance(source_team, int) else source_team.pk
    if destination.team_id == team_id:
        return
    record_secrets_sent(
        team_id=team_id,
        user=user,
        source_connection=source_connection,
        what=what,
        handler_type=handler_type,
        handler_id=handler_id,
        destination=destination,
    )
