"""The handler list's rows, rendered by a Jinja2 environment of their own
(templates/jinja2/handler_rows.html). A page may hold 1000 of them, and they are most of a first
view's work (`make bench`, "list page, first view"): the same rows take Django's template engine
about seven times as long as Jinja2's, which compiles a template to Python. Both escape every
value by default. One `RowWriter` a page looks up the words, type names and dates once for all
its rows; the template only places them.

In handler_list.html: `{% handler_rows handler_page.items %}` renders every row of a page,
`{% handler_row handler %}` one (a switch or a test answers with its row) and
`{% handler_switch handler %}` one row's switch (when the handler could not be read again).

A row stays small (under 1 KB): its addresses are relative to the list's own
(connections/<id>/handlers/), what rows share lives once in the page (the row form, the labels
the controls are named by, app.css), and the actions used less often (duplicate, copy, save as a
set-up) are one "More" link to a page of their own, which opens as a dialog.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

import jinja2
from django import template
from django.conf import settings
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from markupsafe import Markup

from handlers_app.health.service import HealthNote, note_is_current
from handlers_app.journal.queries import LastTest
from handlers_app.models import Connection, JournalEntry, Snooze
from handlers_app.service_time import service_moment, zone_of_offset
from handlers_app.soclook import Handler
from handlers_app.templatetags.journal_tags import ago
from handlers_app.templatetags.moments import DATE_PART

register = template.Library()

TEMPLATE = "handler_rows.html"


@cache
def _environment() -> jinja2.Environment:
    """Undefined names fail loudly; templates are read again when changed only with DEBUG."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(settings.BASE_DIR / "templates" / "jinja2"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=settings.DEBUG,
    )


@dataclass(slots=True)
class Moment:
    """A time as the `moment` filter shows it: for machines (ISO 8601) and for people."""

    machine: str
    text: str


@dataclass(slots=True)
class LastTestBadge:
    """The handler's last test, under its name: how it looks and what it says."""

    look: str
    icon: str
    title: str
    said: str


@dataclass(slots=True)
class Row:
    """What one row shows, in the viewer's words."""

    id: str  # as the row's addresses and ids write it
    name: str
    highlighted: bool
    type: str
    icon: str
    destination: str
    testable: bool  # a type only Soclook can reach (push) has no Test: the form says why
    on: bool
    pending: bool
    state: str
    badge: str
    moments: tuple[Moment | None, Moment | None]
    change: str | None
    test: LastTestBadge | None
    health: HealthLine | None
    snooze: SnoozeLine | None


@dataclass(slots=True)
class SnoozeLine:
    """A snoozed handler's "Off until 14:00" under its switch (handlers_app.snooze)."""

    said: str
    machine: str


@dataclass(slots=True)
class HealthLine:
    """The last silent check in a line under the name, or why there is none
    (docs/health-checks.md); `state` "" for "only a test (or an alert) can tell"."""

    said: str
    state: str = ""
    icon: str = ""


class Words:
    """The words every row repeats, looked up once a page in the viewer's language."""

    def __init__(self) -> None:
        self.unnamed = _("Unnamed handler")
        self.pending = _("Waiting for confirmation")
        self.enabled = _("Enabled")
        self.disabled = _("Disabled")
        self.pending_note = _(
            "Soclook sent a confirmation link to this address; the handler starts once "
            "someone opens it."
        )
        self.operator = _("an operator")
        self.history = _("History")
        self.test = _("Test")
        self.edit = _("Edit")
        self.delete = _("Delete")
        self.more = _("More")
        # Where no silent check exists (handlers_app.health): what the row says instead.
        self.only_test = _("Only a test can tell")
        self.only_alert = _("Only an alert can tell")
        self.switch_on_now = _("Switch on now")


class RowWriter:
    """The rows of one page for one viewer (their rights, language and zone)."""

    def __init__(self, context: Mapping[str, Any]) -> None:
        self.can_edit = bool(context.get("can_edit"))
        self.highlight_id = context.get("highlight_id")
        connection: Connection = context["connection"]
        self.offset = connection.service_utc_offset
        self.service_zone = None if self.offset is None else zone_of_offset(self.offset)
        self.last_changes: Mapping[int, JournalEntry] = context.get("last_changes") or {}
        self.last_tests: Mapping[int, LastTest] = context.get("last_tests") or {}
        self.health: Mapping[int, HealthNote] = context.get("health_notes") or {}
        self.snoozes: Mapping[int, Snooze] = context.get("snoozes") or {}
        self.date_format = get_format(DATE_PART)
        self.zone = timezone.get_current_timezone()
        self.dates: dict[date, str] = {}
        # A type's name in the person's language, by its slug (a lazy text is translated anew
        # each time it is read).
        self.type_labels: dict[str, str] = {}
        self.words = Words()
        # The template's macro `rows`, which returns escaped markup (a Markup).
        self.template: Any = (
            _environment()
            .get_template(TEMPLATE)
            .make_module({"can_edit": self.can_edit, "words": self.words})
        )

    def rows(self, handlers: Iterable[Handler]) -> Markup:
        return self.template.rows(map(self.row_of, handlers))

    def row(self, handler: Handler) -> Markup:
        return self.template.rows((self.row_of(handler),))

    def switch(self, handler: Handler) -> Markup:
        return self.template.rows((self.row_of(handler),), switch_only=True)

    def row_of(self, handler: Handler) -> Row:
        hid = handler.id
        words = self.words
        handler_type = handler.handler_type
        label = self.type_labels.get(handler.type)
        if label is None:
            label = self.type_labels[handler.type] = str(handler_type.label)
        pending = handler.is_pending
        on = handler.is_enabled
        return Row(
            id=str(hid),
            name=handler.name or words.unnamed,
            highlighted=hid == self.highlight_id,
            type=label,
            icon=handler_type.icon,
            destination=handler_type.summary(handler.settings) or "—",
            testable=handler_type.test_delivery is not None,
            on=on,
            pending=pending,
            state=words.pending if pending else words.enabled if on else words.disabled,
            badge="warning" if pending else "success" if on else "secondary",
            moments=(self._moment(handler.created), self._moment(handler.last_changed)),
            change=self._change_note(hid),
            test=self._test_badge(hid),
            health=self._health(handler),
            snooze=self._snoozed(handler),
        )

    def _change_note(self, hid: int) -> str | None:
        change = self.last_changes.get(hid)
        if change is None:
            return None
        return _("changed by %(name)s, %(ago)s") % {
            "name": change.user_name or self.words.operator,
            "ago": ago(change.created_at),
        }

    def _snoozed(self, handler: Handler) -> SnoozeLine | None:
        snooze = self.snoozes.get(handler.id)
        if snooze is None or handler.is_enabled:
            return None
        local = snooze.until.astimezone(self.zone)
        clock = f"{local.hour:02d}:{local.minute:02d}"
        if local.date() != timezone.localtime(timezone=self.zone).date():
            clock = f"{dateformat.format(local, self.date_format)} {clock}"
        return SnoozeLine(
            said=_("Off until %(moment)s") % {"moment": clock},
            machine=local.isoformat(timespec="seconds"),
        )

    def _health(self, handler: Handler) -> HealthLine | None:
        note = self.health.get(handler.id)
        if note is not None and not note_is_current(note, handler, offset=self.offset):
            note = None
        handler_type = handler.handler_type
        if note is None or not handler_type.silent_check:
            # A handler switched off delivers nothing: whether it could is not asked of it.
            if handler_type.silent_check or not handler_type.is_known or not handler.is_enabled:
                return None
            words = self.words
            return HealthLine(
                said=words.only_test if handler_type.test_delivery else words.only_alert
            )
        icon = {"fine": "check2-circle", "attention": "exclamation-triangle"}.get(
            note.state, "question-circle"
        )
        said = f"{note.text} · {_('checked %(ago)s') % {'ago': ago(note.checked_at)}}"
        return HealthLine(said=said, state=note.state, icon=icon)

    def _test_badge(self, hid: int) -> LastTestBadge | None:
        test = self.last_tests.get(hid)
        if test is None:
            return None
        outcome = test.outcome
        if outcome.delivered:
            return LastTestBadge(
                look="bg-success-subtle text-success-emphasis border-success-subtle",
                icon="check2-circle",
                title=str(outcome.explanation),
                said=_("tested %(ago)s") % {"ago": ago(test.at)},
            )
        return LastTestBadge(
            look="bg-danger-subtle text-danger-emphasis border-danger-subtle",
            icon="exclamation-triangle",
            title=str(outcome.explanation),
            said=_("last test failed: %(reason)s") % {"reason": outcome.summary},
        )

    def _moment(self, value: datetime | None) -> Moment | None:
        """What the `moment` filter writes (templatetags/moments.py), with the zones and the
        format looked up once; the viewer's zone is named once, above the table."""
        if value is None:
            return None
        if self.service_zone is not None and value.tzinfo is None:
            moment = value.replace(tzinfo=self.service_zone)
        else:
            moment = service_moment(value, self.offset)
        local = moment.astimezone(self.zone)
        day = local.date()
        shown = self.dates.get(day)
        if shown is None:
            # Formatting a date in the person's language is the slow part; a page's handlers
            # were made on far fewer days than it has rows.
            shown = self.dates[day] = dateformat.format(local, self.date_format)
        # The clock as CLOCK_PART ("H:i") has it; the machine time as machine_time() has it.
        return Moment(
            machine=local.isoformat(timespec="milliseconds" if local.microsecond else "seconds"),
            text=f"{shown} {local.hour:02d}:{local.minute:02d}",
        )


def _writer(context: template.Context) -> RowWriter:
    """One writer for everything a render writes (the rows of a page share it)."""
    writer = context.render_context.get(RowWriter)
    if writer is None:
        writer = context.render_context[RowWriter] = RowWriter(context.flatten())
    return writer


@register.simple_tag(takes_context=True)
def handler_rows(context: template.Context, handlers: Iterable[Handler]) -> Markup:
    return _writer(context).rows(handlers)


@register.simple_tag(takes_context=True)
def handler_row(context: template.Context, handler: Handler) -> Markup:
    return _writer(context).row(handler)


@register.simple_tag(takes_context=True)
def handler_switch(context: template.Context, handler: Handler) -> Markup:
    return _writer(context).switch(handler)
