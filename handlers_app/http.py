from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request as the views see it: django-htmx's details attached."""

    htmx: HtmxDetails
    user: AbstractBaseUser | AnonymousUser


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
