"""Authorization in one place: every view asks here for what it may touch.

A person outside a team gets 404 (no hint the object exists); a member without the role gets 403.
Both happen before any request to the Soclook API.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import Http404

from handlers_app.models import Connection, Membership, Role, SavedSetup, Team


@dataclass(frozen=True)
class ConnectionAccess:
    connection: Connection
    membership: Membership

    @property
    def role(self) -> Role:
        return self.membership.role_enum

    @property
    def can_edit(self) -> bool:
        return self.role.allows(Role.EDITOR)

    @property
    def can_manage(self) -> bool:
        return self.role.allows(Role.OWNER)


def memberships_of(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Membership]:
    return Membership.objects.filter(user_id=user.pk).select_related("team")


def connection_for(
    user: AbstractBaseUser | AnonymousUser, connection_id: int, *, role: Role = Role.VIEWER
) -> ConnectionAccess:
    # One query answers both "does it exist" and "is this person in its team": every page asks.
    connection = (
        Connection.objects.select_related("team")
        .filter(pk=connection_id, team__memberships__user_id=user.pk)
        .annotate(member_id=F("team__memberships__id"), member_role=F("team__memberships__role"))
        .first()
    )
    if connection is None:
        raise Http404
    membership = Membership(
        id=connection.member_id,
        user_id=user.pk,
        team=connection.team,
        role=connection.member_role,
    )
    if not membership.allows(role):
        raise PermissionDenied
    return ConnectionAccess(connection=connection, membership=membership)


def team_for(
    user: AbstractBaseUser | AnonymousUser, team_id: int, *, role: Role = Role.VIEWER
) -> tuple[Team, Membership]:
    membership = Membership.objects.select_related("team").filter(user_id=user.pk, team_id=team_id)
    found = membership.first()
    if found is None:
        raise Http404
    if not found.allows(role):
        raise PermissionDenied
    return found.team, found


def teams_where(user: AbstractBaseUser | AnonymousUser, *, role: Role) -> list[Team]:
    return [m.team for m in memberships_of(user) if m.allows(role)]


def copy_destinations(
    user: AbstractBaseUser | AnonymousUser, source: ConnectionAccess
) -> QuerySet[Connection]:
    """The connections `user` may copy the handlers of `source` to: those they may edit, but
    another team's only where the handlers' secrets may go (handlers_app.secret_flow: an owner
    of the source's team decides where the team's secrets may go)."""
    from handlers_app.secret_flow import secrets_may_leave

    allowed = [role for role in Role if role.allows(Role.EDITOR)]
    found = Connection.objects.filter(
        team__memberships__user_id=user.pk, team__memberships__role__in=allowed
    ).exclude(pk=source.connection.pk)
    if not secrets_may_leave(user, team_id=source.connection.team_id):
        found = found.filter(team_id=source.connection.team_id)
    return found.select_related("team").order_by("team__name", "name", "pk")


def copy_destination_for(
    user: AbstractBaseUser, *, source_id: int, destination_id: int | None
) -> Connection | None:
    """The destination of a copy from `source_id`, while `user` may still copy there (an editor
    of the source, and of the destination as `copy_destinations` says); None otherwise."""
    try:
        source = connection_for(user, source_id, role=Role.EDITOR)
    except (Http404, PermissionDenied):
        return None
    return copy_destinations(user, source).filter(pk=destination_id).first()


def setup_for(
    user: AbstractBaseUser | AnonymousUser, setup_id: int, *, role: Role = Role.EDITOR
) -> tuple[SavedSetup, Membership]:
    """A saved set-up of one of the person's teams: 404 outside the team, 403 without `role`."""
    setup = SavedSetup.objects.select_related("team").filter(pk=setup_id).first()
    if setup is None:
        raise Http404
    _team, membership = team_for(user, setup.team_id, role=role)
    return setup, membership


def connections_where(user: AbstractBaseUser | AnonymousUser, *, role: Role) -> list[Connection]:
    """Every connection, in any of the person's teams, where they have `role`."""
    team_ids = [team.pk for team in teams_where(user, role=role)]
    return list(Connection.objects.select_related("team").filter(team_id__in=team_ids))
