"""Home, first-run set-up, and connections (an owner's business)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from handlers_app.access import connection_for, memberships_of, teams_where
from handlers_app.first_run import first_admin_create, setup_code_needed
from handlers_app.forms.accounts import FirstAdminForm
from handlers_app.forms.connections import ConnectionForm
from handlers_app.health.notify import language_remember
from handlers_app.health.service import health_counts
from handlers_app.http import HtmxHttpRequest
from handlers_app.in_flight import Busy, outbound_turn
from handlers_app.models import Connection, Role
from handlers_app.services import ConnectionCheckFailed, connection_delete, connection_save
from handlers_app.teams import TEAM_CREATION_REFUSED, team_creation_allowed, team_for_new_owner
from handlers_app.throttle import SETUP_CODE, attempt_counted, attempt_refused


def _no_users_yet() -> bool:
    return not get_user_model().objects.exists()


def home(request: HtmxHttpRequest) -> HttpResponse:
    if _no_users_yet():
        return redirect("first_admin")
    if not request.user.is_authenticated:
        return redirect_to_login("/")
    memberships = list(memberships_of(request.user))
    connections = Connection.objects.filter(team__in=[m.team for m in memberships])
    by_team = {m.team_id: [] for m in memberships}
    # Health at a glance: per connection, how many handlers the last checks found in each state.
    health = health_counts(c.pk for c in connections)
    for connection in connections:
        connection.health = health.get(connection.pk)
        by_team[connection.team_id].append(connection)
    language_remember(user=request.user, language=request.LANGUAGE_CODE)
    teams = [
        {
            "team": m.team,
            "membership": m,
            "connections": by_team[m.team_id],
            "can_manage": m.allows(Role.OWNER),
        }
        for m in memberships
    ]
    can_create_team = team_creation_allowed(user=request.user)
    can_add = bool(teams_where(request.user, role=Role.OWNER)) or (not teams and can_create_team)
    return render(
        request,
        "handlers_app/home.html",
        {
            "teams": teams,
            "can_add": can_add,
            "can_create_team": can_create_team,
            # Replace a destination everywhere: for whoever may edit some connection's handlers.
            "can_replace": any(m.allows(Role.EDITOR) and by_team[m.team_id] for m in memberships),
        },
    )


@require_http_methods(["GET", "POST"])
def first_admin(request: HtmxHttpRequest) -> HttpResponse:
    """On a fresh database the first visitor creates the administrator; then this page is gone.
    With DEBUG off only a visitor who types the setup code printed to the server's log may
    (handlers_app.first_run); wrong codes are throttled like sign-in."""
    if not _no_users_yet():
        raise Http404
    needs_code = setup_code_needed()
    if request.method == "POST" and needs_code:
        refused = attempt_refused(request, name=SETUP_CODE)
        if refused:
            return refused
    form = FirstAdminForm(request.POST or None, needs_code=needs_code)
    if request.method == "POST" and form.is_valid():
        user = first_admin_create(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            team_name=form.cleaned_data["team_name"],
            setup_code=form.cleaned_data.get("setup_code", ""),
        )
        if user is not None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome! Now add your first connection."))
            return redirect("connection_new")
        form.add_error(
            "setup_code",
            _(
                "This is not the current setup code. Copy it again from the server's log; "
                "only the latest one works, and only once."
            ),
        )
        paused = attempt_counted(request, name=SETUP_CODE)
        if paused:
            return paused
    return render(
        request, "handlers_app/first_admin.html", {"form": form, "needs_code": needs_code}
    )


@login_required
@require_http_methods(["GET", "POST"])
def connection_new(request: HtmxHttpRequest) -> HttpResponse:
    teams = teams_where(request.user, role=Role.OWNER)
    if not teams and memberships_of(request.user).exists():
        # Members who own no team may not add connections to it.
        raise PermissionDenied
    if not teams and not team_creation_allowed(user=request.user):
        # The connection would need a team of its own.
        messages.error(request, TEAM_CREATION_REFUSED)
        return redirect("home")
    form = ConnectionForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        connection: Connection = form.save(commit=False)
        connection.team = form.cleaned_data.get("team") or (
            teams[0] if teams else team_for_new_owner(user=request.user)
        )
        if _checked_and_saved(request, form, connection):
            messages.success(request, _("Connected to “%(name)s”.") % {"name": connection.name})
            return redirect(connection)
    return render(request, "handlers_app/connection_form.html", {"form": form, "connection": None})


@login_required
@require_http_methods(["GET", "POST"])
def connection_edit(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    access = connection_for(request.user, connection_id, role=Role.OWNER)
    connection = access.connection
    form = ConnectionForm(request.POST or None, instance=connection, teams=[])
    saving = request.method == "POST" and form.is_valid()
    if saving and _checked_and_saved(request, form, form.save(commit=False)):
        messages.success(request, _("Saved “%(name)s”.") % {"name": connection.name})
        return redirect("home")
    return render(
        request, "handlers_app/connection_form.html", {"form": form, "connection": connection}
    )


@login_required
@require_http_methods(["GET", "POST"])
def connection_remove(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    access = connection_for(request.user, connection_id, role=Role.OWNER)
    connection = access.connection
    if request.method == "POST":
        name = connection.name
        connection_delete(connection=connection, user=request.user)
        messages.success(
            request,
            _("Removed “%(name)s” from the dashboard. Its handlers in Soclook are untouched.")
            % {"name": name},
        )
        if request.htmx:
            return HttpResponseClientRedirect("/")
        return redirect("home")
    return render(request, "handlers_app/connection_delete.html", {"connection": connection})


def _checked_and_saved(
    request: HtmxHttpRequest, form: ConnectionForm, connection: Connection
) -> bool:
    """Save the connection once Soclook took its key (one check of a person at a time); when
    not, the form says why."""
    try:
        with outbound_turn(user_id=request.user.pk, seconds=settings.SOCLOOK_TIMEOUT):
            connection_save(
                connection=connection, api_key=form.cleaned_data["api_key"], user=request.user
            )
    except Busy as busy:
        form.add_error(None, busy.message)
    except ConnectionCheckFailed as exc:
        form.add_error(exc.field, exc.message)
    else:
        return True
    return False
