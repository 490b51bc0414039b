"""Checking every handler of a connection, for the schedule (`manage.py check_handlers`).

The account's handlers are read as the list reads them (the read cache, within the connection's
request budget: a connection whose budget is spent or whose key fails is left for the next
round); each handler is then checked within the destinations' limits (`check_turn`, and
`host_turn` between two requests to the same service). The owners hear once about the handlers
that turned to "needs attention" in the round, and what is kept of handlers the account no
longer holds is dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from handlers_app.health.models import HandlerHealth
from handlers_app.health.notify import owners_tell
from handlers_app.health.service import (
    check_turn,
    destination_host,
    handler_check,
    health_forget_missing,
    host_turn,
)
from handlers_app.models import Connection
from handlers_app.selectors import handler_all
from handlers_app.soclook.errors import SoclookError

__all__ = ["ConnectionRound", "check_round", "connection_check"]

logger = logging.getLogger("handlers_app.health")


@dataclass
class ConnectionRound:
    checked: int = 0
    # Checked moments ago (a person, a test): left alone this round.
    skipped: int = 0
    turned: list[HandlerHealth] = field(default_factory=list)
    # Why the connection's handlers could not be read, when they could not.
    failed: str = ""


def connection_check(*, connection: Connection) -> ConnectionRound:
    found = ConnectionRound()
    try:
        handlers = handler_all(connection=connection)
    except SoclookError as exc:
        found.failed = exc.message
        return found
    for handler in handlers:
        if handler.handler_type.silent_check:
            if not check_turn(connection=connection, handler_id=handler.id):
                found.skipped += 1
                continue
            host_turn(destination_host(handler))
        checked = handler_check(connection=connection, handler=handler)
        found.checked += 1
        if checked.turned:
            found.turned.append(checked.health)
    health_forget_missing(connection=connection, present=[h.id for h in handlers])
    owners_tell(connection=connection, turned=found.turned)
    return found


def check_round() -> dict[int, ConnectionRound]:
    """Every connection, one after the other."""
    rounds = {}
    for connection in Connection.objects.select_related("team").order_by("pk"):
        rounds[connection.pk] = found = connection_check(connection=connection)
        if found.failed:
            logger.warning(
                "Health checks: connection %s left for the next round: %s",
                connection.pk,
                found.failed,
            )
    return rounds
