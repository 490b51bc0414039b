"""Snoozing one handler (the form, from the handler's More dialog or its edit page), a selection
(from the list's bulk bar, a job of handlers_app.batches), and "Switch on now" (from a row or
the form's page)."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import reswap

from handlers_app.access import connection_for
from handlers_app.batches import MAX_SELECTED, job_start, selection_handlers, selection_read
from handlers_app.http import HtmxHttpRequest
from handlers_app.journal.queries import handler_last_changes, handler_last_tests
from handlers_app.models import Role
from handlers_app.selectors import handler_get
from handlers_app.snooze.forms import SnoozeForm
from handlers_app.snooze.service import (
    SnoozeRefused,
    snooze_end_now,
    snooze_job_create,
    snooze_moment_check,
    snooze_start,
)
from handlers_app.snooze.state import snoozes_in_force
from handlers_app.soclook import Handler
from handlers_app.soclook.errors import NotFound, SoclookError

TEMPLATE = "handlers_app/handler_snooze.html"
MANY_TEMPLATE = "handlers_app/handlers_snooze.html"


@login_required
@require_http_methods(["GET", "POST"])
def handler_snooze(request: HtmxHttpRequest, connection_id: int, handler_id: int) -> HttpResponse:
    access = connection_for(request.user, connection_id, role=Role.EDITOR)
    connection = access.connection
    list_url = reverse("handler_list", args=[connection.pk])
    try:
        handler = handler_get(connection=connection, handler_id=handler_id)
    except NotFound as exc:
        messages.warning(request, exc.message)
        return redirect(list_url)
    except SoclookError as exc:
        context = {"connection": connection, "handler_id": handler_id, "error": exc.message}
        return render(request, TEMPLATE, {**context, "back_url": list_url})
    zone = timezone.get_current_timezone()
    form = SnoozeForm(
        request.POST if request.method == "POST" else None,
        zone_name=timezone.get_current_timezone_name(),
    )
    if request.method == "POST" and form.is_valid():
        until = form.end(now=timezone.now(), zone=zone)
        try:
            snooze_start(connection=connection, user=request.user, current=handler, until=until)
        except (SnoozeRefused, SoclookError) as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("“%(name)s” is off until %(moment)s; it switches back on by itself.")
                % {"name": handler.name, "moment": _moment_text(until)},
            )
            back = _back_url(request, list_url)
            joiner = "&" if "?" in back else "?"
            return redirect(f"{back}{joiner}highlight={handler.id}#handler-{handler.id}")
    context = {
        "connection": connection,
        "handler": handler,
        "handler_id": handler_id,
        "snooze": snoozes_in_force(connection=connection, handler_ids=[handler_id]).get(handler_id),
        "form": form,
        "back_url": _back_url(request, list_url),
    }
    return render(request, TEMPLATE, context)


def _back_url(request: HtmxHttpRequest, list_url: str) -> str:
    """The list the page was opened from (`?next=`, as the More dialog and the edit page send
    it), when it is this connection's list on this site; else the plain list."""
    candidate = request.GET.get("next", "")
    if candidate.startswith(list_url) and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return list_url


def _moment_text(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{date_format(local, 'DATE_FORMAT')} {time_format(local, 'H:i')}"


@login_required
@require_POST
def handler_snooze_end(
    request: HtmxHttpRequest, connection_id: int, handler_id: int
) -> HttpResponse:
    """ "Switch on now": end the snooze before its time. From a row, answers with the row."""
    access = connection_for(request.user, connection_id, role=Role.EDITOR)
    connection = access.connection
    list_url = reverse("handler_list", args=[connection.pk])
    snooze = snoozes_in_force(connection=connection, handler_ids=[handler_id]).get(handler_id)
    handler: Handler | None = None
    try:
        handler = handler_get(connection=connection, handler_id=handler_id)
        if snooze is not None:
            handler = snooze_end_now(
                connection=connection, user=request.user, snooze=snooze, current=handler
            )
    except NotFound as exc:
        messages.warning(request, exc.message)
        handler = None
    except SoclookError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(name)s” is on.") % {"name": handler.name})
    if not request.htmx:
        return redirect(list_url)
    if handler is None:
        # Gone, or unread: the row stays as it is, the message says why.
        return reswap(HttpResponse(""), "none")
    context = {
        "connection": connection,
        "can_edit": True,
        "list_url": list_url,
        "back_url": list_url,
        "handler": handler,
        "last_changes": handler_last_changes(connection=connection, handler_ids=[handler.id]),
        "last_tests": handler_last_tests(connection=connection, handler_ids=[handler.id]),
        "snoozes": snoozes_in_force(connection=connection, handler_ids=[handler.id]),
    }
    return render(request, "handlers_app/handler_list.html#row", context)


@login_required
@require_http_methods(["GET", "POST"])
def handlers_snooze(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    """The bulk bar's "Snooze": the ticked handlers (or all matching the filter) switched off
    until one moment, each switched back on by itself."""
    access = connection_for(request.user, connection_id, role=Role.EDITOR)
    connection = access.connection
    list_url = reverse("handler_list", args=[connection.pk])
    params = request.POST if request.method == "POST" else request.GET
    selection, invalid = selection_read(params)
    if invalid:
        messages.error(request, invalid)
        return redirect(list_url)
    if selection is None:
        messages.warning(request, _("Tick the handlers to snooze first."))
        return redirect(list_url)
    try:
        handlers, matched = selection_handlers(connection=connection, selection=selection)
    except SoclookError as exc:
        messages.error(request, exc.message)
        return redirect(list_url)
    if matched > MAX_SELECTED:
        messages.error(
            request,
            _("%(count)s handlers match this filter; a snooze takes at most %(limit)s.")
            % {"count": matched, "limit": MAX_SELECTED},
        )
        return redirect(list_url)
    snoozed = snoozes_in_force(connection=connection, handler_ids=[h.id for h in handlers])
    chosen = [h for h in handlers if h.is_enabled or h.id in snoozed]
    form = SnoozeForm(
        request.POST if request.method == "POST" else None,
        zone_name=timezone.get_current_timezone_name(),
    )
    if request.method == "POST" and form.is_valid() and chosen:
        until = form.end(now=timezone.now(), zone=timezone.get_current_timezone())
        try:
            snooze_moment_check(until)
        except SnoozeRefused as exc:
            form.add_error(None, exc.message)
        else:
            job = snooze_job_create(
                connection=connection, user=request.user, handlers=chosen, until=until
            )
            job_start(job=job)
            return redirect("handler_bulk_job", connection_id=connection.pk, job_id=job.pk)
    context = {
        "connection": connection,
        "handlers": chosen,
        "left_out": len(handlers) - len(chosen),
        "selection_params": selection.to_params(),
        "form": form,
        "back_url": list_url,
    }
    return render(request, MANY_TEMPLATE, context)
