"""Create and edit a handler: one form built from the type registry, whose settings fields are
swapped by htmx when the type changes.

Every page also works without JavaScript: the type picker's "Continue" button posts the form
with `_change_type`, which re-renders it for the chosen type without saving anything.

Adding or duplicating a handler that would send where one of the same type already does asks
first (handlers_app.same_place): the form comes back, as typed, with "Add it anyway"
(`same_place_ok`).

The list a form was opened from rides along in `next` (its address, checked to be the list's):
Cancel and Save go back to it as it was (page, filters, order), the saved row marked, and an
added handler's page is shown.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from handlers_app.access import connection_for, setup_for, teams_where
from handlers_app.crypto import DecryptionError
from handlers_app.forms import HandlerForm
from handlers_app.http import HtmxHttpRequest
from handlers_app.models import ID_MAX_DIGITS, Connection, Role, SavedSetup
from handlers_app.presets import (
    setup_as_handler,
    setup_handler_added,
    setup_list,
    setup_settings_with,
)
from handlers_app.same_place import same_place_as
from handlers_app.secret_flow import SecretsMayNotGo, secrets_may_go
from handlers_app.selectors import handler_get, handler_page_number
from handlers_app.services import handler_changed, handler_create, handler_update
from handlers_app.sharing import duplicate_name, handler_duplicate
from handlers_app.soclook import Handler, ListQuery
from handlers_app.soclook.errors import NotFound, OutcomeUnknown, SoclookError
from handlers_app.testsend.outcomes import Outcome
from handlers_app.views.handlers import _list_sent_from, _list_url

TEMPLATE = "handlers_app/handler_form.html"
# Sent by the no-JavaScript type picker: show the chosen type's fields, save nothing.
CHANGE_TYPE = "_change_type"
# Sent by "Add it anyway" when a handler of the type already sends to the same place.
SAME_PLACE_OK = "same_place_ok"


@login_required
@require_http_methods(["GET", "POST"])
def handler_new(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    connection = connection_for(request.user, connection_id, role=Role.EDITOR).connection
    back = _list_query(request, connection)
    setup, source = _chosen_setup(request, connection)
    service_error: SoclookError | None = None
    same_place: str | None = None
    if request.method == "GET":
        initial = {} if setup else {"type": request.GET.get("type", "")}
        form = HandlerForm(initial=initial, source=source)
    elif CHANGE_TYPE in request.POST:
        form = HandlerForm(initial=request.POST.dict(), source=source)
    else:
        form = HandlerForm(request.POST, source=source)
        if form.is_valid():
            name = form.cleaned_data["name"]
            type = form.cleaned_data["type"]
            sends_to = (
                form.settings
                if setup is None
                else setup_settings_with(setup=setup, type=type, submitted=form.settings)
            )
            same_place = _same_place(request, connection, type, sends_to)
        if form.is_valid() and same_place is None:
            try:
                if setup is None:
                    handler_id = handler_create(
                        connection=connection,
                        user=request.user,
                        name=name,
                        type=type,
                        settings=form.settings,
                    )
                else:
                    handler_id = setup_handler_added(
                        setup=setup,
                        connection=connection,
                        user=request.user,
                        name=name,
                        type=type,
                        settings=sends_to,
                    )
            except SoclookError as exc:
                service_error = exc
            else:
                return _to_list(
                    request, _place_of_added(request, connection, back, handler_id, name)
                )
    return _render_form(
        request,
        connection=connection,
        form=form,
        back=back,
        service_error=service_error,
        setup=setup,
        same_place=same_place,
    )


def _chosen_setup(
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


@login_required
@require_http_methods(["GET", "POST"])
def handler_edit(request: HtmxHttpRequest, connection_id: int, handler_id: int) -> HttpResponse:
    connection = connection_for(request.user, connection_id, role=Role.EDITOR).connection
    back = _list_query(request, connection)
    try:
        current = handler_get(connection=connection, handler_id=handler_id)
    except NotFound as exc:
        messages.error(request, exc.message)
        return _to_list(request, _list_url(connection, back))
    except SoclookError as exc:
        if request.method == "GET":
            return _render_load_error(request, connection=connection, back=back, error=exc)
        # The stored record is out of reach for now: keep what was typed (secrets aside) and
        # let the next submit read it again.
        form = HandlerForm(initial=request.POST.dict(), editing=True)
        return _render_form(
            request,
            connection=connection,
            form=form,
            back=back,
            handler_id=handler_id,
            service_error=exc,
        )

    service_error: SoclookError | None = None
    if request.method == "GET":
        form = HandlerForm(current=current)
    elif CHANGE_TYPE in request.POST:
        form = HandlerForm(current=current, initial=request.POST.dict())
    else:
        form = HandlerForm(request.POST, current=current)
        if form.is_valid() and not handler_changed(
            current=current,
            name=form.cleaned_data["name"],
            type=form.cleaned_data["type"],
            settings=form.settings,
        ):
            messages.info(
                request, _("Nothing to save: “%(name)s” is unchanged.") % {"name": current.name}
            )
            return _to_list(request, _list_url(connection, back, highlight=current.id))
        if form.is_valid():
            try:
                saved = handler_update(
                    connection=connection,
                    user=request.user,
                    current=current,
                    name=form.cleaned_data["name"],
                    type=form.cleaned_data["type"],
                    settings=form.settings,
                )
            except SoclookError as exc:
                # Deleted elsewhere (NotFound) included: what was typed stays on screen.
                service_error = exc
            else:
                messages.success(request, _("Saved “%(name)s”.") % {"name": saved.name})
                return _to_list(request, _list_url(connection, back, highlight=saved.id))
    return _render_form(
        request,
        connection=connection,
        form=form,
        back=back,
        handler_id=handler_id,
        current=current,
        service_error=service_error,
    )


@login_required
@require_http_methods(["GET", "POST"])
def handler_duplicate_form(
    request: HtmxHttpRequest, connection_id: int, handler_id: int
) -> HttpResponse:
    """The create form, filled in from a handler of the same connection. Its secrets stay on
    the server: the page never holds them, and one left empty is copied from the source."""
    connection = connection_for(request.user, connection_id, role=Role.EDITOR).connection
    back = _list_query(request, connection)
    try:
        source = handler_get(connection=connection, handler_id=handler_id)
    except NotFound as exc:
        messages.error(request, exc.message)
        return _to_list(request, _list_url(connection, back))
    except SoclookError as exc:
        if request.method == "GET":
            return _render_load_error(request, connection=connection, back=back, error=exc)
        # The source is out of reach for now: keep what was typed; the next submit reads it
        # again.
        form = HandlerForm(initial=request.POST.dict())
        return _render_form(
            request,
            connection=connection,
            form=form,
            back=back,
            duplicate_of=handler_id,
            service_error=exc,
        )

    service_error: SoclookError | None = None
    same_place: str | None = None
    if request.method == "GET":
        form = HandlerForm(source=source, initial={"name": duplicate_name(source)}, fixed_type=True)
    else:
        form = HandlerForm(request.POST, source=source, fixed_type=True)
        if form.is_valid():
            # A secret left empty is the source's (handler_duplicate fills it in).
            sends_to = {
                key: value or source.settings.get(key, "") for key, value in form.settings.items()
            }
            same_place = _same_place(request, connection, source.type, sends_to)
        if form.is_valid() and same_place is None:
            name = form.cleaned_data["name"]
            try:
                new_id = handler_duplicate(
                    connection=connection,
                    user=request.user,
                    source=source,
                    name=name,
                    settings=form.settings,
                )
            except SoclookError as exc:
                service_error = exc
            else:
                said = _("Added “%(name)s”, a copy of “%(source)s”.") % {
                    "name": name,
                    "source": source.name,
                }
                return _to_list(
                    request, _place_of_added(request, connection, back, new_id, name, said=said)
                )
    return _render_form(
        request,
        connection=connection,
        form=form,
        back=back,
        source=source,
        service_error=service_error,
        same_place=same_place,
    )


@login_required
@require_GET
def handler_fields(
    request: HtmxHttpRequest, connection_id: int, handler_id: int | None = None
) -> HttpResponse:
    """The settings fields of the type in `?type=`, for the picker's htmx swap.

    On an edit page, switching back to the handler's own type (`?stored_type=`) needs the stored
    record for its e-mail address and "ends in ••••1234" notes; other types start empty, so they
    cost no request to the service.
    """
    connection = connection_for(request.user, connection_id, role=Role.EDITOR).connection
    slug = request.GET.get("type", "")
    current: Handler | None = None
    load_error: SoclookError | None = None
    if handler_id is not None and slug == request.GET.get("stored_type"):
        try:
            current = handler_get(connection=connection, handler_id=handler_id)
        except SoclookError as exc:
            load_error = exc
    setup, source = (None, None) if handler_id is not None else _chosen_setup(request, connection)
    form = HandlerForm(
        initial={"type": slug}, current=current, editing=handler_id is not None, source=source
    )
    return render(
        request,
        f"{TEMPLATE}#type_fields",
        {
            "form": form,
            "connection": connection,
            "load_error": load_error,
            "test_url": _test_url(connection, handler_id),
            "setup": setup,
        },
    )


def _same_place(
    request: HtmxHttpRequest, connection: Connection, type: str, settings: dict[str, str]
) -> str | None:
    """The name of the handler already sending where the new one would, unless the person said
    to add it anyway (or the list cannot be read now: then the add itself tells what is wrong)."""
    if request.POST.get(SAME_PLACE_OK):
        return None
    try:
        return same_place_as(connection=connection, type=type, settings=settings)
    except SoclookError:
        return None


def _test_url(connection: Connection, handler_id: int | None) -> str:
    """Where the form's "Send a test" button posts what is typed (handlers_app.views.testsend)."""
    if handler_id is None:
        return reverse("handler_form_test", args=[connection.pk])
    return reverse("handler_edit_test", args=[connection.pk, handler_id])


def _list_query(request: HtmxHttpRequest, connection: Connection) -> ListQuery:
    """The list the form was opened from, checked to be this connection's list."""
    return _list_sent_from(request, connection)


def _place_of_added(
    request: HtmxHttpRequest,
    connection: Connection,
    back: ListQuery,
    handler_id: int,
    name: str,
    *,
    said: str | None = None,
) -> str:
    """Where to show an added handler: the page of the list that holds it, marked (`said` the
    message, if not the plain one); when the list's filters leave it out, the list as it was,
    with a link to it without the filters."""
    number = handler_page_number(connection=connection, query=back, handler_id=handler_id)
    if number is not None:
        messages.success(request, said or _("Added “%(name)s”.") % {"name": name})
        return _list_url(connection, replace(back, page=number), highlight=handler_id)
    unfiltered = replace(back, page=1, type=None, is_enabled=None, search=None)
    number = handler_page_number(connection=connection, query=unfiltered, handler_id=handler_id)
    messages.success(
        request,
        format_html(
            _('Added “{name}”. The filters in force hide it: <a href="{url}">show it</a>.'),
            name=name,
            url=_list_url(connection, replace(unfiltered, page=number or 1), highlight=handler_id),
        ),
    )
    return _list_url(connection, back)


def _to_list(request: HtmxHttpRequest, url: str) -> HttpResponse:
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _render_form(
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
    test_url = None if duplicate_of is not None else _test_url(connection, handler_id)
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
        "list_url": _list_url(connection, back),
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
    template = f"{TEMPLATE}#form" if request.htmx else TEMPLATE
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


def _render_load_error(
    request: HtmxHttpRequest, *, connection: Connection, back: ListQuery, error: SoclookError
) -> HttpResponse:
    return render(
        request,
        TEMPLATE,
        {
            "connection": connection,
            "load_error": error,
            "list_url": _list_url(connection, back),
            "retry_url": request.get_full_path(),
        },
    )
