"""Health at a glance: a handler's "Check now", the Tidy-up page, the team's e-mail setting.

"Check now" is on the edit page, in a box of its own outside the form: with htmx only the box
is swapped; without JavaScript the edit page comes back with the result as a message. It checks
the settings stored in Soclook, never what is typed, and sends nothing to the destination but
the check's own question (handlers_app.health).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from handlers_app.access import connection_for, team_for
from handlers_app.health.batch import check_all_start
from handlers_app.health.notify import owners_tell, team_health_emails_set
from handlers_app.health.service import handler_check
from handlers_app.health.tidy import TidyGroup, tidy_groups
from handlers_app.http import HtmxHttpRequest
from handlers_app.models import Role
from handlers_app.selectors import handler_get
from handlers_app.soclook.errors import SoclookError
from handlers_app.templatetags.health_tags import health_box_context
from handlers_app.testsend.limits import PERSON_TESTS_PER_HOUR, take_turn

BOX_TEMPLATE = "handlers_app/includes/health_box.html"
TIDY_TEMPLATE = "handlers_app/tidy.html"


@login_required
@require_POST
def handler_check_now(
    request: HtmxHttpRequest, connection_id: int, handler_id: int
) -> HttpResponse:
    access = connection_for(request.user, connection_id, role=Role.EDITOR)
    connection = access.connection
    edit_url = reverse("handler_edit", args=[connection.pk, handler_id])
    problem = ""
    handler = None
    try:
        handler = handler_get(connection=connection, handler_id=handler_id)
    except SoclookError as exc:
        problem = _("The handler could not be read from Soclook: %(reason)s") % {
            "reason": exc.message
        }
    if handler is not None and handler.handler_type.silent_check:
        # A check asks the destination, as a test does: the test sends' limits hold for it.
        limit = take_turn(subject=f"{connection.pk}:{handler_id}", user_id=request.user.pk)
        if limit is not None and limit.scope == "handler":
            problem = _("This handler was just checked or tested; try again in %(seconds)s s.") % {
                "seconds": limit.retry_after
            }
        elif limit is not None:
            problem = _(
                "You have checked or tested %(limit)s handlers in the last hour; try again in "
                "%(minutes)s min."
            ) % {"limit": PERSON_TESTS_PER_HOUR, "minutes": -(-limit.retry_after // 60)}
    if handler is not None and not problem:
        checked = handler_check(connection=connection, handler=handler)
        if checked.turned:
            owners_tell(connection=connection, turned=[checked.health])
    context = health_box_context(
        connection=connection,
        handler_id=handler_id,
        handler_type=handler.handler_type if handler else None,
        can_edit=True,
        handler=handler,
    )
    note = context["note"]
    if not request.htmx:
        if problem:
            messages.warning(request, problem)
        elif note is not None:
            messages.info(request, note.text)
        return redirect(edit_url)
    context.update(problem=problem, announce=True)
    return render(request, f"{BOX_TEMPLATE}#box", context)


@login_required
@require_POST
def team_health_emails(request: HtmxHttpRequest, team_id: int) -> HttpResponse:
    team, _membership = team_for(request.user, team_id, role=Role.OWNER)
    on = request.POST.get("email_owners") == "1"
    team_health_emails_set(team=team, user=request.user, on=on)
    if on:
        messages.success(request, _("Owners get an e-mail when a handler needs attention."))
    else:
        messages.success(
            request, _("Owners no longer get an e-mail when a handler needs attention.")
        )
    return redirect("team_detail", team_id=team.pk)


@login_required
@require_GET
def tidy_up(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    """The Tidy-up page: groups of handlers worth a look, each with its bulk actions (whose
    preview comes first)."""
    access = connection_for(request.user, connection_id)
    connection = access.connection
    groups: list[TidyGroup] = []
    error: SoclookError | None = None
    try:
        groups = tidy_groups(connection=connection)
    except SoclookError as exc:
        error = exc
    context = {
        "connection": connection,
        "can_edit": access.can_edit,
        "groups": groups,
        "error": error,
        "bulk_url": reverse("handler_bulk", args=[connection.pk]),
        "list_url": connection.get_absolute_url(),
    }
    return render(request, TIDY_TEMPLATE, context)


@login_required
@require_POST
def check_all(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    """Check every handler of the connection in the background; its progress is the job's
    page. A check already under way is the one shown."""
    connection = connection_for(request.user, connection_id, role=Role.EDITOR).connection
    try:
        job = check_all_start(connection=connection, user=request.user)
    except SoclookError as exc:
        messages.error(
            request,
            _("The handlers could not be read from Soclook: %(reason)s") % {"reason": exc.message},
        )
        return redirect(connection.get_absolute_url())
    return redirect("handler_bulk_job", connection_id=connection.pk, job_id=job.pk)
