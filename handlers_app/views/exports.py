"""The export page: which handlers (`?ids=1,2,3`, the list's own query string, or nothing for
all), the format, and for owners "include secrets"; its form downloads the file.

Editors and owners export; a viewer is refused, as for every other way of sharing a set-up. An
export with secrets is downloaded only after a second, confirming submit of the form: the page
shows what the file will hold first (without JavaScript too). Reading the handlers costs at most
one request to Soclook (handlers_app.exports).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from handlers_app.access import connection_for
from handlers_app.batches import MAX_SELECTED, Selection, SelectionInvalid, selection_from_params
from handlers_app.csv_files import csv_response
from handlers_app.exports import (
    EXPORT_MAX_HANDLERS,
    ExportFormat,
    TooManyToExport,
    export_csv_rows,
    export_document,
    export_handlers,
    export_json,
    export_record,
)
from handlers_app.forms import HandlerExportForm
from handlers_app.http import HtmxHttpRequest
from handlers_app.models import Connection, Role
from handlers_app.secret_flow import secrets_may_leave
from handlers_app.soclook import Handler, HandlerStatus, ListQuery
from handlers_app.soclook.errors import SoclookError
from handlers_app.soclook.types import get_handler_type

TEMPLATE = "handlers_app/handler_export.html"


@login_required
@require_http_methods(["GET", "POST"])
def handler_export(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    access = connection_for(request.user, connection_id, role=Role.EDITOR)
    connection = access.connection
    # The secrets go into a file only by an owner of the team (handlers_app.secret_flow).
    may_include_secrets = secrets_may_leave(request.user, team_id=connection.team_id)
    if request.method == "POST" and "include_secrets" in request.POST and not may_include_secrets:
        raise PermissionDenied
    form = HandlerExportForm(
        request.POST if request.method == "POST" else None,
        can_include_secrets=may_include_secrets,
    )
    handlers: list[Handler] = []
    problem = ""
    scope = Selection(query=ListQuery(results_per_page=MAX_SELECTED))
    try:
        scope = selection_from_params(request.GET, all_by_default=True) or scope
    except SelectionInvalid as exc:
        problem = str(exc.message)
    try:
        if not problem:
            handlers = export_handlers(connection=connection, selection=scope)
    except TooManyToExport as exc:
        problem = _(
            "%(total)d handlers match; an export holds at most %(max)d, as an import takes at "
            "most that many. Narrow the list's filter (by type or status, say) and export each "
            "part."
        ) % {"total": exc.total, "max": EXPORT_MAX_HANDLERS}
    except SoclookError as exc:
        problem = exc.message
    confirming = False
    if request.method == "POST" and not problem and handlers and form.is_valid():
        file_format = ExportFormat(form.cleaned_data["file_format"])
        include_secrets = bool(form.cleaned_data.get("include_secrets"))
        if include_secrets and not form.cleaned_data["confirmed"]:
            confirming = True
        else:
            export_record(
                connection=connection,
                user=request.user,
                count=len(handlers),
                file_format=file_format,
                include_secrets=include_secrets,
            )
            return _download(connection, handlers, file_format, include_secrets=include_secrets)
    return render(
        request,
        TEMPLATE,
        _context(connection, scope, handlers, form, problem=problem, confirming=confirming),
    )


def _download(
    connection: Connection,
    handlers: list[Handler],
    file_format: ExportFormat,
    *,
    include_secrets: bool,
) -> HttpResponse:
    stem = "-".join(
        part
        for part in ("handlers", slugify(connection.name), timezone.now().strftime("%Y-%m-%d"))
        if part
    )
    filename = f"{stem}.{file_format.value}"
    if file_format is ExportFormat.CSV:
        response = csv_response(
            export_csv_rows(handlers=handlers, include_secrets=include_secrets), filename=filename
        )
    else:
        document = export_document(
            connection=connection, handlers=handlers, include_secrets=include_secrets
        )
        response = HttpResponse(export_json(document), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Nothing on the way may keep a copy of a file that can hold secrets.
    response["Cache-Control"] = "no-store"
    return response


def _context(
    connection: Connection,
    scope: Selection,
    handlers: list[Handler],
    form: HandlerExportForm,
    *,
    problem: str,
    confirming: bool,
) -> dict[str, Any]:
    query = scope.query
    return {
        "connection": connection,
        "form": form,
        "handlers": handlers,
        "problem": problem,
        "confirming": confirming,
        "scope": scope,
        # Any type the list may filter by: one only displayed, or one the dashboard never heard of.
        "filter_type_label": get_handler_type(query.type).label if query.type else "",
        "filter_status_label": (
            HandlerStatus(query.is_enabled).label if query.is_enabled is not None else ""
        ),
        "export_url": _with_params(
            reverse("handler_export", args=[connection.pk]),
            scope.to_params() if scope.ids is not None else scope.list_params(),
        ),
        "list_url": _with_params(connection.get_absolute_url(), scope.list_params()),
    }


def _with_params(url: str, params: dict[str, str]) -> str:
    return f"{url}?{urlencode(params)}" if params else url
