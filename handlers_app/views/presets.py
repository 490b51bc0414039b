"""Saved set-ups of a team: save one from a handler, list, change, delete, and add one to
several connections at once after a preview of where it would be added and where skipped.
Editors and owners only: a set-up holds a handler's secrets.

A set-up's secrets never reach a page: they show as "set", and a form leaves them empty (an
empty secret keeps the stored one).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from handlers_app.access import connection_for, connections_where, setup_for, team_for
from handlers_app.batches import selection_handlers, selection_read
from handlers_app.crypto import DecryptionError
from handlers_app.forms.setups import SetupApplyForm, SetupForm, SetupSaveForm
from handlers_app.http import HtmxHttpRequest
from handlers_app.models import Membership, Role, SavedSetup
from handlers_app.presets import (
    APPLY_MAX_CONNECTIONS,
    SAVE_MAX_HANDLERS,
    setup_apply,
    setup_apply_plan,
    setup_as_handler,
    setup_delete,
    setup_list,
    setup_of_handler,
    setup_update,
)
from handlers_app.secret_flow import secrets_may_go
from handlers_app.selectors import handler_get
from handlers_app.soclook.errors import SoclookError
from handlers_app.views.list_page import list_at, place_from

UNREADABLE = gettext_lazy(
    "The settings of this set-up can no longer be read: the encryption key they were saved "
    "with is gone. Delete it and save it again from a handler."
)

UNKNOWN_TYPE = gettext_lazy(
    "This dashboard does not know this handler's type, so it cannot save it as a set-up."
)


@login_required
@require_http_methods(["GET", "POST"])
def setup_save(request: HtmxHttpRequest, connection_id: int, handler_id: int) -> HttpResponse:
    """Save a handler's type and settings as a set-up of the connection's team."""
    connection = connection_for(request.user, connection_id, role=Role.EDITOR).connection
    try:
        current = handler_get(connection=connection, handler_id=handler_id)
    except SoclookError as exc:
        messages.error(request, exc.message)
        return redirect(connection.get_absolute_url())
    if not current.handler_type.is_known:
        messages.error(
            request,
            UNKNOWN_TYPE,
        )
        return redirect(connection.get_absolute_url())
    form = SetupSaveForm(request.POST or None, initial={"name": current.name})
    if request.method == "POST" and form.is_valid():
        setup = setup_of_handler(
            team=connection.team, user=request.user, handler=current, name=form.cleaned_data["name"]
        )
        messages.success(
            request,
            _("Saved “%(name)s” as a set-up of %(team)s.")
            % {"name": setup.name, "team": connection.team.name},
        )
        return redirect(list_at(connection, place_from(request.POST)))
    return render(
        request,
        "handlers_app/setup_save.html",
        {
            "connection": connection,
            "handler": current,
            "form": form,
            "place": place_from(request.POST or request.GET),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def setup_save_many(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    """Save each of the selected handlers (`ids=1,2,3`, from the list's selection) as a set-up
    of the connection's team, under its own name."""
    connection = connection_for(request.user, connection_id, role=Role.EDITOR).connection
    params = request.POST if request.method == "POST" else request.GET
    selection, invalid = selection_read(params)
    if invalid:
        messages.error(request, invalid)
        return redirect(connection.get_absolute_url())
    if selection is None:
        messages.warning(request, _("Tick the handlers first, or “all matching this filter”."))
        return redirect(connection.get_absolute_url())
    matched = len(selection.ids or ())
    if matched <= SAVE_MAX_HANDLERS:
        try:
            handlers, matched = selection_handlers(connection=connection, selection=selection)
        except SoclookError as exc:
            messages.error(request, exc.message)
            return redirect(connection.get_absolute_url())
    if matched > SAVE_MAX_HANDLERS:
        messages.error(
            request,
            _("Choose at most %(max)d handlers to save as set-ups at a time (you chose %(count)d).")
            % {"max": SAVE_MAX_HANDLERS, "count": matched},
        )
        return redirect(connection.get_absolute_url())
    found = [h for h in handlers if h.handler_type.is_known]
    problems = [(h.id, str(UNKNOWN_TYPE)) for h in handlers if not h.handler_type.is_known]
    if selection.ids is not None:
        listed = {h.id for h in handlers}
        problems += [
            (handler_id, str(_("This handler no longer exists.")))
            for handler_id in selection.ids
            if handler_id not in listed
        ]
    if request.method == "POST" and found:
        for handler in found:
            setup_of_handler(
                team=connection.team, user=request.user, handler=handler, name=handler.name
            )
        messages.success(
            request,
            ngettext(
                "Saved %(count)d set-up in %(team)s.",
                "Saved %(count)d set-ups in %(team)s.",
                len(found),
            )
            % {"count": len(found), "team": connection.team.name},
        )
        return redirect(list_at(connection, place_from(request.POST)))
    return render(
        request,
        "handlers_app/setup_save_many.html",
        {
            "connection": connection,
            "handlers": found,
            "problems": problems,
            "ids": ",".join(str(h.id) for h in found),
            "place": place_from(request.POST or request.GET),
        },
    )


@login_required
@require_GET
def setup_list_page(request: HtmxHttpRequest, team_id: int) -> HttpResponse:
    team, _membership = team_for(request.user, team_id, role=Role.EDITOR)
    rows = [
        {"setup": setup, "settings": _shown_settings(setup)} for setup in setup_list(teams=[team])
    ]
    return render(request, "handlers_app/setup_list.html", {"team": team, "rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def setup_edit(request: HtmxHttpRequest, team_id: int, setup_id: int) -> HttpResponse:
    setup, _membership = _setup(request, team_id, setup_id)
    try:
        stored = setup_as_handler(setup)
    except DecryptionError:
        messages.error(request, UNREADABLE)
        return redirect("setup_list", team_id=setup.team_id)
    form = SetupForm(request.POST if request.method == "POST" else None, stored=stored)
    if request.method == "POST" and form.is_valid():
        setup_update(
            setup=setup,
            user=request.user,
            name=form.cleaned_data["name"],
            settings=form.settings,
        )
        messages.success(request, _("Saved “%(name)s”.") % {"name": setup.name})
        return redirect("setup_list", team_id=setup.team_id)
    return render(request, "handlers_app/setup_edit.html", {"setup": setup, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def setup_remove(request: HtmxHttpRequest, team_id: int, setup_id: int) -> HttpResponse:
    setup, _membership = _setup(request, team_id, setup_id)
    if request.method == "POST":
        name = setup.name
        setup_delete(setup=setup, user=request.user)
        messages.success(request, _("Deleted the set-up “%(name)s”.") % {"name": name})
        return redirect("setup_list", team_id=team_id)
    return render(request, "handlers_app/setup_delete.html", {"setup": setup})


@login_required
@require_http_methods(["GET", "POST"])
def setup_apply_page(request: HtmxHttpRequest, team_id: int, setup_id: int) -> HttpResponse:
    """Add a set-up to several connections, each with its own client and request budget: the
    choice (GET, or a POST with `edit`), what would be added where and what skipped (POST), the
    adding (POST with `confirm`), then what came of it in each."""
    setup, _membership = _setup(request, team_id, setup_id)
    if _shown_settings(setup) is None:
        messages.error(request, UNREADABLE)
        return redirect("setup_list", team_id=setup.team_id)
    editable = connections_where(request.user, role=Role.EDITOR)
    # Another team's connections only where the set-up's secrets may go (an owner of its team).
    allowed = [
        c
        for c in editable
        if secrets_may_go(request.user, source_team_id=setup.team_id, destination=c)
    ]
    form = SetupApplyForm(
        request.POST if request.method == "POST" else None,
        connections=allowed,
        max_connections=APPLY_MAX_CONNECTIONS,
        initial={"name": setup.name},
    )
    plan = outcomes = None
    if request.method == "POST" and form.is_valid() and "edit" not in request.POST:
        chosen = set(form.cleaned_data["connections"])
        plan = setup_apply_plan(
            setup=setup, user=request.user, connections=[c for c in allowed if c.pk in chosen]
        )
        if "confirm" in request.POST:
            outcomes = setup_apply(
                setup=setup, user=request.user, plan=plan, name=form.cleaned_data["name"]
            )
            plan = None
            # A second submit of the same choice would send everything again.
            form = SetupApplyForm(
                connections=allowed,
                max_connections=APPLY_MAX_CONNECTIONS,
                initial={"name": setup.name},
            )
    context: dict[str, Any] = {
        "setup": setup,
        "form": form,
        "plan": plan,
        "to_add": [item for item in plan or [] if item.will_add],
        "outcomes": outcomes,
        "added": sum(1 for o in outcomes or [] if o.added),
        "skipped": sum(1 for o in outcomes or [] if o.skipped),
        "settings": _shown_settings(setup),
        "no_connections": not allowed,
        "left_out_elsewhere": len(editable) - len(allowed),
    }
    return render(request, "handlers_app/setup_apply.html", context)


def _setup(request: HtmxHttpRequest, team_id: int, setup_id: int) -> tuple[SavedSetup, Membership]:
    setup, membership = setup_for(request.user, setup_id, role=Role.EDITOR)
    if setup.team_id != team_id:
        raise Http404
    return setup, membership


def _shown_settings(setup: SavedSetup) -> list[tuple[str, str]] | None:
    """Each setting as a page may show it: a secret only as "set"; None when unreadable."""
    try:
        values = setup.settings
    except DecryptionError:
        return None
    shown = []
    for field in setup.handler_type.fields:
        value = values.get(field.name, "")
        if not value:
            continue
        shown.append((str(field.label), str(_("set")) if field.secret else value))
    return shown
