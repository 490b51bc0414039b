"""The dashboard's own error pages: refused (403), not found (404) and a failure of ours (500),
in the reader's language, under the top bar, each with a way back.

The 500 page is rendered from a plain context, without the request's context processors: the
failure may be the database's, and reading the session, the user or the messages would fail
again. It names the request id, which the log lines of the failure carry.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

TEMPLATE = "handlers_app/error.html"


def _back_url(request: HttpRequest) -> str:
    """The page the person came from, when it is one of the dashboard's own."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return ""


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    context = {
        "status": 403,
        "heading": _("You cannot open this page"),
        "explanation": _(
            "Your role in this team does not allow it. An owner of the team can change your role."
        ),
        "back_url": _back_url(request),
    }
    return render(request, TEMPLATE, context, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    context = {
        "status": 404,
        "heading": _("This page does not exist"),
        "explanation": _(
            "It may have been deleted, or the address is not quite right. "
            "Start again from your connections."
        ),
        "back_url": _back_url(request),
    }
    return render(request, TEMPLATE, context, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    context = {
        "status": 500,
        "heading": _("Something went wrong on our side"),
        "explanation": _(
            "Nothing you did caused this. Try again in a moment; if it happens again, "
            "tell your administrator the code below."
        ),
        "request_id": getattr(request, "request_id", ""),
        "plain": True,
    }
    return HttpResponse(render_to_string(TEMPLATE, context), status=500)
