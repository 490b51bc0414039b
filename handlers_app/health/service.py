"""Check handlers and keep what was learned: the one entry point pages, jobs and the schedule use.

`handler_check()` runs the type's silent check (declared in the registry,
`HandlerType.silent_check`) and records the finding; a type without one is recorded as "cannot
be checked" with the reason, and sends nothing. A check counts like a test send: one request
to a handler's destination at most every HANDLER_INTERVAL_SECONDS (`check_turn()`), a person's
checks within their hourly number of tests (`testsend.limits.take_turn`), and runs over many
handlers wait HOST_INTERVAL_SECONDS between two requests to the same service (`host_turn`).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from handlers_app.health.checks import Finding, State
from handlers_app.health.models import HandlerHealth, HealthState
from handlers_app.health.wording import no_check_code, sentence
from handlers_app.models import Connection
from handlers_app.service_time import service_moment
from handlers_app.soclook import Handler
from handlers_app.soclook.types import FieldKind, get_handler_type
from handlers_app.testsend.limits import take_handler_turn

__all__ = [
    "HOST_INTERVAL_SECONDS",
    "Checked",
    "HealthNote",
    "attention_ids",
    "check_turn",
    "destination_host",
    "handler_check",
    "health_counts",
    "health_forget_missing",
    "health_notes",
    "health_version",
    "host_turn",
    "note_is_current",
    "note_of",
]

logger = logging.getLogger("handlers_app.health")

# Two requests of one run to the same service are at least this far apart.
HOST_INTERVAL_SECONDS = 1.0
# What `host_turn` waits with (a test records the waits instead).
_sleep = time.sleep
_HOST_KEY = "health:host:{host}"
# Changes whenever a check of one of the connection's handlers is recorded, so that the list's
# cached rows show it.
_VERSION_KEY = "health:version:{connection_id}"


@dataclass(frozen=True)
class Checked:
    health: HandlerHealth
    # It needs attention now and did not before: the owners are told about it.
    turned: bool


def check_turn(*, connection: Connection, handler_id: int) -> bool:
    """Take the handler's turn, shared with its test sends and a person's "Check now"; False
    while one of them is within the interval."""
    return take_handler_turn(subject=f"{connection.pk}:{handler_id}")


def destination_host(handler: Handler) -> str:
    """The service a check of this handler asks, for pacing: the host of its address, the
    domain of its e-mail address, else its type's one service."""
    for spec in handler.handler_type.fields:
        value = str(handler.settings.get(spec.name, ""))
        if spec.kind == FieldKind.URL:
            return spec.mask(value)
        if spec.kind == FieldKind.EMAIL:
            return value.rpartition("@")[2].lower()
    return handler.type


def handler_check(*, connection: Connection, handler: Handler) -> Checked:
    """Check one handler (the caller has its turn) and record what was learned."""
    handler_type = handler.handler_type
    if handler_type.silent_check:
        spec = handler_type.test_delivery
        check: Callable[[Mapping[str, str]], Finding] = import_string(handler_type.silent_check)
        started = time.monotonic()
        finding = check(spec.values(handler.settings) if spec else dict(handler.settings))
        logger.info(
            "silent check of a %s handler: %s",
            handler_type.slug,
            finding.code,
            extra={
                "check_type": handler_type.slug,
                "check_state": finding.state.value,
                "check_code": finding.code,
                "check_elapsed_ms": round((time.monotonic() - started) * 1000),
            },
        )
    else:
        finding = Finding(State.CANNOT_CHECK, no_check_code(handler_type))
    return _record(connection=connection, handler=handler, finding=finding)


def _record(*, connection: Connection, handler: Handler, finding: Finding) -> Checked:
    now = timezone.now()
    with transaction.atomic():
        health, _created = HandlerHealth.objects.select_for_update().get_or_create(
            connection=connection,
            handler_id=handler.id,
            defaults={"state": finding.state.value, "code": finding.code},
        )
        # A check that got no clear answer leaves "since when" as it was, so that a handler
        # that needs attention is not announced again after a timeout.
        turned = finding.state == State.ATTENTION and health.attention_since is None
        if finding.state == State.ATTENTION and health.attention_since is None:
            health.attention_since = now
        elif finding.state == State.FINE:
            health.attention_since = None
        health.handler_name = handler.name[:200]
        health.handler_type = handler.type[:64]
        health.checked_at = now
        health.state = finding.state.value
        health.code = finding.code
        health.params = dict(finding.params)
        health.save()
    cache.set(_VERSION_KEY.format(connection_id=connection.pk), time.time_ns(), None)
    return Checked(health=health, turned=turned)


def health_version(connection: Connection) -> int:
    return cache.get(_VERSION_KEY.format(connection_id=connection.pk), 0)


@dataclass(frozen=True)
class HealthNote:
    """What a row or the edit page says about a handler's last check."""

    state: HealthState
    text: str
    checked_at: datetime


def note_of(health: HandlerHealth) -> HealthNote:
    params = dict(health.params)
    params["type"] = get_handler_type(health.handler_type).label
    return HealthNote(
        state=HealthState(health.state),
        text=sentence(health.code, params),
        checked_at=health.checked_at,
    )


def note_is_current(note: HealthNote, handler: Handler, *, offset: int | None) -> bool:
    """Whether the check was made after the handler's last change: what it learned of older
    settings is not shown as this handler's. While Soclook's time zone is unknown its times
    may be hours off, so the finding is shown."""
    if offset is None or handler.last_changed is None:
        return True
    # Soclook's times are to the second: a check in the same second as a change may be older.
    return note.checked_at.replace(microsecond=0) > service_moment(handler.last_changed, offset)


def health_notes(*, connection: Connection, handler_ids: Iterable[int]) -> dict[int, HealthNote]:
    rows = HandlerHealth.objects.filter(connection=connection, handler_id__in=list(handler_ids))
    return {row.handler_id: note_of(row) for row in rows}


def attention_ids(*, connection: Connection) -> set[int]:
    rows = HandlerHealth.objects.filter(connection=connection, state=HealthState.ATTENTION)
    return set(rows.values_list("handler_id", flat=True))


def health_counts(connection_ids: Iterable[int]) -> dict[int, Counter[str]]:
    """Per connection, how many of its checked handlers are in each state."""
    counts: dict[int, Counter[str]] = {}
    rows = (
        HandlerHealth.objects.filter(connection_id__in=list(connection_ids))
        .values_list("connection_id", "state")
        .order_by()
    )
    for connection_id, state in rows:
        counts.setdefault(connection_id, Counter())[state] += 1
    return counts


def health_forget_missing(*, connection: Connection, present: Iterable[int]) -> int:
    """Drop the rows of handlers the account no longer holds (after a whole run)."""
    gone = HandlerHealth.objects.filter(connection=connection).exclude(handler_id__in=list(present))
    return gone.delete()[0]


def host_turn(host: str, *, clock: Callable[[], float] = time.time) -> None:
    """Wait until the service `host` has had HOST_INTERVAL_SECONDS since the last check's
    request to it, from any process (the moment is kept in the shared cache), and take the turn.
    Two workers may now and then go at the same moment: a courtesy, not a lock."""
    key = _HOST_KEY.format(host=host)
    last = cache.get(key)
    if isinstance(last, float):
        left = last + HOST_INTERVAL_SECONDS - clock()
        if left > 0:
            _sleep(min(left, HOST_INTERVAL_SECONDS))
    cache.set(key, clock(), max(1, round(2 * HOST_INTERVAL_SECONDS)))
