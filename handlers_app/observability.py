"""Request ids, structured log lines, and the per-connection call statistics of the operator page.

Every log line carries the id of the request it was written for. With `LOG_FORMAT=json` each line
is one JSON object holding the message and the fields the code passed as `extra` (the Soclook
client passes connection, method, path, status, milliseconds and requests left; never the key nor
a form value, which it does not hand to the logger at all).

Call statistics are counted from the client's own "soclook call" log lines by `CallStatsHandler`,
so the client knows nothing about them. They live in the default cache, in five-minute buckets:
with `REDIS_URL` every gunicorn worker counts into the same place.

Also here: who a sign-in attempt comes from (for django-axes, behind proxies too), the
filter that keeps keys, secrets and typed values out of the error reports e-mailed to ADMINS,
and what keeps the secret token of an invitation or password-reset link out of every log (the
filter of the project's log handlers; gunicorn's access log is in handlers_app.access_log).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, QueryDict
from django.views.debug import SafeExceptionReporterFilter

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and a few separators: enough for UUIDs and the ids proxies generate, and
# nothing that could forge a second log line or a JSON field.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")

_request_id: ContextVar[str] = ContextVar("request_id", default="-")
# django-axes keeps the name of each failed sign-in in a column of this many characters.
_SIGNIN_USERNAME_LENGTH = 255


def request_id_for(offered: str) -> str:
    """The id a proxy offered when it is safe to log, otherwise a new one."""
    return offered if _SAFE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex


@contextmanager
def request_id_bound(request_id: str) -> Iterator[None]:
    """Every line logged inside carries `request_id`."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


def client_ip(request: HttpRequest) -> str | None:
    """The address a request came from (sign-in throttling locks by it).

    Behind TRUSTED_PROXY_COUNT proxies that each append to X-Forwarded-For, the client is that
    many entries from the right; anything further left was written by the client and is forged
    at will. Without the setting the header is ignored.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR")


def signin_username(request: HttpRequest, credentials: Mapping[str, Any] | None) -> str | None:
    """The name a sign-in attempt is counted under, cut to what the attempt log can hold.

    Anyone can type a name of any length; PostgreSQL refuses a longer value outright.
    """
    source = credentials or getattr(request, "POST", {})
    username = source.get(settings.AXES_USERNAME_FORM_FIELD)
    return username[:_SIGNIN_USERNAME_LENGTH] if isinstance(username, str) else username


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request it is about ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        about = getattr(getattr(record, "request", None), "request_id", None)
        record.request_id = about if isinstance(about, str) else _request_id.get()
        return True


_BLANK_RECORD = logging.LogRecord("", logging.INFO, "", 0, "", None, None)
_RECORD_ATTRIBUTES = frozenset(vars(_BLANK_RECORD)) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, request id, message, and plain extras.

    Only `extra` values of plain types are written: Django passes the whole request object as
    `extra`, and its text would carry query strings and headers into the log.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", _request_id.get()),
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and (
                value is None or isinstance(value, str | int | float | bool)
            ):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class SecretsHiddenReporterFilter(SafeExceptionReporterFilter):
    """Error reports (the e-mail to ADMINS) with no key, secret, credential URL or typed value.

    Django hides settings named like KEY/SECRET/TOKEN; this also hides settings and environment
    entries ending in _URL or naming a LOCATION (DATABASE_URL, REDIS_URL and CACHES may carry
    passwords), local variables named like a key, a secret, headers or a handler's settings, and
    every POST value: a handler form's fields are secrets of their own (a bot token, a webhook
    URL), so no field is safe by its name alone.
    """

    hidden_settings = re.compile(
        r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|_URL|LOCATION|DSN|HEADER|"
        r"SETTINGS|FORM|FILES",
        flags=re.IGNORECASE,
    )

    def get_post_parameters(self, request: HttpRequest | None) -> QueryDict | dict[str, str]:
        if request is None:
            return {}
        if not self.is_active(request):
            return request.POST
        cleansed = request.POST.copy()
        for name in cleansed:
            cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(
        self, request: HttpRequest | None, tb_frame: object
    ) -> list[tuple[str, object]]:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        if not self.is_active(request):
            return variables
        return [
            (name, self.cleansed_substitute if self.hidden_settings.search(name) else value)
            for name, value in variables
        ]


# --- secret tokens in paths --------------------------------------------------------------------

# An invitation link and a password-reset link carry a secret token as a path segment. Their
# first visit moves it into the session and redirects to an address without it
# (views.teams.invitation_open, Django's PasswordResetConfirmView), but that first request
# still reaches every log that writes paths, full URLs or request lines.
_LINK_PREFIXES = ("/invitations/", "/accounts/reset/")
_LINK_TOKEN = re.compile(
    r"""((?:^|(?<=[\s"'(=,]))(?:[a-z][a-z0-9+.-]*://[^/\s"']*)?"""
    r"""(?:/invitations/|/accounts/reset/[^/\s"'?#]+/))(?!set-password/)[^/\s"'?#]+"""
)
HIDDEN_TOKEN = "[hidden]"  # noqa: S105 (what replaces a token, not one)


def hide_link_tokens(text: str) -> str:
    """`text` with the token of every invitation or password-reset path in it replaced."""
    if not any(prefix in text for prefix in _LINK_PREFIXES):
        return text
    return _LINK_TOKEN.sub(rf"\1{HIDDEN_TOKEN}", text)


class LinkTokenFilter(logging.Filter):
    """On every log handler: no link token in a line (Django logs "Not Found: <path>" and
    "Internal Server Error: <path>", the development server its request lines).

    An error report built from a record whose request path holds a token would print that path
    and the request's environment: such a record loses its request, the report says only what
    went wrong.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        hidden = hide_link_tokens(message)
        if hidden != message:
            record.msg, record.args = hidden, None
        path = getattr(getattr(record, "request", None), "path", None)
        if isinstance(path, str) and hide_link_tokens(path) != path:
            record.request = None
        return True


# --- call statistics ---------------------------------------------------------------------------

BUCKET_SECONDS = 300
# How far back the operator page's statistics reach.
STATS_WINDOW_SECONDS = 3600
_KEY_PREFIX = "soclook-calls"
_METRICS = ("calls", "errors", "rate_limited", "ms_total")
# What the client logs, instead of a status, when the key's budget (handlers_app.budget) held a
# request back; the statistics count it as rate limited.
HELD_BACK_BY_BUDGET = "local budget"


@dataclass(frozen=True, slots=True)
class CallStats:
    """What one connection's calls to the service looked like over the last hour."""

    label: str
    calls: int = 0
    errors: int = 0
    rate_limited: int = 0
    ms_total: int = 0
    remaining: int | None = None

    @property
    def average_ms(self) -> int | None:
        return round(self.ms_total / self.calls) if self.calls else None

    @property
    def is_empty(self) -> bool:
        return not (self.calls or self.rate_limited)


def connection_label(connection_id: int | None) -> str:
    """How the client's log lines (and so the statistics) name a connection."""
    return f"connection:{connection_id or 'new'}"


def _bucket(now: float) -> int:
    return int(now // BUCKET_SECONDS)


def _key(bucket: int, label: str, metric: str) -> str:
    return f"{_KEY_PREFIX}:{bucket}:{label}:{metric}"


def _remaining_key(label: str) -> str:
    return f"{_KEY_PREFIX}:remaining:{label}"


def _increment(key: str, amount: int) -> None:
    # add() then incr() is atomic on Redis and under the local-memory cache's lock; the bucket
    # outlives the window so the page never reads a half-expired hour.
    cache.add(key, 0, timeout=STATS_WINDOW_SECONDS + BUCKET_SECONDS)
    try:
        cache.incr(key, amount)
    except ValueError:
        cache.set(key, amount, timeout=STATS_WINDOW_SECONDS + BUCKET_SECONDS)


def call_record(
    *,
    label: str,
    status: int | None,
    error: str,
    elapsed_ms: int | None,
    remaining: int | None,
    now: float | None = None,
) -> None:
    """Count one line of the client's log: a request sent (or held back by the local budget)."""
    bucket = _bucket(time.time() if now is None else now)
    counts: dict[str, int] = {}
    if elapsed_ms is not None:
        counts["calls"] = 1
        counts["ms_total"] = elapsed_ms
        if status is None or status >= 500:
            counts["errors"] = 1
    if status == 429 or error == HELD_BACK_BY_BUDGET:
        counts["rate_limited"] = 1
    for metric, amount in counts.items():
        _increment(_key(bucket, label, metric), amount)
    if remaining is not None:
        cache.set(_remaining_key(label), remaining, timeout=STATS_WINDOW_SECONDS)


def call_stats(*, labels: Iterable[str], now: float | None = None) -> dict[str, CallStats]:
    """The last hour's counts for each label, read in one round trip to the cache."""
    labels = list(dict.fromkeys(labels))
    last = _bucket(time.time() if now is None else now)
    buckets = range(last - STATS_WINDOW_SECONDS // BUCKET_SECONDS + 1, last + 1)
    keys = [_key(b, label, metric) for label in labels for b in buckets for metric in _METRICS]
    found = cache.get_many([*keys, *(_remaining_key(label) for label in labels)])
    result = {}
    for label in labels:
        totals = {
            metric: sum(int(found.get(_key(b, label, metric), 0)) for b in buckets)
            for metric in _METRICS
        }
        result[label] = CallStats(label=label, remaining=found.get(_remaining_key(label)), **totals)
    return result


class CallStatsHandler(logging.Handler):
    """Attached to the "handlers_app.soclook" logger: counts each "soclook call" line."""

    def emit(self, record: logging.LogRecord) -> None:
        label = getattr(record, "soclook_label", None)
        if label is None:
            return
        try:
            call_record(
                label=label,
                status=getattr(record, "soclook_status", None),
                error=getattr(record, "soclook_error", "") or "",
                elapsed_ms=getattr(record, "soclook_elapsed_ms", None),
                remaining=getattr(record, "soclook_remaining", None),
                now=record.created,
            )
        except Exception:
            # Statistics must never break a call to the service (a cache outage, say).
            self.handleError(record)
