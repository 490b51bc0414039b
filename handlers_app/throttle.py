"""Pages that take a secret, throttled like sign-in, on django-axes' own counters.

Sign-in is guarded by django-axes: AXES_FAILURE_LIMIT failures for one name from one address
pause it for AXES_COOLOFF_MINUTES, with a 429 page saying so. The same counters guard

- the password change: the old password is checked through `authenticate`, so a wrong one is a
  failed sign-in of that person from that address, and a pause stops both;
- the password-reset pages, which check no password: every reset e-mail asked for, and every
  reset link that does not work, counts as an attempt from that address under a name no account
  can have (a user name holds no spaces or brackets), so that one address can neither flood
  inboxes nor try links without end;
- the first-run setup code (handlers_app.first_run): every wrong code counts in the same way.
"""

from __future__ import annotations

import math
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_lockout_response
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# The names the attempts of pages without a user name are counted under.
RESET_REQUESTS = "(password reset request)"
RESET_LINKS = "(password reset link)"
SETUP_CODE = "(setup code)"

# What a pause stops, by the page it happened on; sign-in keeps its own words.
_PAUSED: dict[str, Promise] = {
    "password_change": _("Too many wrong passwords"),
    "password_reset": _("Too many password reset requests"),
    "password_reset_confirm": _("Too many password reset links that do not work"),
    "first_admin": _("Too many wrong setup codes"),
}


def _credentials(name: str) -> dict[str, str]:
    return {settings.AXES_USERNAME_FORM_FIELD: name}


def attempt_refused(request: HttpRequest, *, name: str) -> HttpResponse | None:
    """The 429 page when attempts under `name` from this address are paused, else None."""
    if AxesProxyHandler.is_allowed(request, _credentials(name)):
        return None
    return get_lockout_response(request, None, _credentials(name))


def attempt_counted(request: HttpRequest, *, name: str) -> HttpResponse | None:
    """Count one attempt under `name`; the 429 page when that one reached the limit."""
    AxesProxyHandler.user_login_failed(__name__, _credentials(name), request)
    if getattr(request, "axes_locked_out", False):
        return get_lockout_response(request, None, _credentials(name))
    return None


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the 429 page, saying what is paused and for how many minutes."""
    match = request.resolver_match
    cool_off = get_cool_off(request)
    return render(
        request,
        settings.AXES_LOCKOUT_TEMPLATE,
        {
            "paused": _PAUSED.get(match.url_name) if match else None,
            "minutes": math.ceil(cool_off.total_seconds() / 60) if cool_off else None,
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
