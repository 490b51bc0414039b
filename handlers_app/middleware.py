from __future__ import annotations

from collections.abc import Callable

from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers


class HtmxMessagesMiddleware:
    """Deliver Django messages on htmx responses too, as an out-of-band swap of the toast box.

    Full pages render the box themselves; a swapped fragment would otherwise leave the
    messages waiting for the next full page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            not getattr(request, "htmx", False)
            or response.streaming
            or "HX-Redirect" in response
            or "HX-Location" in response
            or not response.get("Content-Type", "").startswith("text/html")
            or 300 <= response.status_code < 400
        ):
            return response
        storage = get_messages(request)
        if not list(storage):
            storage.used = False
            return response
        toasts = render_to_string("base.html#toasts", {"messages": storage}, request=request)
        response.content = response.content + toasts.encode()
        return response


class NoStoreMiddleware:
    """Forbid browsers and proxies to keep any page: they show teams, settings and forms.

    Placed after WhiteNoise, so the static files (hashed names, cached for ever) never reach it.
    A view that sets its own Cache-Control keeps it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
