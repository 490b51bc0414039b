"""A saved set-up's page of where it is used: the handlers made from it, in the connections the
person may see, whether each still matches it and what an update would change; and the update
of those that differ, in the background (handlers_app.setup_links)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from handlers_app.access import connections_where, setup_for
from handlers_app.crypto import DecryptionError
from handlers_app.http import HtmxHttpRequest
from handlers_app.models import Role
from handlers_app.secret_flow import SecretsMayNotGo
from handlers_app.setup_links import UseState, setup_update_jobs_create, setup_uses
from handlers_app.views.jobs_started import jobs_start
from handlers_app.views.presets import UNREADABLE


@login_required
@require_http_methods(["GET", "POST"])
def setup_used(request: HtmxHttpRequest, team_id: int, setup_id: int) -> HttpResponse:
    """GET: where the set-up is used; POST: update the handlers that differ from it."""
    setup, _membership = setup_for(request.user, setup_id, role=Role.EDITOR)
    if setup.team_id != team_id:
        raise Http404
    visible = connections_where(request.user, role=Role.VIEWER)
    try:
        uses = setup_uses(setup=setup, connections=visible)
    except DecryptionError:
        messages.error(request, UNREADABLE)
        return redirect("setup_list", team_id=setup.team_id)
    context: dict[str, Any] = {"setup": setup}
    if request.method == "POST":
        editable = {c.pk for c in connections_where(request.user, role=Role.EDITOR)}
        try:
            jobs = setup_update_jobs_create(
                setup=setup,
                user=request.user,
                uses=[use for use in uses if use.link.connection_id in editable],
            )
        except SecretsMayNotGo as exc:
            messages.error(request, str(exc.message))
        else:
            context["outcomes"] = jobs_start(jobs)
            uses = setup_uses(setup=setup, connections=visible)
    context.update(
        {"uses": uses, "differing": sum(1 for use in uses if use.state == UseState.DIFFERS)}
    )
    return render(request, "handlers_app/setup_used.html", context)
