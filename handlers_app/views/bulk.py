"""Bulk actions from the handler list: confirm, run, follow, cancel.

The list's bulk bar is a GET form to `handler_bulk` carrying the ticked rows (`ids`) or
`all=1` with the list's filters, and the action asked for. Switching on, off and deleting are
confirmed on a page that says how many handlers will change; the other actions (copy to a
connection, export, save as set-ups) belong to their own pages, which get the selection in the
agreed shape: `?ids=1,2,3`, or the list's query and `all=1`. Only editors reach these pages;
a viewer is refused before anything is sent to Soclook. A running job's page polls itself with
htmx (`#progress`); without JavaScript it has a Refresh link.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from handlers_app.access import connection_for
from handlers_app.batches import (
    MAX_SELECTED,
    RUN_AT_ONCE_UP_TO,
    ItemOutcome,
    Job,
    JobAction,
    job_counts,
    job_mark_list_refreshed,
    job_stalled,
    job_start,
    job_stop,
    job_waiting_seconds,
    selection_handlers,
    selection_read,
)
from handlers_app.bulk import BULK_ACTIONS, bulk_job_create, is_already
from handlers_app.http import HtmxHttpRequest
from handlers_app.models import Connection, Role
from handlers_app.soclook import ListQuery
from handlers_app.soclook.errors import SoclookError
from handlers_app.views.list_page import list_at, place_from, place_of, with_place

CONFIRM_TEMPLATE = "handlers_app/bulk_confirm.html"
JOB_TEMPLATE = "handlers_app/bulk_job.html"

# The bulk bar's actions that belong to other pages: the route each opens, and its label.
# A route that does not exist (yet) is not offered.
LINKED_FLOWS: dict[str, tuple[str, Any]] = {
    "copy": ("handlers_copy", gettext_lazy("Copy to a connection")),
    "export": ("handler_export", gettext_lazy("Export")),
    "save_presets": ("setup_save_many", gettext_lazy("Save as set-ups")),
    "snooze": ("handlers_snooze", gettext_lazy("Snooze")),
}

FLOWS_WITH_PAGES = ("copy", "save_presets")


def linked_flows(connection: Connection) -> list[tuple[str, Any]]:
    """The bulk bar's links to other pages whose routes exist: (action, label)."""
    return [
        (action, label)
        for action, (route, label) in LINKED_FLOWS.items()
        if _flow_url(route, connection) is not None
    ]


def _flow_url(route: str, connection: Connection) -> str | None:
    try:
        return reverse(route, args=[connection.pk])
    except NoReverseMatch:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def handler_bulk(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    """GET: the bulk bar's choice, confirmed on a page (or passed to another page's flow);
    POST: the confirmed change, run now or in the background."""
    access = connection_for(request.user, connection_id, role=Role.EDITOR)
    connection = access.connection
    params = request.POST if request.method == "POST" else request.GET
    selection, invalid = selection_read(params)
    if invalid:
        messages.error(request, invalid)
        return redirect(_back_url(connection, params))
    action_name = params.get("action", "")
    if selection is None:
        messages.warning(request, _("Tick the handlers first, or “all matching this filter”."))
        return redirect(_back_url(connection, params))
    if action_name in LINKED_FLOWS:
        url = _flow_url(LINKED_FLOWS[action_name][0], connection)
        if url is None:
            raise Http404
        url = f"{url}?{urlencode(selection.to_params(), safe=',')}"
        if action_name in FLOWS_WITH_PAGES:
            # Their pages lead back to the list as it was (an export is only a download).
            url = with_place(url, place_of(ListQuery.from_params(params)))
        return redirect(url)
    if action_name not in BULK_ACTIONS:
        messages.warning(request, _("Choose what to do with the ticked handlers."))
        return redirect(_back_url(connection, params))
    action = JobAction(action_name)
    try:
        handlers, matched = selection_handlers(connection=connection, selection=selection)
    except SoclookError as exc:
        messages.error(request, exc.message)
        return redirect(_back_url(connection, params))
    if matched > MAX_SELECTED:
        messages.error(
            request,
            _(
                "%(count)s handlers match this filter; one bulk action takes at most %(limit)s. "
                "Narrow the filter and try again."
            )
            % {"count": matched, "limit": MAX_SELECTED},
        )
        return redirect(_back_url(connection, params))
    to_change = [h for h in handlers if not is_already(h, action)]
    if request.method == "POST":
        if not to_change:
            messages.info(request, _("Nothing to change: every handler is already as asked."))
            return redirect(_back_url(connection, params))
        job = bulk_job_create(
            connection=connection, user=request.user, action=action, handlers=to_change
        )
        job_start(job=job)
        return redirect(with_place(_job_url(job), place_of(ListQuery.from_params(params))))
    return render(
        request,
        CONFIRM_TEMPLATE,
        {
            "connection": connection,
            "action": action,
            "selection": selection,
            "handlers": to_change,
            "unchanged": len(handlers) - len(to_change),
            "in_background": len(to_change) > RUN_AT_ONCE_UP_TO,
            "ids": ",".join(str(h.id) for h in to_change),
            "back_url": _back_url(connection, params),
            "list_params": _list_params(params),
            "post_url": reverse("handler_bulk", args=[connection.pk]),
        },
    )


@login_required
@require_GET
def handler_bulk_job(request: HtmxHttpRequest, connection_id: int, job_id: int) -> HttpResponse:
    connection = connection_for(request.user, connection_id, role=Role.EDITOR).connection
    job = _job_for(connection, job_id)
    job_mark_list_refreshed(job=job)
    template = f"{JOB_TEMPLATE}#progress" if request.htmx else JOB_TEMPLATE
    context = _job_context(connection, job, place=place_from(request.GET))
    context["destination"] = _destination_seen_by(request.user, job)
    # Whoever stopped it is told "You stopped it", the rest of the team "Someone on the team".
    context["stopped_by_you"] = (
        job.stopped_by_id is not None and job.stopped_by_id == request.user.pk
    )
    return render(request, template, context)


@login_required
@require_POST
def handler_bulk_cancel(request: HtmxHttpRequest, connection_id: int, job_id: int) -> HttpResponse:
    connection = connection_for(request.user, connection_id, role=Role.EDITOR).connection
    job = _job_for(connection, job_id)
    if job.is_active:
        job_stop(job=job, user=request.user)
        messages.info(request, _("Cancelled: the handlers not reached yet are left as they were."))
    return redirect(with_place(_job_url(job), place_from(request.GET)))


def _destination_seen_by(user: Any, job: Job) -> Connection | None:
    """A copy's destination, named only to a member of its team (a copy to another team's
    connection may be followed by a colleague who cannot tell that connection exists)."""
    if job.destination_id is None:
        return None
    try:
        return connection_for(user, job.destination_id).connection
    except Http404:
        return None


def _job_for(connection: Connection, job_id: int) -> Job:
    job = (
        Job.objects.filter(pk=job_id, connection=connection)
        .exclude(action=JobAction.IMPORT)
        .select_related("created_by", "connection")
        .first()
    )
    if job is None:
        raise Http404
    return job


def _job_context(connection: Connection, job: Job, *, place: str = "") -> dict[str, Any]:
    """What a job's page shows; `place` is the list it was started from (views/list_page.py)."""
    counts = job_counts(job)
    total = sum(counts.values())
    open_count = counts[ItemOutcome.PENDING] + counts[ItemOutcome.SENDING]
    return {
        "connection": connection,
        "job": job,
        "items": job.items.all(),
        "counts": counts,
        "total": total,
        "settled": total - open_count,
        # The handlers the job reached: a stopped job's "not sent" ones never were.
        "reached": total - open_count - counts[ItemOutcome.NOT_SENT],
        "waiting_seconds": job_waiting_seconds(job),
        "stalled": job_stalled(job),
        "job_url": with_place(_job_url(job), place),
        "cancel_url": with_place(
            reverse("handler_bulk_cancel", args=[connection.pk, job.pk]), place
        ),
        "list_url": list_at(connection, place),
    }


def _job_url(job: Job) -> str:
    return reverse("handler_bulk_job", args=[job.connection_id, job.pk])


def _list_params(params: Any) -> dict[str, str]:
    """The list's own query (filters, order, page) the bulk bar was sent from."""
    return ListQuery.from_params(params).to_params(omit_defaults=True)


def _back_url(connection: Connection, params: Any) -> str:
    """The list as it was shown, filters and all (never another address)."""
    query = _list_params(params)
    url = connection.get_absolute_url()
    return f"{url}?{urlencode(query)}" if query else url
