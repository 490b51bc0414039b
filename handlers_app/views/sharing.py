"""Copy handlers to another connection: choose where (GET), see what would be created and what
skipped (GET with `destination`), copy (POST), then the outcome of each handler.

The handlers come as `?ids=1,2,3` or as `?all=1` with the list's own filter (the list's row
action and its selection bar link here), in the selection's shape (handlers_app.batches). A copy
is a job: one of at most RUN_AT_ONCE_UP_TO handlers is made while the person waits and its
outcome shown here; a bigger one runs in the background, and its page follows it. Plain forms
and links: it all works without JavaScript.
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
from handlers_app.batches import (
    MAX_SELECTED,
    RUN_AT_ONCE_UP_TO,
    ItemOutcome,
    Job,
    JobAction,
    JobStatus,
    PlanItem,
    Selection,
    job_start,
    selection_handlers,
    selection_read,
)
from handlers_app.forms.copying import CopyDestinationForm
from handlers_app.http import HtmxHttpRequest
from handlers_app.models import Connection, Role
from handlers_app.sharing import copy_job_create, copy_plan
from handlers_app.soclook import Handler
from handlers_app.soclook.errors import SoclookError
from handlers_app.views.list_page import NEXT_PARAM, list_at, place_from, with_place

TEMPLATE = "handlers_app/handler_copy.html"


@login_required
@require_http_methods(["GET", "POST"])
def handlers_copy_view(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    access = connection_for(request.user, connection_id, role=Role.EDITOR)
    connection = access.connection
    params = request.POST if request.method == "POST" else request.GET
    selection, invalid = selection_read(params)
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
        "max_handlers": MAX_SELECTED,
        "run_at_once_up_to": RUN_AT_ONCE_UP_TO,
    }
    if selection is None:
        return _render(
            request, context, selection_error=invalid or _("No handlers were selected to copy.")
        )
    try:
        sources, matched = selection_handlers(connection=connection, selection=selection)
    except SoclookError as exc:
        return _render(request, context, service_error=exc.message)
    if matched > MAX_SELECTED:
        message = _(
            "%(count)s handlers match this filter; one copy takes at most %(limit)s. Narrow the "
            "filter and copy the rest in a second step."
        ) % {"count": matched, "limit": MAX_SELECTED}
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
    job = _copy_job(request, connection, destination, plan)
    in_background = sum(item.will_add for item in plan) > RUN_AT_ONCE_UP_TO
    if in_background or job.status != JobStatus.FINISHED:
        # In the background, or stopped (Soclook down, the budget): its page says how far it got.
        return redirect(
            with_place(reverse("handler_bulk_job", args=[connection.pk, job.pk]), place)
        )
    return _render(
        request, context, **_results(job, plan), destination_url=destination.get_absolute_url()
    )


def _copy_job(
    request: HtmxHttpRequest,
    source: Connection,
    destination: Connection,
    plan: list[PlanItem[Handler]],
) -> Job:
    """Start the copy as a job (a few handlers while the person waits); a copy between the same
    two connections still running is opened instead, so that a second click or tab copies
    nothing twice."""
    running = Job.objects.filter(
        connection=source,
        destination=destination,
        action=JobAction.COPY,
        status__in=(JobStatus.QUEUED, JobStatus.RUNNING),
    ).first()
    if running is not None:
        messages.info(
            request,
            _("A copy to “%(name)s” is already under way: here is its progress.")
            % {"name": destination.name},
        )
        return running
    job = copy_job_create(source=source, destination=destination, user=request.user, plan=plan)
    job_start(job=job)
    job.refresh_from_db()
    return job


def _results(job: Job, plan: list[PlanItem[Handler]]) -> dict[str, Any]:
    """What became of each handler of a copy made while the person waited."""
    outcomes = {item.handler_id: item for item in job.items.all()}
    results = [
        {
            "item": item,
            "outcome": outcomes[item.subject.id].outcome,
            "message": outcomes[item.subject.id].message,
        }
        for item in plan
        if item.subject.id in outcomes
    ]
    created = sum(1 for r in results if r["outcome"] == ItemOutcome.CREATED)
    skipped = sum(1 for r in results if r["outcome"] == ItemOutcome.SKIPPED)
    return {
        "results": results,
        "created": created,
        "skipped": skipped,
        "not_copied": len(results) - created - skipped,
    }


def _missing(selection: Selection, found: list[Handler]) -> int:
    """How many of the listed ids are no longer among the account's handlers."""
    return 0 if selection.ids is None else len(selection.ids) - len(found)


def _render(request: HtmxHttpRequest, context: dict[str, Any], **more: Any) -> HttpResponse:
    context.update(more)
    plan: list[PlanItem[Handler]] | None = context.get("plan")
    if plan is not None:
        context["to_create"] = [item for item in plan if item.will_add]
        context["to_skip"] = [item for item in plan if item.skipped]
        context["not_creatable"] = [item for item in plan if item.reason]
    context["back_to_choice_url"] = context["action"] + "?" + urlencode(context["selection_params"])
    return render(request, TEMPLATE, context)
