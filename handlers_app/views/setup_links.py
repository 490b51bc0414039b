"""A saved set-up's page of where it is used: the handlers made from it, in the connections the
person may see, and whether each still matches it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from handlers_app.access import connections_where, setup_for
from handlers_app.crypto import DecryptionError
from handlers_app.http import HtmxHttpRequest
from handlers_app.models import Role
from handlers_app.setup_links import UseState, setup_uses
from handlers_app.views.presets import UNREADABLE


@login_required
@require_GET
def setup_used(request: HtmxHttpRequest, team_id: int, setup_id: int) -> HttpResponse:
    setup, _membership = setup_for(request.user, setup_id, role=Role.EDITOR)
    if setup.team_id != team_id:
        raise Http404
    try:
        uses = setup_uses(
            setup=setup, connections=connections_where(request.user, role=Role.VIEWER)
        )
    except DecryptionError:
        messages.error(request, UNREADABLE)
        return redirect("setup_list", team_id=setup.team_id)
    context = {
        "setup": setup,
        "uses": uses,
        "differing": sum(1 for use in uses if use.state == UseState.DIFFERS),
    }
    return render(request, "handlers_app/setup_used.html", context)
