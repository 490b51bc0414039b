"""The project's routes plus an export page, as the bulk bar finds them once the export flow
has landed: the bar links to whatever of the other flows exists."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from dashboard.urls import urlpatterns as project_urlpatterns


def export_page(request: HttpRequest, connection_id: int) -> HttpResponse:
    return HttpResponse("export")


urlpatterns = [
    path("connections/<int:connection_id>/handlers/export/", export_page, name="handler_export"),
    *project_urlpatterns,
]
