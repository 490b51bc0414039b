"""Send a test to a handler's destination: the one entry point the views call."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from handlers_app.journal.recording import record_handler_tested
from handlers_app.models import Connection
from handlers_app.soclook.types import HandlerType
from handlers_app.testsend.destinations import Message, deliver
from handlers_app.testsend.limits import PERSON_TESTS_PER_HOUR, LimitReached, take_turn
from handlers_app.testsend.outcomes import Outcome, Result, told_for_service

__all__ = ["handler_test_send", "tests_version"]

logger = logging.getLogger("handlers_app.testsend")

# Changes whenever a test of one of the connection's handlers is recorded, so that the list's
# cached rows show its badge.
_VERSION_KEY = "testsend:version:{connection_id}"


def handler_test_send(
    *,
    connection: Connection,
    user: AbstractBaseUser,
    handler_type: HandlerType,
    name: str,
    handler_settings: Mapping[str, str],
    handler_id: int | None = None,
    typed: bool = False,
) -> Outcome:
    """Send a test message with `handler_settings` (complete: a stored secret already filled in
    for one left empty) and record it in the journal. `typed`: the settings come from a form,
    not from Soclook. What cannot be sent (no test for this type, test sends off, a limit) comes
    back as an outcome that was not sent, and is not recorded."""
    if not settings.TEST_SEND_ENABLED:
        return Outcome(Result.NOT_SENT, "turned_off")
    spec = handler_type.test_delivery
    if spec is None:
        return Outcome(Result.NOT_SENT, "explained", params={"why": handler_type.untestable_reason})
    subject = (
        f"{connection.pk}:{handler_id}"
        if handler_id is not None
        else _destination_key(connection, handler_type, spec.values(handler_settings))
    )
    limit = take_turn(subject=subject, user_id=user.pk)
    if limit is not None:
        return _limited(limit)

    started = time.monotonic()
    outcome = deliver(spec, handler_settings, _message(connection, name, user))
    logger.info(
        "test send to a %s handler: %s, %s",
        handler_type.slug,
        outcome.reason,
        outcome.status or "no HTTP status",
        extra={
            "test_type": handler_type.slug,
            "test_result": outcome.result.value,
            "test_reason": outcome.reason,
            "test_status": outcome.status,
            # The host, or for e-mail the address's domain only.
            "test_host": outcome.host.rpartition("@")[2],
            "test_elapsed_ms": round((time.monotonic() - started) * 1000),
        },
    )
    if spec.way.is_a_service:
        outcome = told_for_service(outcome, service_type=handler_type.slug)
    record_handler_tested(
        connection=connection,
        user=user,
        handler_id=handler_id,
        name=name,
        type=handler_type.slug,
        outcome=outcome.record(),
        destination=handler_type.destination_record(handler_settings),
        typed=typed,
    )
    cache.set(_VERSION_KEY.format(connection_id=connection.pk), time.time_ns(), None)
    return outcome


def tests_version(connection: Connection) -> int:
    return cache.get(_VERSION_KEY.format(connection_id=connection.pk), 0)


def _message(connection: Connection, name: str, user: AbstractBaseUser) -> Message:
    team = connection.team.name
    if name:
        text = _(
            "Test from the Soclook dashboard (team %(team)s): if you can read this, "
            "“%(name)s” works."
        ) % {"team": team, "name": name}
    else:
        text = _(
            "Test from the Soclook dashboard (team %(team)s): if you can read this, this "
            "handler works."
        ) % {"team": team}
    body = "\n\n".join(
        [
            text,
            _("%(person)s sent it with the “Send a test” button; no alert is behind it.")
            % {"person": user.get_username()},
        ]
    )
    return Message(
        handler_name=name,
        text=text,
        subject=_("Test from the Soclook dashboard"),
        body=body,
    )


def _destination_key(
    connection: Connection, handler_type: HandlerType, secrets: Mapping[str, str]
) -> str:
    """A new handler has no id: its turn is its destination's, under a keyed hash, since the
    cache must not hold a secret."""
    secret_text = "\n".join([str(connection.pk), handler_type.slug, *sorted(secrets.values())])
    return salted_hmac("testsend.destination", secret_text, algorithm="sha256").hexdigest()


def _limited(limit: LimitReached) -> Outcome:
    if limit.scope == "handler":
        return Outcome(Result.NOT_SENT, "too_soon", params={"seconds": limit.retry_after})
    return Outcome(
        Result.NOT_SENT,
        "hourly_limit",
        params={"limit": PERSON_TESTS_PER_HOUR, "minutes": -(-limit.retry_after // 60)},
    )
