"""What carries the outbound guard's requests: urllib3 keep-alive pools, the trust store, TLS
session reuse.

`handlers_app.outbound` decides where a request may go (`check()` gives a `Target` of checked
addresses); this module only carries it there:

- One urllib3 pool per (scheme, typed host, port, checked address), kept per worker process and
  shared by its threads. The pool connects to the checked address itself (never a second lookup),
  and every new connection checks that address against the call's policy again; TLS names the
  typed host for SNI and the certificate. A new connection is made only when no idle one waits.
- Every socket read and write gets only what is left of the call's deadline, so a server that
  drips bytes (headers or body, plain or TLS) cannot keep a thread past it; the answer is read
  as a stream and abandoned past the policy's size cap.
- The TLS context trusts the system's store (OpenSSL's default paths, which honour
  SSL_CERT_FILE and SSL_CERT_DIR; certifi's bundle where the system has none) plus
  SOCLOOK_CA_BUNDLE, a PEM file an operator adds for a private CA. It remembers the last TLS
  session of each (host, address, port), so a new connection resumes it instead of a full
  handshake.
- A request is repeated only when that is safe: when a connection kept from an earlier call
  turns out closed by the server before any answer, and the method is a read (GET, HEAD,
  OPTIONS). A write whose request may have left is never sent twice.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import socket
import ssl
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

import certifi
import urllib3
from django.conf import settings
from django.core.signals import setting_changed
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    HTTPError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util import SKIP_HEADER

from handlers_app.outbound import (
    IP,
    Answer,
    BrokenAnswer,
    ConnectionFailed,
    ConnectionRefused,
    Deadline,
    OutboundError,
    Policy,
    Redirected,
    SecureConnectionFailed,
    Target,
    TimedOut,
    TooLarge,
    check_address,
)

__all__ = ["forget_connections", "send"]

_READ_CHUNK = 64 * 1024
# Idle connections a pool keeps (one per thread of a gthread worker is plenty); a busier moment
# opens more and closes the extras when they come back.
_IDLE_PER_POOL = 8
# Pools kept per worker: API addresses and test-send destinations; the least recently used goes.
_MAX_POOLS = 64
_MAX_SESSIONS = 256
# Methods that change nothing (RFC 9110, 9.2.1), so also mean the same when repeated. PUT and
# DELETE are idempotent too, but the client counts every write once, so they are not repeated.
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
# How often a request goes again after a kept connection was found closed under it.
_STALE_RETRIES = 2
_CONNECTION_DROPPED = (
    http.client.RemoteDisconnected,
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
)


def send(
    target: Target,
    policy: Policy,
    *,
    method: str,
    headers: Mapping[str, str],
    body: bytes,
    deadline: Deadline,
) -> Answer:
    """Send one request to a checked `target`; every failure is an `OutboundError`."""
    sent_headers = {"Host": target.host_header, **headers}
    # urllib3 would name itself otherwise; the caller says who is asking.
    sent_headers.setdefault("User-Agent", SKIP_HEADER)
    failure: OutboundError = ConnectionFailed(request_sent=False)
    for address in target.addresses:
        pool = _pools.get(target, address)
        for _ in range(_STALE_RETRIES + 1):
            with _calling(deadline, policy) as call:
                try:
                    return _exchange(pool, target, policy, method, sent_headers, body, call)
                except _Unreachable as exc:
                    # Nothing left: the next checked address may answer.
                    failure = exc.error
                    break
                except _StaleConnection:
                    continue
    raise failure


def forget_connections() -> None:
    """Close every kept connection and forget TLS sessions and trust (a fork, new settings)."""
    _pools.clear()
    _tls_context.cache_clear()


# --- one request -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Call:
    deadline: Deadline
    policy: Policy
    sent: bool = False
    reused: bool = False


_current: ContextVar[_Call] = ContextVar("outbound_call")


@contextmanager
def _calling(deadline: Deadline, policy: Policy) -> Iterator[_Call]:
    call = _Call(deadline=deadline, policy=policy)
    token = _current.set(call)
    try:
        yield call
    finally:
        _current.reset(token)


class _Unreachable(Exception):
    """No connection could be made to one address; nothing was sent."""

    def __init__(self, error: OutboundError) -> None:
        super().__init__()
        self.error = error


class _StaleConnection(Exception):
    """A kept connection was closed under an idempotent request: send it again."""


def _exchange(
    pool: HTTPConnectionPool,
    target: Target,
    policy: Policy,
    method: str,
    headers: Mapping[str, str],
    body: bytes,
    call: _Call,
) -> Answer:
    remaining = call.deadline.remaining()
    if remaining <= 0:
        raise TimedOut(request_sent=False)
    response = None
    complete = False
    try:
        response = pool.urlopen(
            method,
            target.path,
            body=body or None,
            headers=dict(headers),
            retries=False,
            redirect=False,
            assert_same_host=False,
            timeout=urllib3.Timeout(connect=remaining, read=remaining),
            preload_content=False,
            decode_content=False,
            release_conn=False,
        )
        if 300 <= response.status < 400:
            raise Redirected()
        length = response.headers.get("Content-Length", "")
        if length.strip().isdigit() and int(length) > policy.max_bytes:
            raise TooLarge()
        content = bytearray()
        while chunk := response.read(_READ_CHUNK):
            content += chunk
            if len(content) > policy.max_bytes:
                raise TooLarge()
        complete = True
    except (HTTPError, OSError, http.client.HTTPException) as exc:
        raise _failure(exc, call, method) from exc
    finally:
        if response is not None:
            if not complete:
                # Unread bytes would be taken for the next answer: the connection goes.
                response.close()
            response.release_conn()
    names: dict[str, str] = {}
    for name, value in response.headers.iteritems():
        key = name.lower()
        names[key] = f"{names[key]}, {value}" if key in names else value
    return Answer(status=response.status, headers=MappingProxyType(names), content=bytes(content))


def _failure(exc: Exception, call: _Call, method: str) -> Exception:
    cause = _cause(exc)
    if isinstance(exc, ReadTimeoutError) or isinstance(cause, TimeoutError):
        return TimedOut(request_sent=call.sent)
    if not call.sent:
        if isinstance(exc, SSLError) or isinstance(cause, ssl.SSLError | ssl.CertificateError):
            return SecureConnectionFailed()
        return ConnectionFailed(request_sent=False)
    if isinstance(cause, _CONNECTION_DROPPED):
        if call.reused and method in _IDEMPOTENT and call.deadline.remaining() > 0:
            return _StaleConnection()
        return ConnectionFailed(request_sent=True)
    return BrokenAnswer()


def _cause(exc: BaseException) -> BaseException:
    """The socket's or http.client's own error under urllib3's wrappers."""
    while isinstance(exc, HTTPError):
        inner = next((arg for arg in exc.args if isinstance(arg, BaseException)), None)
        inner = inner or exc.__cause__ or exc.__context__
        if inner is None:
            return exc
        exc = inner
    return exc


# --- connections: to the checked address, within the deadline --------------------------------


class _DeadlineSocket(socket.socket):
    """A socket whose every read and write waits at most until the current call's deadline.

    A per-read timeout alone lets a server that sends one byte every few seconds keep the
    request alive for ever; here each read only gets what is left of the whole call.
    """

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        _arm(self)
        return super().recv_into(buffer, nbytes, flags)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        _arm(self)
        return super().recv(bufsize, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        _arm(self)
        super().sendall(data, flags)


class _DeadlineSSLSocket(ssl.SSLSocket):
    """The same for TLS, and the place that keeps a TLS session for the next connection."""

    session_key: tuple[str, str, int] | None = None

    def recv_into(self, buffer: Any, nbytes: int | None = None, flags: int = 0) -> int:
        _arm(self)
        received = super().recv_into(buffer, nbytes, flags)  # type: ignore[arg-type]
        self._keep_session()
        return received

    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        _arm(self)
        return super().recv(buflen, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        _arm(self)
        super().sendall(data, flags)

    def _keep_session(self) -> None:
        # TLS 1.3 hands out its session ticket after the handshake, with the first answer.
        key = self.session_key
        session = self.session
        if key is not None and session is not None and session.has_ticket:
            context = self.context
            if isinstance(context, _TrustContext):
                context.keep_session(key, session)
            self.session_key = None


def _arm(sock: socket.socket) -> None:
    call = _current.get(None)
    if call is None:
        return
    remaining = call.deadline.remaining()
    if remaining <= 0:
        raise TimeoutError("deadline passed")
    sock.settimeout(remaining)


class _CheckedConnectionMixin:
    """Connects to the pool's host, a checked address, checking it again under this call's
    policy (a pool outlives one call)."""

    host: str
    port: int
    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        call = _current.get()
        address: IP = ipaddress.ip_address(self.host)
        check_address(address, call.policy)
        remaining = call.deadline.remaining()
        if remaining <= 0:
            raise _Unreachable(TimedOut(request_sent=False))
        if call.policy.connect_timeout is not None:
            remaining = min(remaining, call.policy.connect_timeout)
        try:
            sock = socket.create_connection((str(address), self.port), timeout=remaining)
        except TimeoutError as exc:
            raise _Unreachable(TimedOut(request_sent=False)) from exc
        except ConnectionRefusedError as exc:
            raise _Unreachable(ConnectionRefused()) from exc
        except OSError as exc:
            raise _Unreachable(ConnectionFailed(request_sent=False)) from exc
        kept = _DeadlineSocket(sock.family, sock.type, sock.proto, fileno=sock.detach())
        kept.settimeout(max(call.deadline.remaining(), 0.001))
        self._requests_made = 0
        return kept

    def request(self, *args: Any, **kwargs: Any) -> None:
        call = _current.get()
        # A closed connection reconnects inside `request()`: only an open one was kept.
        made = getattr(self, "_requests_made", 0) if self.sock is not None else 0
        call.reused = made > 0
        call.sent = True
        super().request(*args, **kwargs)  # type: ignore[misc]
        self._requests_made = made + 1


class _Connection(_CheckedConnectionMixin, HTTPConnection):
    pass


class _SecureConnection(_CheckedConnectionMixin, HTTPSConnection):
    pass


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _SecurePool(HTTPSConnectionPool):
    ConnectionCls = _SecureConnection


class _Pools:
    """The worker's pools, least recently used first; one lock, held only to find a pool."""

    def __init__(self, *, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._pools: OrderedDict[tuple[str, str, int, IP], HTTPConnectionPool] = OrderedDict()

    def get(self, target: Target, address: IP) -> HTTPConnectionPool:
        key = (target.scheme, target.host, target.port, address)
        with self._lock:
            pool = self._pools.get(key)
            if pool is not None:
                self._pools.move_to_end(key)
                return pool
            pool = _new_pool(target, address)
            self._pools[key] = pool
            evicted = self._pools.popitem(last=False)[1] if len(self._pools) > self._size else None
        if evicted is not None:
            evicted.close()
        return pool

    def clear(self) -> None:
        with self._lock:
            pools = list(self._pools.values())
            self._pools.clear()
        for pool in pools:
            pool.close()


def _new_pool(target: Target, address: IP) -> HTTPConnectionPool:
    common: dict[str, Any] = {
        "host": str(address),
        "port": target.port,
        "maxsize": _IDLE_PER_POOL,
        "block": False,
        "retries": False,
    }
    if target.scheme == "http":
        return _Pool(**common)
    return _SecurePool(**common, ssl_context=_tls_context(), server_hostname=target.host)


_pools = _Pools(size=_MAX_POOLS)


# --- trust and TLS sessions -------------------------------------------------------------------


class _TrustContext(ssl.SSLContext):
    """A client context whose sockets keep to the deadline and resume their last session."""

    sslsocket_class = _DeadlineSSLSocket

    def keep_session(self, key: tuple[str, str, int], session: ssl.SSLSession) -> None:
        sessions: OrderedDict[tuple[str, str, int], ssl.SSLSession] = self.__dict__.setdefault(
            "_sessions", OrderedDict()
        )
        with _sessions_lock:
            sessions[key] = session
            sessions.move_to_end(key)
            while len(sessions) > _MAX_SESSIONS:
                sessions.popitem(last=False)

    def wrap_socket(  # type: ignore[override]
        self,
        sock: socket.socket,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
        server_hostname: str | None = None,
        session: ssl.SSLSession | None = None,
    ) -> ssl.SSLSocket:
        peer = sock.getpeername()
        key = (server_hostname or "", str(peer[0]), int(peer[1]))
        with _sessions_lock:
            session = session or self.__dict__.get("_sessions", {}).get(key)
        wrapped = super().wrap_socket(
            sock,
            server_side=server_side,
            do_handshake_on_connect=do_handshake_on_connect,
            suppress_ragged_eofs=suppress_ragged_eofs,
            server_hostname=server_hostname,
            session=session,
        )
        if isinstance(wrapped, _DeadlineSSLSocket):
            wrapped.session_key = key
        return wrapped


_sessions_lock = threading.Lock()


@cache
def _tls_context() -> _TrustContext:
    context = _TrustContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    defaults = ssl.get_default_verify_paths()
    if defaults.cafile or defaults.capath:
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)
    else:
        context.load_verify_locations(cafile=certifi.where())
    bundle = settings.SOCLOOK_CA_BUNDLE
    if bundle:
        context.load_verify_locations(cafile=bundle)
    return context


def _forget_on_change(*, setting: str, **_: object) -> None:
    if setting == "SOCLOOK_CA_BUNDLE":
        forget_connections()


def _after_fork() -> None:
    # A forked process must not share its parent's sockets, and a lock held by one of the
    # parent's threads at the fork would never be released in it: start afresh, locks included.
    global _pools, _sessions_lock
    _pools = _Pools(size=_MAX_POOLS)
    _sessions_lock = threading.Lock()
    _tls_context.cache_clear()


setting_changed.connect(_forget_on_change)
os.register_at_fork(after_in_child=_after_fork)
