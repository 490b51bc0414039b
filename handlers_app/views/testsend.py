"""Send a test: from the create and edit forms (the settings as typed) and from a row of the list
(the settings stored in Soclook).

The forms' "Send a test" button posts the whole form here. With htmx only the result under the
button is swapped, so everything typed stays in the form; without JavaScript the form page comes
back with what was typed and the result. On an edit, a secret left empty is the stored one,
filled in here: it never goes to the browser. A row's button re-renders its row with the new
badge and, in a row under it, the explanation; without JavaScript it goes back to the list with
the result as a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import reswap

from handlers_app.access import connection_for
from handlers_app.forms import HandlerForm
from handlers_app.http import HtmxHttpRequest
from handlers_app.journal.queries import handler_last_changes, handler_last_tests
from handlers_app.models import Connection, Role, SavedSetup
from handlers_app.presets import setup_settings_with
from handlers_app.selectors import handler_get
from handlers_app.services import merged_settings
from handlers_app.soclook import Handler
from handlers_app.soclook.errors import NotFound, SoclookError
from handlers_app.testsend.outcomes import Outcome, Result
from handlers_app.testsend.service import handler_test_send
from handlers_app.views.handler_forms import TEMPLATE as FORM_TEMPLATE
from handlers_app.views.handler_forms import _chosen_setup, _render_form
from handlers_app.views.handlers import TEMPLATE as LIST_TEMPLATE
from handlers_app.views.handlers import _back_query, _list_url


@login_required
@require_POST
def handler_form_test(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    """A test with what is typed into the create form; started from a saved set-up, a secret
    left empty is the set-up's."""
    connection = connection_for(request.user, connection_id, role=Role.EDITOR).connection
    setup, source = _chosen_setup(request, connection)
    form = HandlerForm(request.POST, source=source)
    outcome = _test_typed(request, connection=connection, form=form, current=None, setup=setup)
    return _form_answer(request, connection=connection, form=form, outcome=outcome, setup=setup)


@login_required
@require_POST
def handler_edit_test(
    request: HtmxHttpRequest, connection_id: int, handler_id: int
) -> HttpResponse:
    """A test with what is typed into the edit form; an empty secret is the stored one."""
    connection = connection_for(request.user, connection_id, role=Role.EDITOR).connection
    try:
        current = handler_get(connection=connection, handler_id=handler_id)
    except SoclookError as exc:
        form = HandlerForm(initial=request.POST.dict(), editing=True)
        return _form_answer(
            request,
            connection=connection,
            form=form,
            outcome=_could_not_load(exc),
            handler_id=handler_id,
        )
    form = HandlerForm(request.POST, current=current)
    outcome = _test_typed(request, connection=connection, form=form, current=current)
    return _form_answer(
        request,
        connection=connection,
        form=form,
        outcome=outcome,
        handler_id=handler_id,
        current=current,
    )


@login_required
@require_POST
def handler_test(request: HtmxHttpRequest, connection_id: int, handler_id: int) -> HttpResponse:
    """A test with the settings stored in Soclook, from a row of the list."""
    access = connection_for(request.user, connection_id, role=Role.EDITOR)
    connection = access.connection
    query = _back_query(request, connection, request.POST.get("next", ""))
    handler: Handler | None = None
    try:
        handler = handler_get(connection=connection, handler_id=handler_id)
    except NotFound as exc:
        messages.error(request, exc.message)
        if request.htmx:
            # Gone from Soclook: its row leaves the list.
            return HttpResponse("")
        return redirect(_list_url(connection, query))
    except SoclookError as exc:
        outcome = _could_not_load(exc)
    else:
        outcome = handler_test_send(
            connection=connection,
            user=request.user,
            handler_type=handler.handler_type,
            name=handler.name,
            handler_settings=handler.settings,
            handler_id=handler.id,
        )

    if not request.htmx or handler is None:
        _as_message(request, outcome, handler)
        if not request.htmx:
            return redirect(_list_url(connection, query))
        return reswap(HttpResponse(""), "none")
    return render(
        request,
        f"{LIST_TEMPLATE}#tested_row",
        {
            "connection": connection,
            "can_edit": True,
            "list_url": _list_url(connection),
            "back_url": _list_url(connection, query),
            "handler": handler,
            "last_changes": handler_last_changes(connection=connection, handler_ids=[handler.id]),
            "last_tests": handler_last_tests(connection=connection, handler_ids=[handler.id]),
            "test_outcome": outcome,
        },
    )


def _test_typed(
    request: HtmxHttpRequest,
    *,
    connection: Connection,
    form: HandlerForm,
    current: Handler | None,
    setup: SavedSetup | None = None,
) -> Outcome:
    form.is_valid()
    # A test needs the destination's settings; the name can still be filled in before saving.
    form.errors.pop("name", None)
    handler_type = form.handler_type
    if handler_type is None or form.errors:
        problems = [
            f"{form[name].label}: {error}"
            for name, errors in form.errors.items()
            for error in errors
        ]
        return Outcome(Result.NOT_SENT, "incomplete", problems=tuple(problems))
    if setup is not None:
        typed = setup_settings_with(setup=setup, type=handler_type.slug, submitted=form.settings)
    else:
        typed = merged_settings(current=current, type=handler_type.slug, submitted=form.settings)
    return handler_test_send(
        connection=connection,
        user=request.user,
        handler_type=handler_type,
        name=form.cleaned_data.get("name") or "",
        handler_settings=typed,
        handler_id=current.id if current is not None else None,
        typed=True,
    )


def _could_not_load(exc: SoclookError) -> Outcome:
    return Outcome(Result.NOT_SENT, "stored_unavailable", params={"why": exc.message})


def _form_answer(
    request: HtmxHttpRequest,
    *,
    connection: Connection,
    form: HandlerForm,
    outcome: Outcome,
    handler_id: int | None = None,
    current: Handler | None = None,
    setup: SavedSetup | None = None,
) -> HttpResponse:
    if request.htmx:
        return render(request, f"{FORM_TEMPLATE}#test_result", {"test_outcome": outcome})
    return _render_form(
        request,
        connection=connection,
        form=form,
        back=_back_query(request, connection, request.POST.get("next", "")),
        handler_id=handler_id,
        current=current,
        test_outcome=outcome,
        setup=setup,
    )


def _as_message(request: HtmxHttpRequest, outcome: Outcome, handler: Handler | None) -> None:
    text = _("%(headline)s: %(explanation)s") % {
        "headline": outcome.headline,
        "explanation": outcome.explanation,
    }
    if handler is not None:
        text = _("“%(name)s” — %(result)s") % {"name": handler.name, "result": text}
    if outcome.excerpt:
        text = _("%(result)s Its answer: “%(excerpt)s”") % {
            "result": text,
            "excerpt": outcome.excerpt,
        }
    if outcome.delivered:
        messages.success(request, text)
    elif outcome.was_sent:
        messages.error(request, text)
    else:
        messages.warning(request, text)
