"""Importing handlers from a CSV file: upload and check it, confirm the preview, follow the job.

Only editors reach these pages. The file is checked against the type registry, and its rows
against the connection's list (read once, from the cache when it can: handlers_app.same_place);
the handlers are created by a job of handlers_app.batches. A preview is its uploader's own; the
jobs are the team's. While a job runs its page polls itself with htmx (`#progress`); without
JavaScript it has a Refresh link. A page ends no job: one whose worker went away is queued again
by housekeeping (`manage.py jobs_housekeeping`), and its page says so meanwhile.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from handlers_app.access import connection_for
from handlers_app.batches import (
    ItemOutcome,
    Job,
    JobAction,
    JobStatus,
    job_mark_list_refreshed,
    job_stalled,
    job_start,
    job_stop,
    job_waiting_seconds,
)
from handlers_app.csv_files import csv_response
from handlers_app.forms import HandlerImportForm
from handlers_app.http import HtmxHttpRequest
from handlers_app.imports.jobs import import_job_create, import_jobs_recent, preview_expired
from handlers_app.imports.reading import ParsedRow, template_rows
from handlers_app.models import Connection, Role
from handlers_app.same_place import rows_left_out_for_same_place
from handlers_app.selectors import handler_places
from handlers_app.soclook.errors import SoclookError
from handlers_app.soclook.types import HANDLER_TYPES, NAME_MAX_LENGTH

UPLOAD_TEMPLATE = "handlers_app/import.html"
JOB_TEMPLATE = "handlers_app/import_job.html"
TEMPLATE_FILE_NAME = "handlers-import-template.csv"
WORKER_LATE_AFTER = timedelta(minutes=1)


@login_required
@require_http_methods(["GET", "POST"])
def handler_import(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    connection = connection_for(request.user, connection_id, role=Role.EDITOR).connection
    if request.method == "POST":
        form = HandlerImportForm(request.POST, request.FILES)
        if form.is_valid():
            job = import_job_create(
                connection=connection,
                user=request.user,
                file_name=form.cleaned_data["file"].name or "",
                rows=_rows_to_import(request, connection, form),
            )
            return redirect(_job_url(job))
    else:
        form = HandlerImportForm()
    return render(
        request,
        UPLOAD_TEMPLATE,
        {
            "connection": connection,
            "form": form,
            "jobs": import_jobs_recent(connection=connection),
            "handler_types": HANDLER_TYPES.values(),
            "name_max_length": NAME_MAX_LENGTH,
            "list_url": connection.get_absolute_url(),
        },
    )


@login_required
@require_GET
def handler_import_template(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    connection_for(request.user, connection_id, role=Role.EDITOR)
    return csv_response(template_rows(), filename=TEMPLATE_FILE_NAME)


@login_required
@require_GET
def handler_import_job(request: HtmxHttpRequest, connection_id: int, job_id: int) -> HttpResponse:
    connection = connection_for(request.user, connection_id, role=Role.EDITOR).connection
    job = _job_for(request, connection, job_id)
    job_mark_list_refreshed(job=job)
    template = f"{JOB_TEMPLATE}#progress" if request.htmx else JOB_TEMPLATE
    return render(request, template, _job_context(connection, job))


@login_required
@require_POST
def handler_import_start(request: HtmxHttpRequest, connection_id: int, job_id: int) -> HttpResponse:
    connection = connection_for(request.user, connection_id, role=Role.EDITOR).connection
    job = _job_for(request, connection, job_id)
    if job.status == JobStatus.PREVIEW and not job_start(job=job):
        messages.error(
            request,
            _(
                "This preview is more than an hour old, so it was not imported. "
                "Upload the file again."
            ),
        )
    return redirect(_job_url(job))


@login_required
@require_POST
def handler_import_stop(request: HtmxHttpRequest, connection_id: int, job_id: int) -> HttpResponse:
    connection = connection_for(request.user, connection_id, role=Role.EDITOR).connection
    job = _job_for(request, connection, job_id)
    if job.status == JobStatus.PREVIEW:
        job_stop(job=job, user=request.user)
        messages.info(request, _("The import was cancelled; nothing was sent to Soclook."))
        return redirect("handler_import", connection_id=connection.pk)
    if job.is_active:
        job_stop(job=job, user=request.user)
        messages.info(
            request,
            _("The import stops after the row it is sending now; the rest will not be sent."),
        )
    return redirect(_job_url(job))


def _rows_to_import(
    request: HtmxHttpRequest, connection: Connection, form: HandlerImportForm
) -> list[ParsedRow]:
    """The file's rows, those sending where a handler already does left out unless the person
    asked to add them anyway."""
    if form.cleaned_data.get("same_place_ok") or not any(row.is_valid for row in form.rows):
        return form.rows
    try:
        taken = handler_places(connection=connection)
    except SoclookError as exc:
        messages.warning(
            request,
            _(
                "The connection's handlers could not be read (%(reason)s), so rows sending where "
                "a handler already sends were not looked for."
            )
            % {"reason": exc.message},
        )
        taken = {}
    return rows_left_out_for_same_place(form.rows, taken=taken)


def _job_for(request: HtmxHttpRequest, connection: Connection, job_id: int) -> Job:
    job = (
        Job.objects.filter(pk=job_id, connection=connection, action=JobAction.IMPORT)
        .select_related("created_by")
        .first()
    )
    # An unconfirmed preview is its uploader's draft; the rest of the team sees jobs once started.
    if job is None or (job.status == JobStatus.PREVIEW and job.created_by_id != request.user.pk):
        raise Http404
    return job


def _job_context(connection: Connection, job: Job) -> dict[str, Any]:
    rows = list(job.items.all())
    counts = Counter(row.outcome for row in rows)
    to_send = len(rows) - counts[ItemOutcome.SKIPPED]
    settled = to_send - counts[ItemOutcome.PENDING] - counts[ItemOutcome.SENDING]
    now = timezone.now()
    return {
        "connection": connection,
        "job": job,
        "rows": rows,
        "counts": {outcome.value: counts[outcome] for outcome in ItemOutcome},
        "stalled": job_stalled(job),
        "to_send": to_send,
        "settled": settled,
        "waiting_seconds": job_waiting_seconds(job),
        # Queued for a while with nobody picking it up: the worker may not be running.
        "worker_late": job.status == JobStatus.QUEUED and job.updated_at < now - WORKER_LATE_AFTER,
        "preview_expired": job.status == JobStatus.PREVIEW and preview_expired(job),
        "job_url": _job_url(job),
        "start_url": reverse("handler_import_start", args=[connection.pk, job.pk]),
        "stop_url": reverse("handler_import_stop", args=[connection.pk, job.pk]),
        "upload_url": reverse("handler_import", args=[connection.pk]),
        "list_url": connection.get_absolute_url(),
    }


def _job_url(job: Job) -> str:
    return reverse("handler_import_job", args=[job.connection_id, job.pk])
