"""The journal as a CSV file, written by the dashboard's one CSV writer (handlers_app.csv_files)."""

from __future__ import annotations

from itertools import chain

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _

from handlers_app.csv_files import csv_response
from handlers_app.journal.diff import change_lines
from handlers_app.models import JournalEntry


def journal_csv(entries: QuerySet[JournalEntry], *, filename: str) -> HttpResponse:
    header = [
        _("When"),
        _("Team"),
        _("Connection"),
        _("Person"),
        _("Change"),
        _("Handler ID"),
        _("Handler"),
        _("Handler type"),
        _("Earlier handler ID"),
        _("Member"),
        _("Details"),
    ]
    rows = (
        [
            entry.created_at,
            entry.team.name,
            entry.connection_name,
            entry.user_name,
            entry.get_action_display(),
            entry.handler_id,
            entry.handler_name,
            entry.handler_type,
            entry.previous_handler_id,
            entry.subject,
            "; ".join(str(line) for line in change_lines(entry.changes)),
        ]
        for entry in entries.iterator(chunk_size=500)
    )
    return csv_response(chain([header], rows), filename=filename)
