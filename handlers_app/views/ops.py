"""For whoever runs the dashboard: the health check and the operator page."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import Error as DatabaseError
from django.db import connection as database
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from handlers_app.http import HtmxHttpRequest
from handlers_app.models import Connection
from handlers_app.observability import STATS_WINDOW_SECONDS, CallStats, call_stats, connection_label

logger = logging.getLogger(__name__)


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Is the database answering, is the cache? Nothing else: no versions, no names, no hosts."""
    checks = {"database": _database_ok(), "cache": _cache_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "error"}
    body.update({part: "ok" if ok else "error" for part, ok in checks.items()})
    return JsonResponse(body, status=200 if healthy else 503)


def _database_ok() -> bool:
    try:
        with database.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check: the database did not answer")
        return False
    return True


def _cache_ok() -> bool:
    # A key of its own per probe: several workers answer probes at the same time.
    key = f"healthz:{secrets.token_hex(8)}"
    try:
        cache.set(key, "ok", timeout=10)
        answered = cache.get(key) == "ok"
        cache.delete(key)
    except Exception:  # each cache backend raises its own errors (redis.ConnectionError, ...)
        logger.exception("health check: the cache did not answer")
        return False
    if not answered:
        logger.error("health check: the cache did not keep a value")
    return answered


@dataclass(frozen=True, slots=True)
class _Row:
    connection: Connection | None
    stats: CallStats


@login_required
@require_safe
def ops(request: HtmxHttpRequest) -> HttpResponse:
    """Staff only: each connection's calls to the service, errors and rate-limit hits, last hour."""
    if not request.user.is_staff:
        raise PermissionDenied
    connections = {
        connection_label(c.pk): c for c in Connection.objects.select_related("team").order_by()
    }
    stats = call_stats(labels=[*connections, connection_label(None)])
    rows = sorted(
        (
            _Row(connections.get(label), found)
            for label, found in stats.items()
            if not found.is_empty
        ),
        key=lambda row: (-row.stats.calls, -row.stats.rate_limited, row.stats.label),
    )
    totals = CallStats(
        label="",
        calls=sum(row.stats.calls for row in rows),
        errors=sum(row.stats.errors for row in rows),
        rate_limited=sum(row.stats.rate_limited for row in rows),
        ms_total=sum(row.stats.ms_total for row in rows),
    )
    return render(
        request,
        "handlers_app/ops.html",
        {"rows": rows, "totals": totals, "window_minutes": STATS_WINDOW_SECONDS // 60},
    )
