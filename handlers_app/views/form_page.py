"""The handler form's page, which the create, edit and duplicate views render, and so does a
test sent from the form (handlers_app.views.testsend): the saved set-up a new handler starts
from, where the form's "Send a test" posts, and the page itself."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from handlers_app.access import setup_for, teams_where
from handlers_app.crypto import DecryptionError
from handlers_app.forms.handlers import HandlerForm
from handlers_app.http import HtmxHttpRequest
from handlers_app.models import ID_MAX_DIGITS, Connection, Role, SavedSetup
from handlers_app.presets import setup_as_handler, setup_list
from handlers_app.secret_flow import SecretsMayNotGo, secrets_may_go
from handlers_app.soclook import Handler, ListQuery
from handlers_app.soclook.errors import NotFound, OutcomeUnknown, SoclookError
from handlers_app.testsend.outcomes import Outcome
from handlers_app.views.list_page import list_url

FORM_TEMPLATE = "handlers_app/handler_form.html"


def chosen_setup(
    request: HtmxHttpRequest, connection: Connection
) -> tuple[SavedSetup | None, Handler | None]:
    """The saved set-up a new handler starts from (`setup` in the query or the form), with its
    settings as the form reads them; 404/403 unless the person is an editor of its team, and
    none (with a message) where its secrets may not go (handlers_app.secret_flow)."""
    raw = request.POST.get("setup") or request.GET.get("setup", "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > ID_MAX_DIGITS:
        return None, None
    setup, _membership = setup_for(request.user, int(raw), role=Role.EDITOR)
    if not secrets_may_go(request.user, source_team_id=setup.team_id, destination=connection):
        messages.error(request, SecretsMayNotGo.message)
        return None, None
    try:
        return setup, setup_as_handler(setup)
    except DecryptionError:
        # Its secrets can no longer be read: the form starts empty, as without a set-up.
        return None, None


def form_test_url(connection: Connection, handler_id: int | None) -> str:
    """Where the form's "Send a test" button posts what is typed (handlers_app.views.testsend)."""
    if handler_id is None:
        return reverse("handler_form_test", args=[connection.pk])
    return reverse("handler_edit_test", args=[connection.pk, handler_id])


def render_form(
    request: HtmxHttpRequest,
    *,
    connection: Connection,
    form: HandlerForm,
    back: ListQuery,
    handler_id: int | None = None,
    current: Handler | None = None,
    source: Handler | None = None,
    duplicate_of: int | None = None,
    service_error: SoclookError | None = None,
    test_outcome: Outcome | None = None,
    setup: SavedSetup | None = None,
    same_place: str | None = None,
) -> HttpResponse:
    if source is not None:
        duplicate_of = source.id
    # A duplicate's secrets are on the server only, so a test from its form could not use
    # them: it is tested from the list once saved.
    test_url = None if duplicate_of is not None else form_test_url(connection, handler_id)
    if duplicate_of is not None:
        action = reverse("handler_duplicate", args=[connection.pk, duplicate_of])
        fields_url = reverse("handler_fields", args=[connection.pk])
    elif handler_id is not None:
        action = reverse("handler_edit", args=[connection.pk, handler_id])
        fields_url = reverse("handler_edit_fields", args=[connection.pk, handler_id])
        if current is not None:
            fields_url += "?" + urlencode({"stored_type": current.type})
    else:
        action = reverse("handler_new", args=[connection.pk])
        fields_url = reverse("handler_fields", args=[connection.pk])
        if setup is not None:
            fields_url += "?" + urlencode({"setup": setup.pk})
    context: dict[str, Any] = {
        "connection": connection,
        "form": form,
        "current": current,
        "source": source,
        "action": action,
        "fields_url": fields_url,
        "list_url": list_url(connection, back),
        "service_error": service_error,
        "outcome_unknown": isinstance(service_error, OutcomeUnknown),
        "handler_gone": isinstance(service_error, NotFound),
        "test_url": test_url,
        "test_outcome": test_outcome,
        "setup": setup,
        "setups": [] if handler_id is not None else _usable_setups(request, connection),
        "same_place": same_place,
    }
    # Errors come back as a 200 so that htmx swaps the form in place.
    template = f"{FORM_TEMPLATE}#form" if request.htmx else FORM_TEMPLATE
    return render(request, template, context)


def _usable_setups(request: HtmxHttpRequest, connection: Connection) -> list[SavedSetup]:
    """The saved set-ups a new handler of `connection` may start from: those of its team the
    person edits, and of other teams only where their secrets may go there."""
    teams = [
        team
        for team in teams_where(request.user, role=Role.EDITOR)
        if secrets_may_go(request.user, source_team_id=team.pk, destination=connection)
    ]
    return list(setup_list(teams=teams))
