"""The outbound guard: every request the dashboard makes to an address a person typed goes here.

A typed address could point the server at itself or at its private network (a cloud metadata
service, Redis, an admin panel), so nothing is sent until `check()` has looked at it:

- only `http` and `https`, no `user@host`, a port the `Policy` allows;
- the host name resolved ONCE (IPv4 spellings such as `127.1`, `0x7f000001` or `2130706433`
  read the way a resolver would) and EVERY address it gives checked: loopback, private,
  link-local (169.254.169.254 included), shared (100.64.0.0/10), multicast, reserved and
  unspecified addresses are refused, and so are IPv6 forms that embed such an IPv4 address
  (IPv4-mapped, NAT64 64:ff9b::/96, 6to4). `Policy.allow_private` lets private, shared and
  loopback addresses through (an instance on the installation's own network, development);
  link-local, multicast, reserved and unspecified addresses are refused whatever it says.

A name's checked answer is kept for a short while (`NameCache`): the system resolver does not
tell a record's time to live, so it is kept `NAME_CACHE_SECONDS` at most, well under a minute.

`send()` then carries the request (`handlers_app.wire`: keep-alive pools, trust, TLS sessions) to
a checked address only (no second lookup that a rebinding name server could answer differently),
keeps the host name for the `Host` header, TLS SNI and the certificate check, never follows a
redirect, and reads the answer as a stream within `Policy.max_bytes` and a total deadline that
bounds every socket read, so a server that drips bytes cannot hold a worker. `fetch()` is the two
in one. Every failure is an `OutboundError` whose `message` a person can read; when the address is
in a private network that the policy allows, every failure to reach it reads the same
(`Unreachable`), so that the dashboard cannot be used to map which ports answer there.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar
from urllib.parse import urlsplit

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

__all__ = [
    "WEB_PORTS",
    "Answer",
    "BrokenAnswer",
    "ConnectionFailed",
    "ConnectionRefused",
    "Deadline",
    "InvalidAddress",
    "NameCache",
    "NameNotFound",
    "OutboundError",
    "Policy",
    "PortRefused",
    "PrivateAddress",
    "Redirected",
    "Refused",
    "ReservedAddress",
    "SchemeRefused",
    "SecureConnectionFailed",
    "Target",
    "TimedOut",
    "TooLarge",
    "Unreachable",
    "UserInfoRefused",
    "check",
    "check_address",
    "fetch",
    "host_of",
    "send",
]

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Iterable[str]]

WEB_PORTS = frozenset({80, 443})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Ports from here up belong to no well-known service (ssh, smtp...), so `unprivileged_ports` may
# allow them for an API on e.g. :8080 without opening the privileged ones.
_FIRST_UNPRIVILEGED_PORT = 1024
# The system resolver does not say how long a record may be kept; this is well under the
# shortest time to live in common use (60 s) and keeps a burst of calls to one lookup.
NAME_CACHE_SECONDS = 10.0
_NAME_CACHE_SIZE = 512
_HOST_NAME_RE = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$")
_FORBIDDEN_CHARACTERS_RE = re.compile(r"[\x00-\x20\x7f\\]")

# Never reachable, whatever the policy: a cloud metadata service lives at a link-local address.
_ALWAYS_REFUSED = "always"
# Refused unless the policy allows private addresses.
_PRIVATE = "private"
_SHARED_NETWORK = ipaddress.IPv4Network("100.64.0.0/10")
# Linux connects 0.0.0.0 (and tries the rest of 0/8) on the machine itself.
_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")
_NAT64_NETWORK = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL_NETWORK = ipaddress.IPv6Network("64:ff9b:1::/48")


class OutboundError(Exception):
    """Why an outbound request did not give an answer; `message` is for the person.

    `request_sent` says whether the request may have reached the other side (a write may then
    have been applied).
    """

    default_message: ClassVar[Promise] = gettext_lazy("The address could not be reached.")
    request_sent: ClassVar[bool] = False

    @property
    def message(self) -> str:
        return str(self.default_message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Refused(OutboundError):
    """The guard refused the address itself; nothing was sent anywhere."""


class SchemeRefused(Refused):
    default_message = gettext_lazy("Only http and https addresses can be used.")


class UserInfoRefused(Refused):
    default_message = gettext_lazy(
        "The address must not contain a user name or password (user@host)."
    )


class InvalidAddress(Refused):
    default_message = gettext_lazy("This is not a valid web address.")


class PortRefused(Refused):
    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port

    @property
    def message(self) -> str:
        return gettext("This address uses a port that is not allowed (%(port)d).") % {
            "port": self.port
        }

    def __repr__(self) -> str:
        return f"PortRefused({self.port!r})"


class PrivateAddress(Refused):
    default_message = gettext_lazy(
        "This address is inside a private network; only public addresses can be used."
    )


class ReservedAddress(PrivateAddress):
    """A link-local, multicast, reserved or unspecified address (a cloud metadata service):
    refused whatever the settings say, so nothing should suggest that one could open it."""


class NameNotFound(OutboundError):
    default_message = gettext_lazy("The name in this address could not be found.")


class Redirected(OutboundError):
    """The answer was a redirect, which is never followed."""

    default_message = gettext_lazy("This address sends you elsewhere.")
    request_sent = True


class ConnectionRefused(OutboundError):
    default_message = gettext_lazy("The connection was refused.")


class SecureConnectionFailed(OutboundError):
    default_message = gettext_lazy("The secure connection failed.")


class ConnectionFailed(OutboundError):
    """The connection broke or was closed before an answer came."""

    default_message = gettext_lazy("The connection was lost before an answer came.")

    def __init__(self, *, request_sent: bool) -> None:
        super().__init__()
        self.request_sent = request_sent  # type: ignore[misc]


class TimedOut(OutboundError):
    default_message = gettext_lazy("No answer came in time.")

    def __init__(self, *, request_sent: bool) -> None:
        super().__init__()
        self.request_sent = request_sent  # type: ignore[misc]


class Unreachable(OutboundError):
    """Any failure to reach an address inside an allowed private network, in one message:
    a refused port, a timeout and a garbled answer must not tell apart what listens there.
    `reason` is the failure itself, for the code (a retry) and never for a page."""

    def __init__(self, reason: OutboundError) -> None:
        super().__init__()
        self.reason = reason
        self.request_sent = reason.request_sent  # type: ignore[misc]


class BrokenAnswer(OutboundError):
    """An answer came but is not readable HTTP, or was cut short."""

    default_message = gettext_lazy("The answer could not be read.")
    request_sent = True


class TooLarge(OutboundError):
    default_message = gettext_lazy("The answer is too large.")
    request_sent = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """What one kind of outbound request may do.

    `deadline`: seconds for the whole request, lookup, connection and reading included.
    `max_bytes`: the largest answer body read. `ports`: the ports allowed (None: any);
    `unprivileged_ports` also allows every port from 1024 up. `connect_timeout`: at most this
    long for one connection attempt (never past the deadline).
    """

    deadline: float
    max_bytes: int
    allow_private: bool = False
    ports: frozenset[int] | None = WEB_PORTS
    unprivileged_ports: bool = False
    connect_timeout: float | None = None

    def allows_port(self, port: int) -> bool:
        if self.ports is None:
            return True
        return port in self.ports or (
            self.unprivileged_ports and _FIRST_UNPRIVILEGED_PORT <= port <= 65535
        )


@dataclass(frozen=True, slots=True)
class Deadline:
    """A moment on the monotonic clock; one deadline may cover several requests (retries)."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return self.at - time.monotonic()


@dataclass(frozen=True, slots=True)
class Target:
    """A checked address: connect only to `addresses`; `host` goes in Host, SNI, the certificate."""

    scheme: str
    host: str
    port: int
    addresses: tuple[IP, ...]
    path: str

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer as it came: `headers` names are in lower case."""

    status: int
    headers: Mapping[str, str]
    content: bytes

    def json_object(self) -> dict[str, Any]:
        """The body read as a JSON object; empty when it is not one."""
        try:
            data = json.loads(self.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def wait_seconds(self, said: object = None) -> int:
        """How long a destination that is refusing for now asked to be left alone: what its
        body `said`, else its Retry-After header, else a minute."""
        return _seconds(said) or _seconds(self.headers.get("retry-after")) or 60


def _seconds(value: object) -> int | None:
    try:
        seconds = float(str(value).strip())
    except ValueError:
        return None
    return max(1, round(seconds)) if 0 < seconds < 24 * 60 * 60 else None


def host_of(url: str) -> str:
    """The host an address names; empty when it names none or cannot be read."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def check(
    url: str, policy: Policy, *, deadline: Deadline | None = None, resolve: Resolver | None = None
) -> Target:
    """Refuse `url` (a `Refused`) unless every address it leads to may be reached under `policy`.

    The name is looked up through the worker's `NameCache` unless `resolve` is given.
    """
    deadline = deadline or Deadline.after(policy.deadline)
    if not isinstance(url, str) or _FORBIDDEN_CHARACTERS_RE.search(url):
        raise InvalidAddress()
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise SchemeRefused()
        if "@" in parts.netloc:
            raise UserInfoRefused()
        port = _DEFAULT_PORTS[scheme] if parts.port is None else parts.port
    except ValueError as exc:
        raise InvalidAddress() from exc
    host = _host_name(parts.hostname or "")
    if not policy.allows_port(port):
        raise PortRefused(port)
    literal = _ip_literal(host)
    if literal is not None:
        addresses: tuple[IP, ...] = (literal,)
    elif resolve is None:
        addresses = names.lookup(host, port, deadline=deadline)
    else:
        addresses = _lookup(host, port, deadline=deadline, resolve=resolve)
    for address in addresses:
        check_address(address, policy)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(
        scheme=scheme, host=str(literal or host), port=port, addresses=addresses, path=path
    )


def check_address(address: IP, policy: Policy) -> None:
    """Refuse one address (a `PrivateAddress`) that `policy` does not let through."""
    verdict = _classify(address)
    if verdict == _ALWAYS_REFUSED:
        raise ReservedAddress()
    if verdict == _PRIVATE and not policy.allow_private:
        raise PrivateAddress()


def send(
    target: Target,
    policy: Policy,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    deadline: Deadline | None = None,
) -> Answer:
    """Send one request to a checked `target` and read its answer within `policy`.

    `body` is sent as it is: the caller encodes it and sets `Content-Type`.
    """
    from handlers_app import wire  # the transport builds on this module's types

    deadline = deadline or Deadline.after(policy.deadline)
    try:
        return wire.send(
            target, policy, method=method, headers=headers or {}, body=body, deadline=deadline
        )
    except (Redirected, TooLarge):
        raise  # an answer came: it tells no more than any answer would
    except OutboundError as exc:
        if any(_classify(address) == _PRIVATE for address in target.addresses):
            raise Unreachable(exc) from exc
        raise


def fetch(
    url: str,
    policy: Policy,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    deadline: Deadline | None = None,
    resolve: Resolver | None = None,
) -> Answer:
    """`check()` then `send()`, under one deadline."""
    deadline = deadline or Deadline.after(policy.deadline)
    target = check(url, policy, deadline=deadline, resolve=resolve)
    return send(target, policy, method=method, headers=headers, body=body, deadline=deadline)


# --- checking --------------------------------------------------------------------------------


def _host_name(host: str) -> str:
    if not host:
        raise InvalidAddress()
    if ":" in host:
        return host
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise InvalidAddress() from exc
    if not _HOST_NAME_RE.match(ascii_host):
        raise InvalidAddress()
    return ascii_host


def _ip_literal(host: str) -> IP | None:
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise InvalidAddress() from exc
    # Read as the C library reads it (1 to 4 parts, decimal, octal or hex: 127.1, 0x7f000001),
    # which is how the resolver would take it too.
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host.removesuffix(".")))
    except OSError:
        return None


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@cache
def _lookup_pool() -> ThreadPoolExecutor:
    # The C resolver has no timeout of its own; waiting in another thread keeps the deadline.
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="outbound-dns")


def _lookup(host: str, port: int, *, deadline: Deadline, resolve: Resolver) -> tuple[IP, ...]:
    remaining = deadline.remaining()
    if remaining <= 0:
        raise TimedOut(request_sent=False)
    future = _lookup_pool().submit(lambda: list(resolve(host, port)))
    try:
        found = future.result(timeout=remaining)
    except FutureTimeout as exc:
        raise TimedOut(request_sent=False) from exc
    except (OSError, UnicodeError) as exc:
        raise NameNotFound() from exc
    addresses: dict[IP, None] = {}
    for text in found:
        try:
            addresses[ipaddress.ip_address(text.split("%", 1)[0])] = None
        except ValueError as exc:
            raise NameNotFound() from exc
    if not addresses:
        raise NameNotFound()
    return tuple(addresses)


class NameCache:
    """Names looked up lately, each kept `seconds` at most, `size` names at most (the oldest
    goes first). Only found names are kept; every use checks the addresses again."""

    def __init__(
        self,
        *,
        resolve: Resolver = _resolve,
        seconds: float = NAME_CACHE_SECONDS,
        size: int = _NAME_CACHE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._resolve = resolve
        self._seconds = min(seconds, 60.0)
        self._size = size
        self._clock = clock
        self._lock = threading.Lock()
        self._found: OrderedDict[tuple[str, int], tuple[float, tuple[IP, ...]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._found)

    def lookup(self, host: str, port: int, *, deadline: Deadline) -> tuple[IP, ...]:
        key = (host, port)
        now = self._clock()
        with self._lock:
            kept = self._found.get(key)
            if kept is not None and kept[0] > now:
                return kept[1]
        addresses = _lookup(host, port, deadline=deadline, resolve=self._resolve)
        with self._lock:
            self._found[key] = (self._clock() + self._seconds, addresses)
            self._found.move_to_end(key)
            while len(self._found) > self._size:
                self._found.popitem(last=False)
        return addresses

    def clear(self) -> None:
        with self._lock:
            self._found.clear()


names = NameCache()


def _after_fork() -> None:
    # The lookup threads and a lock held at the fork do not exist in a forked process.
    global names
    names = NameCache()
    _lookup_pool.cache_clear()


os.register_at_fork(after_in_child=_after_fork)


def _classify(address: IP) -> str | None:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return _classify(embedded)
        if address.is_loopback:
            # ::1 sits in the reserved ::/8 but is the machine itself, as 127.0.0.1 is.
            return _PRIVATE
        if address in _NAT64_LOCAL_NETWORK or address.is_site_local:
            return _PRIVATE
    elif address in _THIS_NETWORK:
        return _ALWAYS_REFUSED
    if (
        address.is_unspecified
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
    ):
        return _ALWAYS_REFUSED
    if address.is_loopback or address.is_private or address in _SHARED_NETWORK:
        return _PRIVATE
    if not address.is_global:
        return _ALWAYS_REFUSED
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64_NETWORK:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour
