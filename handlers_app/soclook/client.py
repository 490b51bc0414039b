"""The Soclook notification-handlers API client: the only code in the project that calls Soclook.

Every call goes through `SoclookClient._request()`, which reserves the shared per-key budget,
sends through the outbound guard (the API address is typed by a person: see
`handlers_app.outbound`) within one deadline for all attempts and a cap on the answer's size,
retries only safe reads, logs one line per HTTP request and turns every failure into an
exception from `errors`. What an answer means (its status, its handlers; the shapes are in
docs/soclook-api.md) is read by `answers`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Protocol
from urllib.parse import urlencode

from django.conf import settings
from urllib3.filepost import encode_multipart_formdata

from handlers_app import outbound
from handlers_app.observability import HELD_BACK_BY_BUDGET

from . import answers
from .errors import (
    AddressRefused,
    BadKey,
    OutcomeUnknown,
    RateLimited,
    Unavailable,
)
from .records import RESULTS_PER_PAGE_CHOICES, Handler, HandlerPage, ListQuery
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
_RETRYABLE_READ_STATUSES = frozenset({502, 503, 504})
_KEY_RE = re.compile(r"^[\x21-\x7e]+$")
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
            return answers.parse_page(answer.body, query=query)
        except answers.ShapeError as exc:
            raise answers.shape_error(answer) from exc

    def get_handler(self, handler_id: int) -> Handler:
        answer = self._request("GET", _item_path(handler_id))
        try:
            return answers.parse_handler(answers.data_of(answer.body))
        except answers.ShapeError as exc:
            raise answers.shape_error(answer) from exc

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
            data = answers.data_of(answer.body)
            new_id = answers.as_int(data.get("id")) if isinstance(data, Mapping) else None
        except answers.ShapeError:
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

    def _written(self, handler_id: int, answer: answers.Reply) -> Handler | None:
        """The record a write's answer holds, if any; `on_written` hears of every write."""
        try:
            described: Handler | None = answers.parse_handler(answers.data_of(answer.body))
        except answers.ShapeError:
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
    ) -> answers.Reply:
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
                    method, log_path, attempt=attempt, elapsed=elapsed, error=_error_name(exc)
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
            return answers.interpret(response, is_write=is_write, is_item=is_item, secrets=secrets)
        raise AssertionError("unreachable: the last attempt always returns or raises")

    def _pause(self, attempt: int, deadline: outbound.Deadline) -> bool:
        """Wait before the next attempt; False when the call's deadline leaves no time for it."""
        delay = self.backoff * 2 ** (attempt - 1)
        if delay >= deadline.remaining():
            return False
        time.sleep(delay)
        return True

    def _observe(self, response: outbound.Answer) -> None:
        limit = answers.header_int(response, "X-RateLimit-Limit")
        remaining = answers.header_int(response, "X-RateLimit-Remaining")
        reset = answers.header_int(response, "X-RateLimit-Reset")
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


def _error_name(exc: outbound.OutboundError) -> str:
    """For the operator's log, which no person reads: the failure under `Unreachable` too."""
    if isinstance(exc, outbound.Unreachable):
        return f"Unreachable({type(exc.reason).__name__})"
    return type(exc).__name__


def _may_retry(exc: outbound.OutboundError) -> bool:
    """A read is tried again when no answer came at all; a slow or garbled one is not."""
    if isinstance(exc, outbound.Unreachable):
        return _may_retry(exc.reason)
    if isinstance(exc, outbound.TimedOut):
        return not exc.request_sent
    return isinstance(
        exc, outbound.ConnectionRefused | outbound.ConnectionFailed | outbound.NameNotFound
    )
