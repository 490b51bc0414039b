"""Writes: everything that changes the dashboard's data or a Soclook account goes through here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from handlers_app.models import Connection, Membership, Role, Team
from handlers_app.selectors import client_for
from handlers_app.soclook.client import Handler, HandlerStatus, ListQuery
from handlers_app.soclook.errors import BadKey, SoclookError, Unavailable
from handlers_app.soclook.types import get_handler_type


class ConnectionCheckFailed(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def connection_check(*, connection: Connection) -> None:
    """Try the key with one small list call; remember the outcome on the connection.

    Raises ConnectionCheckFailed with a message a person can act on.
    """
    try:
        client_for(connection).list_handlers(ListQuery(results_per_page=10))
    except BadKey:
        message = _(
            "The service did not accept this API key. Copy it again from your account's API "
            "settings."
        )
    except Unavailable:
        message = _(
            "No Soclook-compatible API answered at this address. Check the base URL: it usually "
            "ends in /api/."
        )
    except SoclookError as exc:
        message = str(exc.message)
    else:
        message = ""
    connection.last_checked_at = timezone.now()
    connection.last_check_ok = not message
    connection.last_check_message = message[:300]
    if message:
        raise ConnectionCheckFailed(message)


def team_for_new_owner(*, user: AbstractBaseUser) -> Team:
    """The team a person's first connection goes into, created when they have none."""
    membership = Membership.objects.filter(user=user, role=Role.OWNER).select_related("team")
    found = membership.first()
    if found:
        return found.team
    with transaction.atomic():
        team = Team.objects.create(name=_("%(name)s's team") % {"name": user.get_username()})
        Membership.objects.create(user=user, team=team, role=Role.OWNER)
    return team


def connection_save(
    *,
    connection: Connection,
    api_key: str | None,
    user: AbstractBaseUser | None,
) -> Connection:
    """Check and save a new or changed connection. An empty api_key keeps the stored one."""
    if api_key:
        connection.set_api_key(api_key)
    if connection.pk is None:
        connection.created_by = user
    connection_check(connection=connection)
    connection.save()
    return connection


def connection_delete(*, connection: Connection) -> None:
    connection.delete()


def merged_settings(
    *, current: Handler | None, type: str, submitted: Mapping[str, str]
) -> dict[str, str]:
    """The full settings to send for `type`: what was typed, and for a secret left empty the
    stored value (secrets are write-only, so an empty field means "keep").

    A type the registry does not know keeps its stored settings untouched.
    """
    stored = dict(current.settings) if current is not None and current.type == type else {}
    handler_type = get_handler_type(type, settings_keys=stored)
    if not handler_type.is_known:
        return stored
    result: dict[str, str] = {}
    for field in handler_type.fields:
        value = submitted.get(field.name, "")
        result[field.name] = value if value else stored.get(field.name, "")
    return result


def handler_create(
    *,
    connection: Connection,
    user: AbstractBaseUser,
    name: str,
    type: str,
    settings: Mapping[str, str],
) -> int:
    return client_for(connection).create_handler(name=name, type=type, settings=settings)


def handler_update(
    *,
    connection: Connection,
    user: AbstractBaseUser,
    current: Handler,
    name: str,
    type: str,
    settings: Mapping[str, str],
) -> Handler:
    """Save a changed handler. Sends the whole record (name, type, every settings field), as the
    service blanks what an update leaves out. Returns the record as it now stands."""
    full = merged_settings(current=current, type=type, submitted=settings)
    client_for(connection).update_handler(
        handler_id=current.id, name=name, type=type, settings=full
    )
    return replace(current, name=name[:128], type=type, settings=full)


def handler_set_enabled(
    *, connection: Connection, user: AbstractBaseUser, current: Handler, enabled: bool
) -> Handler:
    client_for(connection).update_handler(
        handler_id=current.id,
        name=current.name,
        type=current.type,
        settings=dict(current.settings),
        is_enabled=enabled,
    )
    if not enabled:
        status = HandlerStatus.DISABLED
    elif current.status == HandlerStatus.PENDING:
        status = HandlerStatus.PENDING
    else:
        status = HandlerStatus.ENABLED
    return replace(current, status=status)


def handler_delete(*, connection: Connection, user: AbstractBaseUser, current: Handler) -> None:
    client_for(connection).delete_handler(current.id)
