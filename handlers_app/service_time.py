"""Soclook's clock and the viewer's: turning the service's zoneless times into moments.

Soclook sends `datetime` and `last_datetime` as `YYYY-MM-DD HH:MM:SS` in its own time zone, with
no zone marker (docs/soclook-api.md). Each connection keeps that zone as an offset from UTC in
minutes: an owner sets it on the connection's page, or the dashboard learns it from the first
write it makes, whose handler then carries a time that is "now" on the service's clock. The
difference from the dashboard's clock, rounded to a quarter of an hour (every zone in use is a
whole number of quarters away from UTC), is the offset. A difference further than FRESH_WITHIN
from a quarter is not a fresh time (a service that did not stamp the write) and teaches nothing.

The live service answers a write with the whole handler; an answer with only the id (the API
notes promise no more) leaves the lesson to the next read of that handler, for FRESH_WITHIN.
Learning costs no request of its own: Soclook allows 60 a minute.

Pages then show every moment in the viewer's zone (`ViewerTimeZoneMiddleware`), in one format
(`templatetags/moments.py`).
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone as django_timezone

from handlers_app.models import Connection
from handlers_app.soclook import Handler

__all__ = [
    "OFFSET_STEP_MINUTES",
    "TZ_COOKIE",
    "ViewerTimeZoneMiddleware",
    "detect_offset",
    "format_offset",
    "offset_choices",
    "offset_learn_from_read",
    "offset_learner",
    "service_moment",
    "zone_of_offset",
]

OFFSET_STEP_MINUTES = 15
# The furthest zones in use: Baker Island (UTC-12:00) and the Line Islands (UTC+14:00).
OFFSET_MIN_MINUTES = -12 * 60
OFFSET_MAX_MINUTES = 14 * 60
# How far from a whole quarter of an hour a fresh time may be: the write's round trip, and
# clocks that are a little apart.
FRESH_WITHIN = timedelta(minutes=5)

# The browser's IANA zone, set by static/js/app.js.
TZ_COOKIE = "tz"
TZ_COOKIE_MAX_LENGTH = 64


def offset_choices() -> list[tuple[int, str]]:
    """Every offset a connection may have, west to east, labelled like `UTC+03:00`."""
    steps = range(OFFSET_MIN_MINUTES, OFFSET_MAX_MINUTES + 1, OFFSET_STEP_MINUTES)
    return [(minutes, format_offset(minutes)) for minutes in steps]


def format_offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def zone_of_offset(minutes: int) -> tzinfo:
    return timezone(timedelta(minutes=minutes), format_offset(minutes))


def detect_offset(service_time: datetime, *, now: datetime) -> int | None:
    """The service's offset in minutes, if `service_time` (naive, the service's clock) was taken
    at `now` (aware); None when it cannot have been."""
    difference = service_time - now.astimezone(UTC).replace(tzinfo=None)
    quarters = round(difference / timedelta(minutes=OFFSET_STEP_MINUTES))
    minutes = quarters * OFFSET_STEP_MINUTES
    if abs(difference - timedelta(minutes=minutes)) > FRESH_WITHIN:
        return None
    if not OFFSET_MIN_MINUTES <= minutes <= OFFSET_MAX_MINUTES:
        return None
    return minutes


def offset_learner(connection: Connection) -> Callable[[int, Handler | None], None] | None:
    """What a client making writes for `connection` tells of each write (SoclookClient's
    `on_written`); None once the connection's zone is known."""
    if connection.service_utc_offset is not None:
        return None

    def written(handler_id: int, answer: Handler | None) -> None:
        now = django_timezone.now()
        if answer is None or not _offset_learn(connection, answer, now=now):
            cache.set(_pending_key(connection), (handler_id, now), FRESH_WITHIN.total_seconds())

    return written


def offset_learn_from_read(*, connection: Connection, handlers: Iterable[Handler]) -> None:
    """Learn the zone from a handler just read, if it is the one a write left unexplained."""
    if connection.service_utc_offset is not None:
        return
    pending = cache.get(_pending_key(connection))
    if pending is None:
        return
    handler_id, written_at = pending
    for handler in handlers:
        if handler.id == handler_id and _offset_learn(connection, handler, now=written_at):
            cache.delete(_pending_key(connection))
            return


def _offset_learn(connection: Connection, handler: Handler, *, now: datetime) -> bool:
    stamps = [moment for moment in (handler.created, handler.last_changed) if moment is not None]
    offset = detect_offset(max(stamps), now=now) if stamps else None
    if offset is None:
        return False
    # Only where no zone is stored: an owner may have set one meanwhile, and theirs stays.
    Connection.objects.filter(pk=connection.pk, service_utc_offset__isnull=True).update(
        service_utc_offset=offset, service_offset_by_owner=False
    )
    connection.refresh_from_db(fields=["service_utc_offset", "service_offset_by_owner"])
    return True


def _pending_key(connection: Connection) -> str:
    return f"service-clock-pending:{connection.pk}"


def service_moment(value: datetime | None, offset_minutes: int | None) -> datetime | None:
    """A time the service sent (naive, its own zone) as a moment. While the zone is unknown the
    dashboard's own zone (TIME_ZONE) stands in."""
    if value is None or django_timezone.is_aware(value):
        return value
    if offset_minutes is None:
        return django_timezone.make_aware(value, django_timezone.get_default_timezone())
    return value.replace(tzinfo=zone_of_offset(offset_minutes))


def service_now(offset_minutes: int | None) -> datetime:
    """Now on the service's clock, in the form of its times (naive, to the second): what a record
    the dashboard writes itself shows until the service's own answer replaces it."""
    zone = (
        django_timezone.get_default_timezone()
        if offset_minutes is None
        else zone_of_offset(offset_minutes)
    )
    return django_timezone.now().astimezone(zone).replace(tzinfo=None, microsecond=0)


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _viewer_zone(name: str) -> tzinfo | None:
    # Only names from the zone database: a cookie is typed by whoever sends it.
    if len(name) > TZ_COOKIE_MAX_LENGTH or name not in _known_zones():
        return None
    return zoneinfo.ZoneInfo(name)


class ViewerTimeZoneMiddleware:
    """Pages show times in the zone the viewer's browser reports (the `tz` cookie); without a
    usable one, in TIME_ZONE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = _viewer_zone(request.COOKIES.get(TZ_COOKIE, ""))
        if zone is None:
            django_timezone.deactivate()
        else:
            django_timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            django_timezone.deactivate()
