"""Every time a page shows, in one format and in the viewer's zone.

`{{ entry.created_at|moment }}` renders `<time datetime="…">2 Dec 2026 08:37</time>`;
`|moment:"stacked"` puts the clock time on a line of its own (narrow table columns).
Times from Soclook are zoneless: `{{ handler.created|service_moment:connection|moment }}`.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.html import format_html
from django.utils.safestring import SafeString

from handlers_app import service_time
from handlers_app.models import Connection

register = template.Library()

DATE_PART = "DATE_FORMAT"
CLOCK_PART = "H:i"


def machine_time(value: datetime) -> str:
    """ISO 8601 with the offset, and at most milliseconds (what HTML's `datetime` allows)."""
    moment = timezone.localtime(value)
    return moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")


@register.filter
def moment(value: datetime | None, layout: str = "") -> SafeString | str:
    if not isinstance(value, datetime):
        return ""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    local = timezone.localtime(value)
    date, clock = date_format(local, DATE_PART), time_format(local, CLOCK_PART)
    zone = timezone.get_current_timezone_name()
    if layout == "stacked":
        return format_html(
            '<time datetime="{}" title="{}">{}<br><span class="text-body-secondary">{}</span>'
            "</time>",
            machine_time(local),
            zone,
            date,
            clock,
        )
    return format_html(
        '<time datetime="{}" title="{}">{} {}</time>', machine_time(local), zone, date, clock
    )


@register.filter
def service_moment(value: datetime | None, connection: Connection) -> datetime | None:
    """A time Soclook sent for `connection`, as a moment (see handlers_app.service_time)."""
    return service_time.service_moment(value, connection.service_utc_offset)
