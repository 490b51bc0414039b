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

`send()` then connects to a checked address only (no second lookup that a rebinding name server
could answer differently), keeps the host name for the `Host` header, TLS SNI and the certificate
check, never follows a redirect, and reads the answer as a stream within `Policy.max_bytes` and a
total deadline that bounds every socket read, so a server that drips bytes cannot hold a worker.
`fetch()` is the two in one. Every failure is an `OutboundError` whose `message` a person can read.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any, ClassVar
from urllib.parse import urlsplit

import certifi
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
    "NameNotFound",
    "OutboundError",
    "Policy",
    "PortRefused",
    "PrivateAddress",
    "Redirected",
    "Refused",
    "SchemeRefused",
    "SecureConnectionFailed",
    "Target",
    "TimedOut",
    "TooLarge",
    "UserInfoRefused",
    "check",
    "fetch",
    "send",
]

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Iterable[str]]

WEB_PORTS = frozenset({80, 443})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Ports from here up belong to no well-known service (ssh, smtp...), so `unprivileged_ports` may
# allow them for an API on e.g. :8080 without opening the privileged ones.
_FIRST_UNPRIVILEGED_PORT = 1024
_READ_CHUNK = 64 * 1024
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


def check(
    url: str, policy: Policy, *, deadline: Deadline | None = None, resolve: Resolver | None = None
) -> Target:
    """Refuse `url` (a `Refused`) unless every address it leads to may be reached under `policy`."""
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
    else:
        addresses = _lookup(host, port, deadline=deadline, resolve=resolve or _resolve)
    for address in addresses:
        _check_address(address, policy)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(
        scheme=scheme, host=str(literal or host), port=port, addresses=addresses, path=path
    )


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
    deadline = deadline or Deadline.after(policy.deadline)
    sock = _connect(target, policy, deadline)
    connection = http.client.HTTPConnection(target.host, target.port)
    connection.sock = _DeadlineSocket(sock, deadline)  # type: ignore[assignment]
    try:
        return _exchange(connection, target, policy, method, headers or {}, body, deadline)
    finally:
        connection.close()


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
    return _inet_aton(host.removesuffix("."))


def _inet_aton(host: str) -> ipaddress.IPv4Address | None:
    """Read `host` as the C library's inet_aton would: 1 to 4 parts, decimal, octal or hex."""
    parts = host.split(".")
    if len(parts) > 4:
        return None
    numbers = []
    for part in parts:
        lowered = part.lower()
        if lowered.startswith("0x"):
            digits, base = lowered[2:], 16
            if digits and not re.fullmatch(r"[0-9a-f]+", digits):
                return None
        elif len(lowered) > 1 and lowered.startswith("0"):
            digits, base = lowered[1:], 8
            if not re.fullmatch(r"[0-7]+", digits):
                return None
        else:
            digits, base = lowered, 10
            if not re.fullmatch(r"[0-9]+", digits):
                return None
        numbers.append(int(digits, base) if digits else 0)
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = last
    for index, number in enumerate(leading):
        value |= number << (24 - 8 * index)
    return ipaddress.IPv4Address(value)


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


def _check_address(address: IP, policy: Policy) -> None:
    verdict = _classify(address)
    if verdict == _ALWAYS_REFUSED or (verdict == _PRIVATE and not policy.allow_private):
        raise PrivateAddress()


def _classify(address: IP) -> str | None:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return _classify(embedded)
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


# --- sending ---------------------------------------------------------------------------------


@cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


def _connect(target: Target, policy: Policy, deadline: Deadline) -> socket.socket:
    failure: OutboundError = ConnectionFailed(request_sent=False)
    for address in target.addresses:
        remaining = deadline.remaining()
        if remaining <= 0:
            raise TimedOut(request_sent=False)
        if policy.connect_timeout is not None:
            remaining = min(remaining, policy.connect_timeout)
        try:
            sock = socket.create_connection((str(address), target.port), timeout=remaining)
        except TimeoutError:
            failure = TimedOut(request_sent=False)
            continue
        except ConnectionRefusedError:
            failure = ConnectionRefused()
            continue
        except OSError:
            failure = ConnectionFailed(request_sent=False)
            continue
        if target.scheme == "http":
            return sock
        return _secure(sock, target, deadline)
    raise failure


def _secure(sock: socket.socket, target: Target, deadline: Deadline) -> socket.socket:
    try:
        sock.settimeout(max(deadline.remaining(), 0.001))
        return _tls_context().wrap_socket(sock, server_hostname=target.host)
    except TimeoutError as exc:
        sock.close()
        raise TimedOut(request_sent=False) from exc
    except (ssl.SSLError, ssl.CertificateError) as exc:
        sock.close()
        raise SecureConnectionFailed() from exc
    except OSError as exc:
        sock.close()
        raise ConnectionFailed(request_sent=False) from exc


def _exchange(
    connection: http.client.HTTPConnection,
    target: Target,
    policy: Policy,
    method: str,
    headers: Mapping[str, str],
    body: bytes,
    deadline: Deadline,
) -> Answer:
    sent_headers = {"Host": target.host_header, **headers}
    try:
        connection.request(method, target.path, body=body or None, headers=sent_headers)
        response = connection.getresponse()
        if 300 <= response.status < 400:
            raise Redirected()
        length = response.getheader("Content-Length")
        if length and length.strip().isdigit() and int(length) > policy.max_bytes:
            raise TooLarge()
        content = bytearray()
        while chunk := response.read(_READ_CHUNK):
            content += chunk
            if len(content) > policy.max_bytes:
                raise TooLarge()
        if response.length:
            raise BrokenAnswer()
    except TimeoutError as exc:
        raise TimedOut(request_sent=True) from exc
    except (http.client.IncompleteRead, http.client.LineTooLong) as exc:
        raise BrokenAnswer() from exc
    except (http.client.RemoteDisconnected, ConnectionError) as exc:
        raise ConnectionFailed(request_sent=True) from exc
    except (http.client.HTTPException, OSError) as exc:
        raise BrokenAnswer() from exc
    names: dict[str, str] = {}
    for name, value in response.getheaders():
        key = name.lower()
        names[key] = f"{names[key]}, {value}" if key in names else value
    return Answer(status=response.status, headers=MappingProxyType(names), content=bytes(content))


class _DeadlineSocket:
    """A socket whose every read and write waits at most until the deadline.

    A per-read timeout alone lets a server that sends one byte every few seconds keep the
    request alive for ever; here each read only gets what is left of the whole.
    """

    def __init__(self, sock: socket.socket, deadline: Deadline) -> None:
        self._sock = sock
        self._deadline = deadline

    def _arm(self) -> None:
        remaining = self._deadline.remaining()
        if remaining <= 0:
            raise TimeoutError("deadline passed")
        self._sock.settimeout(remaining)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        self._arm()
        return self._sock.recv_into(buffer, nbytes, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        self._arm()
        self._sock.sendall(data, flags)

    def makefile(self, mode: str = "rb", buffering: int = -1, **_: Any) -> io.BufferedReader:
        # Counted like socket.makefile(), so that closing the connection leaves the answer
        # readable until its reader is closed too.
        self._sock._io_refs += 1  # type: ignore[attr-defined]
        return io.BufferedReader(socket.SocketIO(self, "rb"))  # type: ignore[arg-type]

    def _decref_socketios(self) -> None:
        self._sock._decref_socketios()  # type: ignore[attr-defined]

    def close(self) -> None:
        self._sock.close()
