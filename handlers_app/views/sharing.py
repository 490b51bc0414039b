"""Copy handlers to another connection: choose where (GET), see what would be created and what
skipped (GET with `destination`), copy (POST), then the outcome of each handler.

The handlers come as `?ids=1,2,3` or as `?all=1` with the list's own filter (the list's row
action and its selection bar link here), in the bulk bar's shape (handlers_app.bulk). A copy of
at most RUN_AT_ONCE_UP_TO handlers is made while the person waits and its outcome shown here;
a bigger one is a bulk job in the background, whose page follows it. Plain forms and links: it
all works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from handlers_app.access import connection_for, copy_destinations
from handlers_app.bulk import (
    BULK_MAX_HANDLERS,
    RUN_AT_ONCE_UP_TO,
    Selection,
    bulk_copy_job_create,
    bulk_job_start,
    selection_from_params,
    selection_handlers,
)
from handlers_app.forms import CopyDestinationForm
from handlers_app.http import HtmxHttpRequest
from handlers_app.models import BulkAction, BulkJob, BulkStatus, Connection, Role
from handlers_app.sharing import (
    CopyItem,
    CopyOutcome,
    copy_plan,
    handlers_copy,
)
from handlers_app.soclook import Handler
from handlers_app.soclook.errors import SoclookError
from handlers_app.views.list_place import NEXT_PARAM, list_at, place_from, with_place

TEMPLATE = "handlers_app/handler_copy.html"


@login_required
@require_http_methods(["GET", "POST"])
def handlers_copy_view(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    access = connection_for(request.user, connection_id, role=Role.EDITOR)
    connection = access.connection
    params = request.POST if request.method == "POST" else request.GET
    selection = selection_from_params(params)
    destinations = copy_destinations(request.user, access)
    form = CopyDestinationForm(
        params if "destination" in params else None, destinations=destinations
    )
    # The list it came from, to go back to as it was (its filter, order and page).
    place = place_from(params)
    selection_params = selection.to_params() if selection else {}
    if place:
        selection_params = {**selection_params, NEXT_PARAM: place}
    context: dict[str, Any] = {
        "connection": connection,
        "form": form,
        "has_destinations": destinations.exists(),
        "selection_params": selection_params,
        "action": reverse("handlers_copy", args=[connection.pk]),
        "list_url": list_at(connection, place),
        "max_handlers": BULK_MAX_HANDLERS,
        "run_at_once_up_to": RUN_AT_ONCE_UP_TO,
    }
    if selection is None:
        return _render(request, context, selection_error=_("No handlers were selected to copy."))
    try:
        sources, matched = selection_handlers(connection=connection, selection=selection)
    except SoclookError as exc:
        return _render(request, context, service_error=exc.message)
    if matched > BULK_MAX_HANDLERS:
        message = _(
            "%(count)s handlers match this filter; one copy takes at most %(limit)s. Narrow the "
            "filter and copy the rest in a second step."
        ) % {"count": matched, "limit": BULK_MAX_HANDLERS}
        return _render(request, context, selection_error=message)
    context.update(sources=sources, missing=_missing(selection, sources))
    if not form.is_bound or not form.is_valid():
        return _render(request, context)

    destination: Connection = form.cleaned_data["destination"]
    context["destination"] = destination
    try:
        plan = copy_plan(sources=sources, destination=destination)
    except SoclookError as exc:
        return _render(request, context, service_error=exc.message)
    if request.method == "GET":
        return _render(request, context, plan=plan)
    if sum(not item.skipped for item in plan) > RUN_AT_ONCE_UP_TO:
        response = _copy_in_background(request, connection, destination, plan)
        return redirect(with_place(response.url, place))
    results = handlers_copy(destination=destination, user=request.user, plan=plan)
    counts = {outcome: 0 for outcome in CopyOutcome}
    for result in results:
        counts[result.outcome] += 1
    return _render(
        request,
        context,
        results=results,
        created=counts[CopyOutcome.CREATED],
        skipped=counts[CopyOutcome.SKIPPED],
        not_copied=len(results) - counts[CopyOutcome.CREATED] - counts[CopyOutcome.SKIPPED],
        destination_url=destination.get_absolute_url(),
    )


def _copy_in_background(
    request: HtmxHttpRequest, source: Connection, destination: Connection, plan: list[CopyItem]
) -> HttpResponse:
    """Start the copy as a bulk job and open its page; a copy between the same two connections
    still running is opened instead, so that a second click or tab copies nothing twice."""
    running = BulkJob.objects.filter(
        connection=source,
        destination=destination,
        action=BulkAction.COPY,
        status__in=(BulkStatus.QUEUED, BulkStatus.RUNNING),
    ).first()
    if running is not None:
        messages.info(
            request,
            _("A copy to “%(name)s” is already under way: here is its progress.")
            % {"name": destination.name},
        )
        job = running
    else:
        job = bulk_copy_job_create(
            source=source, destination=destination, user=request.user, plan=plan
        )
        bulk_job_start(job=job)
    return redirect("handler_bulk_job", source.pk, job.pk)


def _missing(selection: Selection, found: list[Handler]) -> int:
    """How many of the listed ids are no longer among the account's handlers."""
    return 0 if selection.ids is None else len(selection.ids) - len(found)


def _render(request: HtmxHttpRequest, context: dict[str, Any], **more: Any) -> HttpResponse:
    context.update(more)
    plan: list[CopyItem] | None = context.get("plan")
    if plan is not None:
        context["to_create"] = [item for item in plan if not item.skipped]
        context["to_skip"] = [item for item in plan if item.skipped]
    context["back_to_choice_url"] = context["action"] + "?" + urlencode(context["selection_params"])
    return render(request, TEMPLATE, context)
