"""The change journal: over all of a person's teams, per handler, as CSV, and restoring from it."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from handlers_app.access import connection_for, memberships_of
from handlers_app.crypto import DecryptionError
from handlers_app.forms.journal import JournalFilterForm
from handlers_app.http import HtmxHttpRequest
from handlers_app.journal.diff import ChangeLine, change_lines, handler_changes
from handlers_app.journal.export import journal_csv
from handlers_app.journal.queries import (
    handler_lineage,
    handler_name_latest,
    journal_entries,
    recreations_of,
)
from handlers_app.journal.recording import snapshot_of
from handlers_app.journal.restoring import recreation_of, restore_underway
from handlers_app.models import Connection, JournalAction, JournalEntry, Role
from handlers_app.selectors import handler_get
from handlers_app.services import RestoreUnderway, handler_restore
from handlers_app.soclook import Handler
from handlers_app.soclook.errors import NotFound, SoclookError

PER_PAGE = 50
_DELETIONS = (JournalAction.HANDLER_DELETED, JournalAction.HANDLER_DELETED_OUTSIDE)


@dataclass(frozen=True)
class JournalRow:
    entry: JournalEntry
    lines: list[ChangeLine]
    can_restore: bool
    # A deleted handler already brought back: the id it came back under.
    restored_as: int | None


def _rows(page: Page, roles: dict[int, Role]) -> list[JournalRow]:
    entries: list[JournalEntry] = list(page.object_list)
    recreated = recreations_of(entries)
    return [
        JournalRow(
            entry=entry,
            lines=change_lines(entry.changes),
            can_restore=entry.is_restorable
            and entry.pk not in recreated
            and roles[entry.team_id].allows(Role.EDITOR),
            restored_as=recreated.get(entry.pk),
        )
        for entry in entries
    ]


def _journal_page(
    request: HtmxHttpRequest,
    *,
    form: JournalFilterForm,
    entries: QuerySet[JournalEntry],
    roles: dict[int, Role],
    filename: str,
    **context: object,
) -> HttpResponse:
    if request.GET.get("format") == "csv":
        return journal_csv(entries, filename=filename)
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    template = "handlers_app/journal.html"
    if request.htmx and not request.htmx.boosted:
        template += "#table"
    context.update(
        {
            "form": form,
            "page": page,
            "rows": _rows(page, roles),
            "is_filtered": any(v for k, v in request.GET.items() if k not in ("page", "format")),
        }
    )
    return render(request, template, context)


@login_required
@require_GET
def journal(request: HtmxHttpRequest) -> HttpResponse:
    memberships = list(memberships_of(request.user))
    teams = [m.team for m in memberships]
    form = JournalFilterForm(request.GET, teams=teams)
    form.is_valid()
    return _journal_page(
        request,
        form=form,
        entries=journal_entries(teams=teams, filters=form.filters),
        roles={m.team_id: m.role_enum for m in memberships},
        filename="journal.csv",
        teams=teams,
    )


@login_required
@require_GET
def handler_journal(request: HtmxHttpRequest, connection_id: int, handler_id: int) -> HttpResponse:
    access = connection_for(request.user, connection_id)
    connection = access.connection
    form = JournalFilterForm(request.GET, teams=[connection.team], one_handler=True)
    form.is_valid()
    entries = journal_entries(
        teams=[connection.team],
        filters=form.filters,
        connection=connection,
        handler_ids=handler_lineage(connection=connection, handler_id=handler_id),
    )
    return _journal_page(
        request,
        form=form,
        entries=entries,
        roles={connection.team_id: access.role},
        filename=f"journal-handler-{handler_id}.csv",
        connection=connection,
        handler_id=handler_id,
        handler_name=handler_name_latest(connection=connection, handler_id=handler_id),
    )


def _current(connection: Connection, entry: JournalEntry) -> Handler | None:
    """The handler as it stands now, or None when it is gone (a deleted one is not read)."""
    if entry.action in _DELETIONS or entry.handler_id is None:
        return None
    try:
        return handler_get(connection=connection, handler_id=entry.handler_id)
    except NotFound:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def journal_restore(request: HtmxHttpRequest, connection_id: int, entry_id: int) -> HttpResponse:
    access = connection_for(request.user, connection_id, role=Role.EDITOR)
    connection = access.connection
    entry = get_object_or_404(JournalEntry, pk=entry_id, connection=connection)
    context: dict[str, object] = {"connection": connection, "entry": entry}
    try:
        kept = snapshot_of(entry)
    except DecryptionError:
        context["unreadable"] = True
        return render(request, "handlers_app/journal_restore.html", context)
    if kept is None:
        raise Http404
    context["kept"] = kept
    recreated = recreation_of(entry)
    if recreated is not None or restore_underway(entry):
        context.update({"recreated": recreated, "underway": recreated is None})
        return render(request, "handlers_app/journal_restore.html", context)
    try:
        current = _current(connection, entry)
    except SoclookError as exc:
        context.update({"error": exc.message, "read_failed": True})
        return render(request, "handlers_app/journal_restore.html", context)
    lines = change_lines(handler_changes(current, kept))
    context.update({"current": current, "lines": lines})
    if request.method == "POST" and (current is None or lines):
        try:
            handler_id = handler_restore(
                connection=connection, user=request.user, entry=entry, current=current
            )
        except RestoreUnderway as exc:
            context.update({"recreated": exc.recreated, "underway": exc.recreated is None})
        except SoclookError as exc:
            context["error"] = exc.message
        else:
            if current is None:
                message = _("“%(name)s” is back, as handler #%(id)d.")
            else:
                message = _("“%(name)s” (#%(id)d) is back to its earlier state.")
            messages.success(request, message % {"name": kept.name, "id": handler_id})
            return redirect("handler_journal", connection_id=connection.pk, handler_id=handler_id)
    return render(request, "handlers_app/journal_restore.html", context)
