"""The handler list's rows, written here rather than in the template: a page may hold 1000 of
them, and a template loop spent most of a first view on them (`make bench`, "list page, first
view"). One `RowWriter` a page looks up the words and formats once; each row is then a few string
joins, every value from Soclook escaped.

In handler_list.html: `{% handler_rows handler_page.items %}` writes every row of a page,
`{% handler_row handler %}` one (a switch or a test answers with its row) and
`{% handler_switch handler %}` one row's switch (when the handler could not be read again).

A row stays small (under 1 KB): its addresses are relative to the list's own
(connections/<id>/handlers/), what rows share lives once in the page (the row form, the labels
the controls are named by, app.css), and the actions used less often (duplicate, copy, save as a
set-up) are one "More" link to a page of their own, which opens as a dialog.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from html import escape
from typing import Any

from django import template
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from handlers_app.journal.queries import LastTest
from handlers_app.models import Connection, JournalEntry
from handlers_app.service_time import service_moment, zone_of_offset
from handlers_app.soclook import Handler
from handlers_app.templatetags.journal_tags import ago
from handlers_app.templatetags.moments import DATE_PART

register = template.Library()


class RowWriter:
    """Writes the rows of one page for one viewer (their rights, language and zone)."""

    def __init__(self, context: Mapping[str, Any]) -> None:
        self.can_edit = bool(context.get("can_edit"))
        self.highlight_id = context.get("highlight_id")
        connection: Connection = context["connection"]
        self.offset = connection.service_utc_offset
        self.service_zone = None if self.offset is None else zone_of_offset(self.offset)
        self.last_changes: Mapping[int, JournalEntry] = context.get("last_changes") or {}
        self.last_tests: Mapping[int, LastTest] = context.get("last_tests") or {}
        self.date_format = get_format(DATE_PART)
        self.zone = timezone.get_current_timezone()
        self.dates: dict[date, str] = {}
        self.words = {
            "unnamed": escape(_("Unnamed handler")),
            "pending": escape(_("Waiting for confirmation")),
            "enabled": escape(_("Enabled")),
            "disabled": escape(_("Disabled")),
            "pending_note": escape(
                _(
                    "Soclook sent a confirmation link to this address; the handler starts once "
                    "someone opens it."
                )
            ),
            "operator": _("an operator"),
            "history": escape(_("History")),
            "test": escape(_("Test")),
            "edit": escape(_("Edit")),
            "delete": escape(_("Delete")),
            "more": escape(_("More")),
        }

    def rows(self, handlers: Iterable[Handler]) -> SafeString:
        return mark_safe("".join(map(self.row, handlers)))  # noqa: S308 (every value escaped)

    def row(self, handler: Handler) -> str:
        hid = handler.id
        words = self.words
        handler_type = handler.handler_type
        saved = ' class="table-success row-saved" aria-current="true"'
        parts = [
            f'<tr id="handler-{hid}"{saved if hid == self.highlight_id else ""}><th scope="row">',
        ]
        if self.can_edit:
            parts.append(
                f'<input type="checkbox" name="ids" value="{hid}" form="bulk-form"'
                f' aria-labelledby="l-select n-{hid}"> '
            )
        parts.append(f'<span id="n-{hid}">{escape(handler.name) or words["unnamed"]}</span>')
        parts.append(self._last_change(hid))
        parts.append(self._last_test(hid))
        parts.append(
            f'</th><td class="type bi-{handler_type.icon}">{escape(str(handler_type.label))}</td>'
            f'<td class="dest">{escape(handler.summary) or "—"}</td>'
        )
        parts.append(self.switch(handler))
        parts.append(f'<td class="date">{self._moment(handler.created)}</td>')
        parts.append(f'<td class="date">{self._moment(handler.last_changed)}</td>')
        if not self.can_edit:
            parts.append(
                f'<td class="actions"><a href="{hid}/journal/"'
                f' aria-labelledby="l-history n-{hid}">{words["history"]}</a></td></tr>'
            )
            return "".join(parts)
        # An editor's History is in "More", with the other actions used less often. No Test for
        # a type only Soclook can reach (push): the form says why.
        test = (
            f'<button formaction="{hid}/test/" aria-labelledby="l-test n-{hid}">'
            f"{words['test']}</button>"
            if handler_type.test_delivery is not None
            else ""
        )
        parts.append(
            f'<td class="actions">{test}'
            f'<a href="{hid}/edit/" aria-labelledby="l-edit n-{hid}">{words["edit"]}</a>'
            f'<a href="{hid}/delete/" aria-labelledby="l-delete n-{hid}" data-modal>'
            f"{words['delete']}</a>"
            f'<a href="{hid}/more/" class="more" aria-labelledby="l-more n-{hid}" data-modal>'
            f"{words['more']}</a></td></tr>"
        )
        return "".join(parts)

    def switch(self, handler: Handler) -> str:
        """The status cell: a button that posts the state wanted, so it works without JavaScript
        and a second click on a stale page does not undo the first."""
        hid = handler.id
        words = self.words
        pending = handler.is_pending
        state = "pending" if pending else "enabled" if handler.is_enabled else "disabled"
        note = (
            f'<div class="small text-body-secondary" id="pending-{hid}">'
            f"{words['pending_note']}</div>"
            if pending
            else ""
        )
        if self.can_edit:
            on = handler.is_enabled
            described = f' aria-describedby="pending-{hid}"' if pending else ""
            control = (
                f'<button formaction="{hid}/toggle/" name="is_enabled" value="{0 if on else 1}"'
                f' aria-pressed="{"true" if on else "false"}"'
                f' aria-labelledby="l-enable n-{hid}"{described}>{words[state]}</button>'
            )
        else:
            badge = {"pending": "warning", "enabled": "success", "disabled": "secondary"}[state]
            control = f'<span class="badge text-bg-{badge}">{words[state]}</span>'
        return f'<td id="status-{hid}">{control}{note}</td>'

    def _last_change(self, hid: int) -> str:
        change = self.last_changes.get(hid)
        if change is None:
            return ""
        said = _("changed by %(name)s, %(ago)s") % {
            "name": change.user_name or self.words["operator"],
            "ago": ago(change.created_at),
        }
        return f'<div class="small fw-normal text-body-secondary">{escape(said)}</div>'

    def _last_test(self, hid: int) -> str:
        test = self.last_tests.get(hid)
        if test is None:
            return ""
        outcome = test.outcome
        if outcome.delivered:
            look, icon = (
                "bg-success-subtle text-success-emphasis border-success-subtle",
                "check2-circle",
            )
            said = _("tested %(ago)s") % {"ago": ago(test.at)}
        else:
            look, icon = (
                "bg-danger-subtle text-danger-emphasis border-danger-subtle",
                "exclamation-triangle",
            )
            said = _("last test failed: %(reason)s") % {"reason": outcome.summary}
        return (
            f'<div class="mt-1" id="test-badge-{hid}"><span class="badge test-badge {look} border'
            f' fw-normal" title="{escape(str(outcome.explanation))}"><i class="bi bi-{icon}"'
            f' aria-hidden="true"></i> {escape(str(said))}</span></div>'
        )

    def _moment(self, value: datetime | None) -> str:
        """What the `moment` filter writes (templatetags/moments.py), with the zones and the
        format looked up once; the viewer's zone is named once, above the table."""
        if value is None:
            return "—"
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
        machine = local.isoformat(timespec="milliseconds" if local.microsecond else "seconds")
        return f'<time datetime="{machine}">{shown} {local.hour:02d}:{local.minute:02d}</time>'


def _writer(context: template.Context) -> RowWriter:
    """One writer for everything a render writes (the rows of a page share it)."""
    writer = context.render_context.get(RowWriter)
    if writer is None:
        writer = context.render_context[RowWriter] = RowWriter(context.flatten())
    return writer


@register.simple_tag(takes_context=True)
def handler_rows(context: template.Context, handlers: Iterable[Handler]) -> SafeString:
    return _writer(context).rows(handlers)


@register.simple_tag(takes_context=True)
def handler_row(context: template.Context, handler: Handler) -> SafeString:
    return mark_safe(_writer(context).row(handler))  # noqa: S308 (every value escaped)


@register.simple_tag(takes_context=True)
def handler_switch(context: template.Context, handler: Handler) -> SafeString:
    return mark_safe(_writer(context).switch(handler))  # noqa: S308 (every value escaped)
