"""Every middleware of the project, in the order settings.MIDDLEWARE runs them."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django_htmx.http import HttpResponseClientRedirect

from handlers_app.http import HtmxHttpRequest
from handlers_app.observability import REQUEST_ID_HEADER, request_id_bound, request_id_for


class RequestIdMiddleware:
    """Take a safe `X-Request-ID` from the proxy or make one; log with it; echo it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request.headers.get(REQUEST_ID_HEADER, ""))
        # Django logs a 404 (and any error response no one logged yet) after the middleware has
        # returned; the log filter finds the id on the request it is given.
        request.request_id = request_id  # type: ignore[attr-defined]
        with request_id_bound(request_id):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
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


class SessionRefreshMiddleware:
    """Idle expiry without writing the session on every request.

    A signed-in session is saved again (which moves its expiry SESSION_COOKIE_AGE ahead) at most
    once every SESSION_REFRESH_SECONDS or a twentieth of SESSION_COOKIE_AGE, whichever is less,
    so a person is signed out after between 95% and 100% of SESSION_COOKIE_AGE of inactivity.
    """

    KEY = "_last_refresh"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            interval = min(settings.SESSION_REFRESH_SECONDS, settings.SESSION_COOKIE_AGE // 20)
            if now - request.session.get(self.KEY, 0) >= interval:
                request.session[self.KEY] = now
        return self.get_response(request)


class HtmxLoginRedirectMiddleware:
    """Send an htmx request that needs signing in to the sign-in page as a whole page.

    htmx would otherwise follow the redirect and swap the sign-in form into a table row or a
    dialog. Afterwards the person comes back to the page they were on, not to the fragment
    endpoint (which may accept only POST).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HtmxHttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or response.status_code != 302:
            return response
        login_url = resolve_url(settings.LOGIN_URL)
        if urlsplit(response["Location"]).path != login_url:
            return response
        back_to = request.htmx.current_url_abs_path or "/"
        return HttpResponseClientRedirect(redirect_to_login(back_to, login_url)["Location"])


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
