"""The Soclook sandbox server: a local emulator of the notification-handlers API.

DEVELOPMENT AND TEST TOOL ONLY. Never point a production dashboard at it: it keeps everything in
memory, accepts any key it was told about, and misbehaves on purpose when asked to.

Pure standard library (no Django at import time): a `ThreadingHTTPServer` in a daemon thread.
It reproduces the live service's quirks described in `docs/soclook-api.md`, including the
ones a client must survive (401 on validation errors, settings as a JSON string in write answers,
the update that blanks the type, empty delete bodies).

Decisions where the contract is silent:
- Order of checks: a path outside `/api/` gets 404; then the key (401); then the rate limit
  (429); then routing (404 for unknown API paths, 405 for a wrong verb, 404 for a handler that is
  missing or another account's).
- Rate limit: every request with a known key consumes one unit, whatever it is answered (404,
  401 for a missing field, 405...), except a 429 itself, which consumes nothing. Requests with a
  missing or unknown key consume nothing (there is no budget to charge).
- Every answer from the emulated service carries X-RateLimit-Limit/-Remaining; a 429 also
  X-RateLimit-Reset. Injected faults model the infrastructure in front of the service (proxy,
  load balancer), so they are answered before the key is checked, consume nothing and carry no
  rate-limit headers, except "rate_limit", which carries all three, and "slow"/"truncated_json",
  which are real answers delivered badly (so they count and change state). What each fault
  answers is in `faults.py`; the HTTP plumbing is in `http.py`.
- `search` is ignored unless `search_by=name` (the platform only searches named columns);
  `order_type` must be exactly "ASC" or "DESC".
- `is_enabled` on update must be "0" or "1"; anything else is refused with a 401 and a title.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import math
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import api, catalog
from .faults import (
    DELIVERY_FAULTS,
    FAULT_KINDS,
    FOREIGN_HOST,
    REDIRECT_TARGET,
    Fault,
    RecordedRequest,
    canned_reply,
    truncated,
)
from .http import Handler, Incoming, Server, read_request, send, send_dripping, send_huge
from .seeding import seed_handlers

# The fault names stay importable from here too, where tests have long found them.
__all__ = [
    "DEMO_API_KEY",
    "FAULT_KINDS",
    "FOREIGN_HOST",
    "REDIRECT_TARGET",
    "Fault",
    "RecordedRequest",
    "Sandbox",
]

DEMO_API_KEY = "sandbox-demo-key"

# The service reports naive local times; Moscow has had no daylight saving since 2014.
SERVICE_TZ = dt.timezone(dt.timedelta(hours=3), "MSK")
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"

VARIANTS = ("live", "seed")
DELETE_STATUSES = (200, 204)

_ROUTE_PREFIX = "/api/"
_COLLECTION = "/api/notification-handlers"
_COLLECTION_PATH = re.compile(r"/api/notification-handlers/?")
_ITEM_PATH = re.compile(r"/api/notification-handlers/([^/]+)/?")


@dataclass
class _Account:
    api_key: str
    user_id: int
    handlers: dict[int, api.Record] = field(default_factory=dict)
    plan_limits: dict[str, int] = field(default_factory=dict)


@dataclass
class _Window:
    started: float
    used: int = 0


class Sandbox:
    """A local, in-memory Soclook API. DEVELOPMENT AND TEST TOOL ONLY, never production.

    Tunables (`latency_ms`, `rate_limit`, `window_seconds`, `variant`, `delete_status`,
    `email_confirmation`, `slow_seconds`, `drip_seconds`, `huge_bytes`) are plain attributes;
    `reset()` puts them back to the constructor's values. A dripping answer waits `drip_seconds`
    before each byte, so lowering it lets an answer under way finish sooner.
    """

    def __init__(
        self,
        latency_ms: int = 0,
        rate_limit: int = 60,
        window_seconds: float = 60,
        variant: str = "live",
        delete_status: int = 200,
        *,
        email_confirmation: bool = True,
        slow_seconds: float = 10.0,
        drip_seconds: float = 1.0,
        huge_bytes: int = 64 * 1024 * 1024,
        request_log_limit: int | None = None,
    ) -> None:
        self._defaults: dict[str, Any] = {
            "latency_ms": latency_ms,
            "rate_limit": rate_limit,
            "window_seconds": window_seconds,
            "variant": variant,
            "delete_status": delete_status,
            "email_confirmation": email_confirmation,
            "slow_seconds": slow_seconds,
            "drip_seconds": drip_seconds,
            "huge_bytes": huge_bytes,
        }
        self._lock = threading.RLock()
        self._log: collections.deque[RecordedRequest] = collections.deque(maxlen=request_log_limit)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._generation = 0
        self._next_id = 1
        self._next_user_id = 1
        self._accounts: dict[str, _Account] = {}
        self._faults: list[Fault] = []
        self._windows: dict[str, _Window] = {}
        self.on_request: Callable[[RecordedRequest], None] | None = None
        self._apply_defaults()

    # -- tunables ------------------------------------------------------------------------

    @property
    def variant(self) -> str:
        return self._variant

    @variant.setter
    def variant(self, value: str) -> None:
        if value not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, not {value!r}")
        self._variant = value

    @property
    def delete_status(self) -> int:
        return self._delete_status

    @delete_status.setter
    def delete_status(self, value: int) -> None:
        if value not in DELETE_STATUSES:
            raise ValueError(f"delete_status must be one of {DELETE_STATUSES}, not {value!r}")
        self._delete_status = value

    def _apply_defaults(self) -> None:
        for name, value in self._defaults.items():
            setattr(self, name, value)

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve in a daemon thread; port 0 picks a free port (see `base_url`)."""
        if self._server is not None:
            raise RuntimeError("The sandbox is already running")
        server = Server((host, port), Handler)
        server.serve = self._serve
        with self._lock:
            self._wake = threading.Event()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"soclook-sandbox-{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving; requests still sleeping (latency, "slow") are cut off at once."""
        server, thread = self._server, self._thread
        if server is None:
            return
        with self._lock:
            self._wake.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Sandbox:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("The sandbox is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/"

    def reset(self) -> None:
        """Forget accounts, faults, rate-limit windows and the request log; restore tunables.

        Ids start again at 1, so the first account seeded after a reset always looks the same.

        Requests still in flight from before are cut off and leave no trace in the new state.
        """
        with self._lock:
            self._generation += 1
            old_wake, self._wake = self._wake, threading.Event()
            self._accounts.clear()
            self._next_id = self._next_user_id = 1
            self._faults.clear()
            self._windows.clear()
            self._log.clear()
            self._apply_defaults()
        old_wake.set()

    # -- accounts and handlers -----------------------------------------------------------

    def add_account(self, seed: int = 40, api_key: str | None = None) -> str:
        """Create an account with `seed` believable handlers; return its API key.

        The first handlers, in id order, are one of each Soclook type (email, webhook, slack,
        discord, telegram, microsoft_teams, x, push_subscriber_id), then when seed >= 12 a
        twilio and a google_chat one, then an email waiting for confirmation (is_enabled 2) and
        a disabled discord one; the rest are random. The same key and seed give the same data.
        """
        with self._lock:
            # A generated key depends only on how many accounts came before it since the last
            # reset, so a test sees the same seeded data on every run.
            key = (
                api_key
                or "sbx_"
                + hashlib.sha256(f"account-{self._next_user_id}".encode()).hexdigest()[:32]
            )
            if key in self._accounts:
                raise ValueError(f"An account with API key {key!r} already exists")
            account = _Account(api_key=key, user_id=self._next_user_id)
            self._next_user_id += 1
            self._accounts[key] = account
            rng = random.Random(f"{key}:{seed}")
            for draft in seed_handlers(rng, seed, _service_now()):
                self._store(
                    account,
                    type_=draft.type,
                    name=draft.name,
                    settings=draft.settings,
                    is_enabled=draft.is_enabled,
                    created=draft.datetime.strftime(DATETIME_FORMAT),
                    last=draft.last_datetime.strftime(DATETIME_FORMAT)
                    if draft.last_datetime
                    else None,
                )
        return key

    def add_handler(
        self,
        api_key: str,
        *,
        type: str,
        name: str,
        settings: dict[str, Any] | None = None,
        is_enabled: int = 1,
        datetime: str | None = None,
        last_datetime: str | None = None,
    ) -> dict[str, Any]:
        """Store one handler exactly as given (no validation); return a copy of the record."""
        with self._lock:
            record = self._store(
                self._account(api_key),
                type_=type,
                name=name,
                settings=dict(settings or {}),
                is_enabled=is_enabled,
                created=datetime or _format(_service_now()),
                last=last_datetime,
            )
            return _copy(record)

    def confirm_email(self, api_key: str, handler_id: int) -> None:
        """Act as the owner clicking the confirmation link of an email handler."""
        with self._lock:
            record = self._account(api_key).handlers[handler_id]
            record["settings"]["email_is_confirmed"] = True
            if record["is_enabled"] == catalog.IS_ENABLED_WAITING:
                record["is_enabled"] = 1

    def handlers(self, api_key: str) -> list[dict[str, Any]]:
        """Copies of the account's stored records, by id (settings as a dict, is_enabled int)."""
        with self._lock:
            account = self._account(api_key)
            return [_copy(account.handlers[i]) for i in sorted(account.handlers)]

    def set_plan_limit(self, api_key: str, type: str, n: int | None) -> None:
        """Refuse creating more than `n` handlers of `type` (None lifts the limit)."""
        with self._lock:
            limits = self._account(api_key).plan_limits
            if n is None:
                limits.pop(type, None)
            else:
                limits[type] = n

    def _account(self, api_key: str) -> _Account:
        try:
            return self._accounts[api_key]
        except KeyError:
            raise KeyError(f"No sandbox account with API key {api_key!r}") from None

    def _store(
        self,
        account: _Account,
        *,
        type_: str,
        name: str,
        settings: dict[str, Any],
        is_enabled: int,
        created: str,
        last: str | None,
    ) -> api.Record:
        record: api.Record = {
            "id": self._next_id,
            "user_id": account.user_id,
            "type": type_,
            "name": name,
            "settings": settings,
            "is_enabled": is_enabled,
            "last_datetime": last,
            "datetime": created,
        }
        self._next_id += 1
        account.handlers[record["id"]] = record
        return record

    # -- faults and the request log ------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, path):
                fault.count -= 1
                if fault.count == 0:
                    self._faults.remove(fault)
                return fault
        return None

    # -- serving -------------------------------------------------------------------------

    def _serve(self, handler: Handler) -> None:
        with self._lock:
            generation, wake = self._generation, self._wake
        incoming = read_request(handler)
        if self.latency_ms and wake.wait(self.latency_ms / 1000):
            return
        with self._lock:
            if generation != self._generation:
                return
            fault = self._take_fault(incoming.method, incoming.path)
            kind = fault.kind if fault else None
            reply: api.Reply | None = None
            if kind is None or kind in DELIVERY_FAULTS:
                reply = self._dispatch(incoming)
            elif kind != "drop":
                reply = self._fault_reply(kind, incoming)
            if reply is not None and kind == "truncated_json":
                reply = truncated(reply)
            recorded = RecordedRequest(
                method=incoming.method,
                path=incoming.path,
                query=incoming.query,
                form=incoming.form,
                api_key=incoming.api_key,
                status=None if reply is None else reply.status,
                headers=incoming.headers,
                fault=kind,
            )
            self._log.append(recorded)
            slow_seconds = self.slow_seconds
            huge_bytes = self.huge_bytes
        if self.on_request is not None:
            self.on_request(recorded)
        if reply is None or (kind == "slow" and wake.wait(slow_seconds)):
            return
        if kind == "drip":
            send_dripping(handler, reply, wake=wake, pause=lambda: self.drip_seconds)
        elif kind == "huge":
            send_huge(handler, huge_bytes, wake=wake)
        else:
            send(handler, reply)

    def _fault_reply(self, kind: str, incoming: Incoming) -> api.Reply:
        if kind == "rate_limit":
            window = self._windows.get(incoming.api_key or "")
            reset = self._seconds_left(window) if window else math.ceil(self.window_seconds)
            return self._too_many(reset)
        return canned_reply(kind)

    def _dispatch(self, incoming: Incoming) -> api.Reply:
        if not incoming.path.startswith(_ROUTE_PREFIX):
            reply = api.error_reply(404, catalog.TITLE_PATH_NOT_FOUND, self.variant)
            return self._with_budget(reply, incoming.api_key)
        account = self._accounts.get(incoming.api_key or "")
        if account is None:
            reply = api.error_reply(401, catalog.TITLE_BAD_KEY, self.variant)
            return self._with_budget(reply, None)
        window = self._windows.get(account.api_key)
        now = time.monotonic()
        if window is None or now - window.started >= self.window_seconds:
            window = self._windows[account.api_key] = _Window(started=now)
        if window.used >= self.rate_limit:
            return self._too_many(self._seconds_left(window))
        window.used += 1
        reply = self._route(account, incoming)
        reply.headers["X-RateLimit-Limit"] = str(self.rate_limit)
        reply.headers["X-RateLimit-Remaining"] = str(self.rate_limit - window.used)
        return reply

    def _with_budget(self, reply: api.Reply, api_key: str | None) -> api.Reply:
        window = self._windows.get(api_key or "")
        used = 0
        if window and time.monotonic() - window.started < self.window_seconds:
            used = window.used
        reply.headers["X-RateLimit-Limit"] = str(self.rate_limit)
        reply.headers["X-RateLimit-Remaining"] = str(max(self.rate_limit - used, 0))
        return reply

    def _seconds_left(self, window: _Window) -> int:
        return max(1, math.ceil(window.started + self.window_seconds - time.monotonic()))

    def _too_many(self, reset: int) -> api.Reply:
        reply = api.error_reply(429, catalog.TITLE_RATE_LIMITED, self.variant)
        reply.headers.update(
            {
                "X-RateLimit-Limit": str(self.rate_limit),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(reset),
            }
        )
        return reply

    def _route(self, account: _Account, incoming: Incoming) -> api.Reply:
        if _COLLECTION_PATH.fullmatch(incoming.path):
            if incoming.method == "GET":
                endpoint = f"http://{incoming.host}{_COLLECTION}"
                records = account.handlers.values()
                page = api.list_page(records, incoming.query, self.variant, endpoint)
                return api.json_reply(200, page)
            if incoming.method == "POST":
                return self._create(account, incoming.form)
            return self._not_allowed("GET, POST")
        item = _ITEM_PATH.fullmatch(incoming.path)
        if item is None:
            return api.error_reply(404, catalog.TITLE_PATH_NOT_FOUND, self.variant)
        if incoming.method not in ("GET", "POST", "DELETE"):
            return self._not_allowed("GET, POST, DELETE")
        record = None
        raw_id = item[1]
        if raw_id.isascii() and raw_id.isdigit():
            record = account.handlers.get(int(raw_id))
        if record is None:
            return api.error_reply(404, catalog.TITLE_HANDLER_NOT_FOUND, self.variant)
        if incoming.method == "GET":
            return api.json_reply(200, {"data": api.render_handler(record, self.variant)})
        if incoming.method == "POST":
            return self._update(record, incoming.form)
        del account.handlers[record["id"]]
        if self.delete_status == 204:
            return api.Reply(204, b"", None)
        return api.Reply(200, b"", api.HTML_TYPE)

    def _not_allowed(self, allow: str) -> api.Reply:
        reply = api.error_reply(405, catalog.TITLE_METHOD_NOT_ALLOWED, self.variant)
        reply.headers["Allow"] = allow
        return reply

    def _create(self, account: _Account, form: dict[str, str]) -> api.Reply:
        try:
            type_, name, settings = api.validate_create(form)
        except api.FormError as error:
            return api.error_reply(401, error.title, self.variant)
        limit = account.plan_limits.get(type_)
        if limit is not None:
            existing = sum(1 for r in account.handlers.values() if r["type"] == type_)
            if existing >= limit:
                return api.error_reply(401, catalog.TITLE_PLAN_LIMIT, self.variant)
        is_enabled = 1
        stored_settings: dict[str, Any] = dict(settings)
        if type_ == "email":
            waiting = self.variant == "live" and self.email_confirmation
            stored_settings["email_is_confirmed"] = not waiting
            is_enabled = catalog.IS_ENABLED_WAITING if waiting else 1
        record = self._store(
            account,
            type_=type_,
            name=name,
            settings=stored_settings,
            is_enabled=is_enabled,
            created=_format(_service_now()),
            last=None,
        )
        return api.write_reply(record, self.variant, created=True)

    def _update(self, record: api.Record, form: dict[str, str]) -> api.Reply:
        try:
            api.apply_update(record, form, _format(_service_now()))
        except api.FormError as error:
            return api.error_reply(401, error.title, self.variant)
        return api.write_reply(record, self.variant, created=False)


def _service_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).astimezone(SERVICE_TZ).replace(tzinfo=None, microsecond=0)


def _format(moment: dt.datetime) -> str:
    return moment.strftime(DATETIME_FORMAT)


def _copy(record: api.Record) -> dict[str, Any]:
    return {**record, "settings": dict(record["settings"])}
