"""Copy handlers to another connection: choose where (GET), see what would be created and what
skipped (GET with `destination`), copy (POST), then the outcome of each handler.

The handlers come as `?ids=1,2,3` or as `?all=1` with the list's own filter (the list's row
action and its selection bar link here). Plain forms and links: it all works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from handlers_app.access import connection_for, copy_destinations
from handlers_app.forms import CopyDestinationForm
from handlers_app.http import HtmxHttpRequest
from handlers_app.models import Connection, Role
from handlers_app.sharing import (
    COPY_MAX_HANDLERS,
    CopyItem,
    CopyOutcome,
    Selection,
    SelectionError,
    copy_plan,
    copy_sources,
    handlers_copy,
)
from handlers_app.soclook.errors import SoclookError

TEMPLATE = "handlers_app/handler_copy.html"


@login_required
@require_http_methods(["GET", "POST"])
def handlers_copy_view(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    access = connection_for(request.user, connection_id, role=Role.EDITOR)
    connection = access.connection
    params = request.POST if request.method == "POST" else request.GET
    selection = Selection.from_params(params)
    destinations = copy_destinations(request.user, access)
    form = CopyDestinationForm(
        params if "destination" in params else None, destinations=destinations
    )
    context: dict[str, Any] = {
        "connection": connection,
        "form": form,
        "has_destinations": destinations.exists(),
        "selection_params": selection.to_params(),
        "action": reverse("handlers_copy", args=[connection.pk]),
        "list_url": connection.get_absolute_url(),
        "max_handlers": COPY_MAX_HANDLERS,
    }
    try:
        sources, missing = copy_sources(connection=connection, selection=selection)
    except SelectionError as exc:
        return _render(request, context, selection_error=exc.message)
    except SoclookError as exc:
        return _render(request, context, service_error=exc.message)
    context.update(sources=sources, missing=missing)
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


def _render(request: HtmxHttpRequest, context: dict[str, Any], **more: Any) -> HttpResponse:
    context.update(more)
    plan: list[CopyItem] | None = context.get("plan")
    if plan is not None:
        context["to_create"] = [item for item in plan if not item.skipped]
        context["to_skip"] = [item for item in plan if item.skipped]
    context["back_to_choice_url"] = context["action"] + "?" + urlencode(context["selection_params"])
    return render(request, TEMPLATE, context)
