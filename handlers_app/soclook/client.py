"""The Soclook notification-handlers API client: the only code in the project that calls Soclook.

Every call goes through `SoclookClient._request()`, which reserves the shared per-key budget,
sends through the outbound guard (the API address is typed by a person: see
`handlers_app.outbound`) within one deadline for all attempts and a cap on the answer's size,
retries only safe reads, logs one line per HTTP request and turns every failure into an
exception from `errors`. Parsing accepts both the documented shapes and the live service's
variants (see docs/soclook-api.md); an answer of another shape is `NotSoclook`, and
nothing from it is shown.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext_lazy
from urllib3.filepost import encode_multipart_formdata

from handlers_app import outbound
from handlers_app.observability import HELD_BACK_BY_BUDGET

from .errors import (
    DEFAULT_RETRY_AFTER,
    AddressRefused,
    BadKey,
    NotFound,
    NotSoclook,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    SoclookError,
    Unavailable,
)
from .records import RESULTS_PER_PAGE_CHOICES, Handler, HandlerPage, HandlerStatus, ListQuery
from .types import HANDLER_TYPES, NAME_MAX_LENGTH, VALUE_MAX_LENGTH, get_handler_type

__all__ = [
    "MAX_ANSWER_BYTES",
    "RequestBudget",
    "SoclookClient",
    "soclook_policy",
]

logger = logging.getLogger("handlers_app.soclook")

# Keys the service puts inside `settings` that are state, not something a person set.
_HELPER_SETTINGS_KEYS = frozenset({"email_is_confirmed"})
# Form fields of their own: a settings key with one of these names cannot be sent back.
_RESERVED_FORM_FIELDS = frozenset({"name", "type", "is_enabled"})
_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_RETRYABLE_READ_STATUSES = frozenset({502, 503, 504})
_UNCONFIRMED_WRITE_STATUSES = frozenset({502, 504})
_MAX_TITLE_LENGTH = 300
# Shorter settings values are not worth scrubbing out of titles and would mangle ordinary words.
_MIN_SCRUBBED_LENGTH = 6
_REDACTED = "••••"
_KEY_RE = re.compile(r"^[\x21-\x7e]+$")
_INT_RE = re.compile(r"^-?[0-9]{1,18}$")
_USER_AGENT = "soclook-handlers-dashboard"
# The largest answer read from Soclook (about 5.4 MB): a full page of handlers of the widest
# type at the longest values the service keeps. It writes non-ASCII as \uXXXX (6 bytes; names
# are often Cyrillic) and escapes "/" (2 bytes; settings are mostly URLs and tokens); 512 bytes
# cover a record's keys, id, flags and dates. Past it, the answer is abandoned.
_WIDEST_TYPE_FIELDS = max(len(handler_type.fields) for handler_type in HANDLER_TYPES.values())
MAX_ANSWER_BYTES = max(RESULTS_PER_PAGE_CHOICES) * (
    NAME_MAX_LENGTH * 6 + _WIDEST_TYPE_FIELDS * VALUE_MAX_LENGTH * 2 + 512
)

Fetch = Callable[..., outbound.Answer]


def soclook_policy(*, deadline: float | None = None) -> outbound.Policy:
    """What a call to a Soclook API address may do; `deadline` covers all of a call's attempts.

    Any port from 1024 up is allowed beside 80 and 443 (an instance on :8443, the sandbox), not
    the privileged ones of other services (ssh, smtp...).
    """
    return outbound.Policy(
        deadline=settings.SOCLOOK_TIMEOUT if deadline is None else deadline,
        max_bytes=MAX_ANSWER_BYTES,
        allow_private=settings.SOCLOOK_ALLOW_PRIVATE_ADDRESSES,
        unprivileged_ports=True,
        connect_timeout=settings.SOCLOOK_CONNECT_TIMEOUT,
    )


_DEFAULT_QUERY = ListQuery()


class RequestBudget(Protocol):
    def reserve(self) -> None:
        """Raise `RateLimited` when no request may be sent now; otherwise count one."""

    def observe(
        self, *, status: int, limit: int | None, remaining: int | None, reset: int | None
    ) -> None:
        """Learn from the rate-limit headers of a response (errors included)."""


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: Any
    # The body was JSON (or empty), not e.g. a proxy's HTML page.
    readable: bool = True


class _ShapeError(Exception):
    pass


class SoclookClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout: float | None = None,
        fetch: Fetch = outbound.fetch,
        budget: RequestBudget | None = None,
        label: str = "",
        get_retries: int = 2,
        backoff: float = 0.25,
        on_written: Callable[[int, Handler | None], None] | None = None,
    ) -> None:
        """`timeout`: seconds for a whole call, every attempt and pause included (default
        SOCLOOK_TIMEOUT). `fetch` sends one request (tests give a fake). `on_written` hears of
        each create or update the service accepted: the handler's id, and the handler as the
        answer describes it (None when it does not)."""
        self.base_url = base_url.strip().rstrip("/") + "/"
        self._api_key = api_key.strip()
        self.policy = soclook_policy(deadline=timeout)
        self._fetch = fetch
        self._budget = budget
        self.label = label
        self.get_retries = max(0, get_retries)
        self.backoff = backoff
        self._on_written = on_written
        self._rate_limit_remaining: int | None = None

    def __repr__(self) -> str:
        return f"<SoclookClient label={self.label!r} base_url={self.base_url!r}>"

    @property
    def rate_limit_remaining(self) -> int | None:
        return self._rate_limit_remaining

    def list_handlers(self, query: ListQuery = _DEFAULT_QUERY) -> HandlerPage:
        answer = self._request("GET", "notification-handlers/", params=query.to_params())
        try:
            return _parse_page(answer.body, query=query)
        except _ShapeError as exc:
            raise _shape_error(answer) from exc

    def get_handler(self, handler_id: int) -> Handler:
        answer = self._request("GET", _item_path(handler_id))
        try:
            return _parse_handler(_data_of(answer.body))
        except _ShapeError as exc:
            raise _shape_error(answer) from exc

    def create_handler(self, *, name: str, type: str, settings: Mapping[str, str]) -> int:
        return self.create_handler_described(name=name, type=type, settings=settings)[0]

    def create_handler_described(
        self, *, name: str, type: str, settings: Mapping[str, str]
    ) -> tuple[int, Handler | None]:
        """Create a handler; return its id and the record as the service answered it, when the
        answer holds it (the live service's does, the seed's `{"data": {"id": 1}}` does not)."""
        form = {"name": name, "type": type, **_settings_form(type, settings)}
        answer = self._request("POST", "notification-handlers", form=form)
        try:
            data = _data_of(answer.body)
            new_id = _as_int(data.get("id")) if isinstance(data, Mapping) else None
        except _ShapeError:
            new_id = None
        if new_id is None:
            # The service said yes, so a handler probably exists now; without its id a retry
            # could make a second one.
            raise OutcomeUnknown(status=answer.status)
        described = self._written(new_id, answer)
        # An answer that holds only the id parses as a record without a type or times.
        if described is None or not described.type or described.created is None:
            return new_id, None
        return new_id, described

    def update_handler(
        self,
        *,
        handler_id: int,
        name: str,
        type: str,
        settings: Mapping[str, str],
        is_enabled: bool | None = None,
    ) -> Handler | None:
        """Send the whole record; return it as the service answered, when the answer holds it
        (the live service's does, the seed's `{"data": {"id": 1}}` does not)."""
        # The live service blanks the type of an update without `type`, and keeps stored
        # settings only when `type` is sent: so every update carries the whole record.
        form = {"name": name, "type": type, **_settings_form(type, settings)}
        if not type:
            # The service refuses `type=""`, and a handler whose type is already blank loses
            # nothing more when it is left out: its settings still travel in full.
            del form["type"]
        if is_enabled is not None:
            form["is_enabled"] = "1" if is_enabled else "0"
        answer = self._request("POST", _item_path(handler_id), form=form)
        return self._written(handler_id, answer)

    def _written(self, handler_id: int, answer: _Answer) -> Handler | None:
        """The record a write's answer holds, if any; `on_written` hears of every write."""
        try:
            described: Handler | None = _parse_handler(_data_of(answer.body))
        except _ShapeError:
            described = None
        if self._on_written is not None:
            self._on_written(handler_id, described)
        return described

    def delete_handler(self, handler_id: int) -> None:
        self._request("DELETE", _item_path(handler_id))

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
    ) -> _Answer:
        is_write = method != "GET"
        # A malformed key could never be accepted, and a line break in it would forge a header.
        if not _KEY_RE.match(self._api_key):
            self._log(method, path, attempt=1, error="malformed key")
            raise BadKey()
        attempts = 1 if is_write else 1 + self.get_retries
        url = self.base_url + path + ("?" + urlencode(params) if params else "")
        log_path = path + ("?" + "&".join(params) if params else "")
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Accept": "application/json",
            "User-Agent": _USER_AGENT,
        }
        body = b""
        if form:
            body, headers["Content-Type"] = encode_multipart_formdata(list(form.items()))
        secrets = [self._api_key]
        if form:
            secrets += [v for k, v in form.items() if k not in _RESERVED_FORM_FIELDS]
        is_item = path.rstrip("/") != "notification-handlers"
        # One deadline for the call: a retry only gets what its predecessors left.
        deadline = outbound.Deadline.after(self.policy.deadline)
        for attempt in range(1, attempts + 1):
            if self._budget is not None:
                try:
                    self._budget.reserve()
                except RateLimited:
                    self._log(method, log_path, attempt=attempt, error=HELD_BACK_BY_BUDGET)
                    raise
            started = time.monotonic()
            try:
                response = self._fetch(
                    url,
                    self.policy,
                    method=method,
                    headers=headers,
                    body=body,
                    deadline=deadline,
                )
            except outbound.OutboundError as exc:
                elapsed = time.monotonic() - started
                self._log(
                    method, log_path, attempt=attempt, elapsed=elapsed, error=type(exc).__name__
                )
                if isinstance(exc, outbound.Refused | outbound.Redirected):
                    raise AddressRefused(exc) from exc
                if (
                    not is_write
                    and _may_retry(exc)
                    and attempt < attempts
                    and self._pause(attempt, deadline)
                ):
                    continue
                if is_write and exc.request_sent:
                    raise OutcomeUnknown() from exc
                if isinstance(exc, outbound.TooLarge):
                    raise Unavailable(message=exc.default_message) from exc
                raise Unavailable() from exc
            elapsed = time.monotonic() - started
            self._observe(response)
            self._log(method, log_path, attempt=attempt, elapsed=elapsed, status=response.status)
            if (
                not is_write
                and response.status in _RETRYABLE_READ_STATUSES
                and attempt < attempts
                and self._pause(attempt, deadline)
            ):
                continue
            return _interpret(response, is_write=is_write, is_item=is_item, secrets=secrets)
        raise AssertionError("unreachable: the last attempt always returns or raises")

    def _pause(self, attempt: int, deadline: outbound.Deadline) -> bool:
        """Wait before the next attempt; False when the call's deadline leaves no time for it."""
        delay = self.backoff * 2 ** (attempt - 1)
        if delay >= deadline.remaining():
            return False
        time.sleep(delay)
        return True

    def _observe(self, response: outbound.Answer) -> None:
        limit = _header_int(response, "X-RateLimit-Limit")
        remaining = _header_int(response, "X-RateLimit-Remaining")
        reset = _header_int(response, "X-RateLimit-Reset")
        if remaining is not None:
            self._rate_limit_remaining = remaining
        if self._budget is not None:
            self._budget.observe(
                status=response.status, limit=limit, remaining=remaining, reset=reset
            )

    def _log(
        self,
        method: str,
        path: str,
        *,
        attempt: int,
        elapsed: float | None = None,
        status: int | None = None,
        error: str = "",
    ) -> None:
        elapsed_ms = None if elapsed is None else round(elapsed * 1000)
        failed = bool(error) or status is None or status >= 500 or status == 429
        logger.log(
            logging.WARNING if failed else logging.INFO,
            "soclook call [%s] %s %s -> %s in %s ms, attempt %d, %s requests left",
            self.label,
            method,
            path,
            status if status is not None else error,
            elapsed_ms,
            attempt,
            self._rate_limit_remaining,
            extra={
                "soclook_label": self.label,
                "soclook_method": method,
                "soclook_path": path,
                "soclook_status": status,
                "soclook_error": error,
                "soclook_elapsed_ms": elapsed_ms,
                "soclook_attempt": attempt,
                "soclook_remaining": self._rate_limit_remaining,
            },
        )


def _item_path(handler_id: int) -> str:
    return f"notification-handlers/{int(handler_id)}"


def _settings_form(handler_type: str, settings: Mapping[str, str]) -> dict[str, str]:
    """Every field of the type (blank when missing) plus any other key the caller holds."""
    form = dict.fromkeys(get_handler_type(handler_type).field_names, "")
    for key, value in settings.items():
        if key not in _HELPER_SETTINGS_KEYS:
            form[key] = "" if value is None else str(value)
    for key in _RESERVED_FORM_FIELDS:
        form.pop(key, None)
    return form


def _may_retry(exc: outbound.OutboundError) -> bool:
    """A read is tried again when no answer came at all; a slow or garbled one is not."""
    if isinstance(exc, outbound.TimedOut):
        return not exc.request_sent
    return isinstance(
        exc, outbound.ConnectionRefused | outbound.ConnectionFailed | outbound.NameNotFound
    )


def _interpret(
    response: outbound.Answer, *, is_write: bool, is_item: bool, secrets: Iterable[str]
) -> _Answer:
    body, readable = _decode(response.content)
    status = response.status
    # Some deployments wrap an error in a 200; the status inside the body then decides.
    if (
        200 <= status < 300
        and isinstance(body, Mapping)
        and body.get("errors")
        and "data" not in body
    ):
        status = _status_from_errors(body) or 400
    if 200 <= status < 300:
        if is_write and not (readable and (body is None or _has_data(body))):
            # A proxy's maintenance page also comes with a 200, and so may another service's
            # JSON; only the service's own answer (or nothing at all) shows that the service
            # itself took the change.
            raise OutcomeUnknown(status=status)
        return _Answer(status=status, body=body, readable=readable)
    raise _error_for(
        status,
        body=body if readable else None,
        response=response,
        is_write=is_write,
        is_item=is_item,
        secrets=secrets,
    )


def _error_for(
    status: int,
    *,
    body: Any,
    response: outbound.Answer,
    is_write: bool,
    is_item: bool,
    secrets: Iterable[str],
) -> SoclookError:
    if status == 429:
        retry_after = _header_int(response, "X-RateLimit-Reset")
        return RateLimited(
            retry_after=retry_after if retry_after and retry_after > 0 else DEFAULT_RETRY_AFTER,
            limit=_header_int(response, "X-RateLimit-Limit"),
            status=status,
        )
    if status == 401 and not is_write:
        return BadKey(status=status)
    if status == 404:
        if is_item:
            return NotFound(status=status)
        return Unavailable(
            status=status,
            message=gettext_lazy(
                "Soclook has no notification-handlers API at this address. "
                "Check the connection's API address."
            ),
        )
    if is_write and status in _UNCONFIRMED_WRITE_STATUSES:
        return OutcomeUnknown(status=status)
    if 400 <= status < 500:
        if body is not None and not _is_error_shape(body):
            return NotSoclook(status=status)
        return Rejected(title=_title_of(body, secrets=secrets), status=status)
    return Unavailable(status=status)


def _decode(content: bytes) -> tuple[Any, bool]:
    if not content.strip():
        return None, True
    try:
        return json.loads(content), True
    except ValueError:
        return None, False


def _status_from_errors(body: Mapping[str, Any]) -> int | None:
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        status = _as_int(errors[0].get("status"))
        if status is not None and 400 <= status < 600:
            return status
    return None


def _shape_error(answer: _Answer) -> Unavailable:
    # A proxy's HTML page or an empty answer is the service being unwell; JSON of another shape
    # is another service.
    if answer.readable and answer.body is not None:
        return NotSoclook(status=answer.status)
    return Unavailable(status=answer.status)


def _is_error_shape(body: Any) -> bool:
    """The service's error answer: `errors`, one or a list, each with a title and a status."""
    if not isinstance(body, Mapping):
        return False
    errors = body.get("errors")
    if isinstance(errors, Mapping):
        errors = [errors]
    return (
        isinstance(errors, list)
        and bool(errors)
        and all(
            isinstance(item, Mapping)
            and isinstance(item.get("title"), str)
            and _as_int(item.get("status")) is not None
            for item in errors
        )
    )


def _title_of(body: Any, *, secrets: Iterable[str]) -> str:
    if not isinstance(body, Mapping):
        return ""
    errors = body.get("errors")
    if isinstance(errors, Mapping):
        errors = [errors]
    if not isinstance(errors, list):
        return ""
    titles = [
        str(item["title"]).strip()
        for item in errors
        if isinstance(item, Mapping) and item.get("title") is not None
    ]
    title = "; ".join(dict.fromkeys(t for t in titles if t))
    # The service may echo what it was sent; a submitted setting or the key must not reach a page.
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= _MIN_SCRUBBED_LENGTH:
            title = title.replace(secret, _REDACTED)
    if len(title) > _MAX_TITLE_LENGTH:
        title = title[: _MAX_TITLE_LENGTH - 1] + "…"
    return title


def _header_int(response: outbound.Answer, name: str) -> int | None:
    return _as_int(response.headers.get(name.lower()))


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if _INT_RE.match(text):
            return int(text)
    return None


def _has_data(body: Any) -> bool:
    return isinstance(body, Mapping) and "data" in body


def _data_of(body: Any) -> Any:
    if not _has_data(body):
        raise _ShapeError("no data")
    return body["data"]


def _parse_page(body: Any, *, query: ListQuery) -> HandlerPage:
    raw_items = _data_of(body)
    # PHP encodes an empty or sparse array as an object.
    if isinstance(raw_items, Mapping):
        raw_items = list(raw_items.values())
    if not isinstance(raw_items, list):
        raise _ShapeError("data is not a list")
    items = []
    for raw in raw_items:
        try:
            items.append(_parse_handler(raw))
        except _ShapeError:
            logger.warning("soclook list: skipped a handler without a usable id")
    meta = body.get("meta")
    if not isinstance(meta, Mapping):
        raise _ShapeError("no meta")
    page = _as_int(meta.get("page")) or query.page
    per_page = _as_int(meta.get("results_per_page")) or query.results_per_page
    total = _as_int(meta.get("total"))
    if total is None:
        total = _as_int(meta.get("total_results"))
    if total is None:
        total = (page - 1) * per_page + len(items)
    total_pages = _as_int(meta.get("total_pages"))
    if total_pages is None:
        total_pages = math.ceil(total / per_page)
    return HandlerPage(
        items=tuple(items), page=page, per_page=per_page, total=total, total_pages=total_pages
    )


def _parse_handler(raw: Any) -> Handler:
    if not isinstance(raw, Mapping):
        raise _ShapeError("handler is not an object")
    handler_id = _as_int(raw.get("id"))
    if handler_id is None:
        raise _ShapeError("handler has no id")
    settings, email_confirmed = _parse_settings(raw.get("settings"))
    return Handler(
        id=handler_id,
        type=_as_text(raw.get("type")),
        name=_as_text(raw.get("name")),
        settings=MappingProxyType(settings),
        status=_parse_status(raw.get("is_enabled")),
        created=_parse_datetime(raw.get("datetime")),
        last_changed=_parse_datetime(raw.get("last_datetime")),
        email_confirmed=email_confirmed,
    )


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _parse_settings(value: object) -> tuple[dict[str, str], bool | None]:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else None
        except ValueError:
            value = None
    if not isinstance(value, Mapping):
        return {}, None
    settings = {str(key): _as_text(item) for key, item in value.items()}
    confirmed = settings.pop("email_is_confirmed", None)
    return settings, None if confirmed is None else _as_flag(confirmed)


def _as_flag(text: str) -> bool:
    return text.strip().lower() not in {"", "0", "false", "no", "null"}


def _parse_status(value: object) -> HandlerStatus:
    if value is None:
        return HandlerStatus.DISABLED
    if isinstance(value, bool):
        return HandlerStatus.ENABLED if value else HandlerStatus.DISABLED
    number = _as_int(value)
    if number is None:
        return HandlerStatus.ENABLED if _as_flag(str(value)) else HandlerStatus.DISABLED
    if number in HandlerStatus.values:
        return HandlerStatus(number)
    return HandlerStatus.ENABLED if number else HandlerStatus.DISABLED


def _parse_datetime(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip(), _DATETIME_FORMAT)
    except ValueError:
        return None
