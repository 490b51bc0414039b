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

Sign-in itself goes through `SignInThrottle`, django-axes' database handler with a second,
looser limit per name.

Axes locks a name from one address after AXES_FAILURE_LIMIT failures for AXES_COOLOFF_MINUTES.
Guessing one name from many addresses escapes that, so the name is also locked from every
address once AXES_NAME_FAILURE_LIMIT failures have come in, from addresses that failed within
the last AXES_NAME_COOLOFF_MINUTES. That lock is short: anyone can fail on purpose with a name
they know, and must not keep its owner out for long by doing so.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import (
    get_client_username,
    get_cool_off,
    get_failure_limit,
    get_lockout_response,
)
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
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


class SignInThrottle(AxesDatabaseHandler):
    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """Failures as axes counts them (by name and address), or the limit itself when the
        name is locked everywhere."""
        failures = super().get_failures(request, credentials)
        if _name_failures(request, credentials) >= settings.AXES_NAME_FAILURE_LIMIT:
            return max(failures, get_failure_limit(request, credentials))
        return failures


def _name_failures(request: HttpRequest, credentials: dict[str, Any] | None) -> int:
    username = get_client_username(request, credentials)
    if not username:
        return 0
    now = getattr(request, "axes_attempt_time", None) or timezone.now()
    since = now - timedelta(minutes=settings.AXES_NAME_COOLOFF_MINUTES)
    attempts = AccessAttempt.objects.filter(username=username, attempt_time__gte=since)
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
