"""Sign-in throttling: django-axes' database handler with a second, looser limit per name.

Axes locks a name from one address after AXES_FAILURE_LIMIT failures for AXES_COOLOFF_MINUTES.
Guessing one name from many addresses escapes that, so the name is also locked from every
address once AXES_NAME_FAILURE_LIMIT failures have come in, from addresses that failed within
the last AXES_NAME_COOLOFF_MINUTES. That lock is short: anyone can fail on purpose with a name
they know, and must not keep its owner out for long by doing so.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone


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
