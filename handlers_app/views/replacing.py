"""Replace a destination everywhere: the form, what would change in each connection the person
may edit, and the jobs that change it (handlers_app.replacing)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from handlers_app.access import connections_where
from handlers_app.http import HtmxHttpRequest
from handlers_app.models import Role
from handlers_app.replacing import ReplaceForm, ReplaceKind, replace_find, replace_jobs_create
from handlers_app.secret_flow import SecretsMayNotGo
from handlers_app.views.jobs_started import jobs_start

TEMPLATE = "handlers_app/replace_everywhere.html"


@login_required
@require_http_methods(["GET", "POST"])
def replace_everywhere(request: HtmxHttpRequest) -> HttpResponse:
    """GET: the form; POST: what would change where; POST with `confirm`: the change, one job
    per connection, each followed on its job's page."""
    connections = connections_where(request.user, role=Role.EDITOR)
    form = ReplaceForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"form": form, "connections": connections}
    if request.method == "POST" and form.is_valid():
        kind = ReplaceKind(form.cleaned_data["kind"])
        old, new = form.cleaned_data["old"], form.cleaned_data["new"]
        found = replace_find(connections=connections, kind=kind, old=old)
        context.update(
            {
                "found": found,
                "to_change": sum(len(place.handlers) for place in found),
                "unread": [place for place in found if place.error],
            }
        )
        if "confirm" in request.POST:
            try:
                jobs = replace_jobs_create(
                    user=request.user, found=found, kind=kind, old=old, new=new
                )
            except SecretsMayNotGo as exc:
                form.add_error(None, exc.message)
            else:
                context["outcomes"] = jobs_start(jobs)
                # The form starts afresh: the same submit again would find nothing to change.
                context.update({"found": None, "form": ReplaceForm()})
    return render(request, TEMPLATE, context)
