"""Create and edit a handler: one form built from the type registry, whose settings fields are
swapped by htmx when the type changes.

Every page also works without JavaScript: the type picker's "Continue" button posts the form
with `_change_type`, which re-renders it for the chosen type without saving anything.

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

from handlers_app.access import connection_for
from handlers_app.forms import HandlerForm
from handlers_app.http import HtmxHttpRequest
from handlers_app.models import Connection, Role
from handlers_app.selectors import handler_get, handler_page_number
from handlers_app.services import handler_changed, handler_create, handler_update
from handlers_app.soclook import Handler, ListQuery
from handlers_app.soclook.errors import NotFound, OutcomeUnknown, SoclookError
from handlers_app.testsend.outcomes import Outcome
from handlers_app.views.handlers import _back_query, _list_url

TEMPLATE = "handlers_app/handler_form.html"
# Sent by the no-JavaScript type picker: show the chosen type's fields, save nothing.
CHANGE_TYPE = "_change_type"


@login_required
@require_http_methods(["GET", "POST"])
def handler_new(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    connection = connection_for(request.user, connection_id, role=Role.EDITOR).connection
    back = _list_query(request, connection)
    service_error: SoclookError | None = None
    if request.method == "GET":
        form = HandlerForm(initial={"type": request.GET.get("type", "")})
    elif CHANGE_TYPE in request.POST:
        form = HandlerForm(initial=request.POST.dict())
    else:
        form = HandlerForm(request.POST)
        if form.is_valid():
            name = form.cleaned_data["name"]
            try:
                handler_id = handler_create(
                    connection=connection,
                    user=request.user,
                    name=name,
                    type=form.cleaned_data["type"],
                    settings=form.settings,
                )
            except SoclookError as exc:
                service_error = exc
            else:
                return _to_list(
                    request, _place_of_added(request, connection, back, handler_id, name)
                )
    return _render_form(
        request, connection=connection, form=form, back=back, service_error=service_error
    )


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
    form = HandlerForm(initial={"type": slug}, current=current, editing=handler_id is not None)
    return render(
        request,
        f"{TEMPLATE}#type_fields",
        {
            "form": form,
            "connection": connection,
            "load_error": load_error,
            "test_url": _test_url(connection, handler_id),
        },
    )


def _test_url(connection: Connection, handler_id: int | None) -> str:
    """Where the form's "Send a test" button posts what is typed (handlers_app.views.testsend)."""
    if handler_id is None:
        return reverse("handler_form_test", args=[connection.pk])
    return reverse("handler_edit_test", args=[connection.pk, handler_id])


def _list_query(request: HtmxHttpRequest, connection: Connection) -> ListQuery:
    """The list the form was opened from (`next`), checked to be this connection's list."""
    return _back_query(request, connection, request.POST.get("next") or request.GET.get("next", ""))


def _place_of_added(
    request: HtmxHttpRequest, connection: Connection, back: ListQuery, handler_id: int, name: str
) -> str:
    """Where to show an added handler: the page of the list that holds it, marked; when the
    list's filters leave it out, the list as it was, with a link to it without the filters."""
    number = handler_page_number(connection=connection, query=back, handler_id=handler_id)
    if number is not None:
        messages.success(request, _("Added “%(name)s”.") % {"name": name})
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
    service_error: SoclookError | None = None,
    test_outcome: Outcome | None = None,
) -> HttpResponse:
    if handler_id is not None:
        action = reverse("handler_edit", args=[connection.pk, handler_id])
        fields_url = reverse("handler_edit_fields", args=[connection.pk, handler_id])
        if current is not None:
            fields_url += "?" + urlencode({"stored_type": current.type})
    else:
        action = reverse("handler_new", args=[connection.pk])
        fields_url = reverse("handler_fields", args=[connection.pk])
    context: dict[str, Any] = {
        "connection": connection,
        "form": form,
        "current": current,
        "action": action,
        "fields_url": fields_url,
        "list_url": _list_url(connection, back),
        "service_error": service_error,
        "outcome_unknown": isinstance(service_error, OutcomeUnknown),
        "handler_gone": isinstance(service_error, NotFound),
        "test_url": _test_url(connection, handler_id),
        "test_outcome": test_outcome,
    }
    # Errors come back as a 200 so that htmx swaps the form in place.
    template = f"{TEMPLATE}#form" if request.htmx else TEMPLATE
    return render(request, template, context)


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
