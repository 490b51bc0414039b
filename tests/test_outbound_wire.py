"""What carries the guard's requests: kept connections, resumed TLS sessions, trust, the name
cache, which requests go twice and which never, and the one message for private networks.

The servers are on 127.0.0.1 and count what they see (connections, full and resumed TLS
handshakes, requests); the tests assert those counts, never a time.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import translation

from handlers_app import outbound, wire
from handlers_app.outbound import (
    ConnectionFailed,
    Deadline,
    NameCache,
    Policy,
    PrivateAddress,
    ReservedAddress,
    SecureConnectionFailed,
    Unreachable,
    check,
    fetch,
)
from tests.test_outbound import self_signed

LOCAL = Policy(deadline=5, max_bytes=64 * 1024, allow_private=True, ports=None)
NAME = "api.internal.test"


@dataclass
class Counts:
    connections: int = 0
    resumed: int = 0
    requests: list[str] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _CountingServer

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer()

    def _answer(self) -> None:
        seen = self.server.counts.requests
        first_time = f"{self.command} {self.path}" not in seen
        seen.append(f"{self.command} {self.path}")
        if self.path == "/vanish" or (self.path == "/vanish-once" and first_time):
            # Read the request, then go away without a word.
            self.close_connection = True
            return
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if self.path.startswith("/close"):
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _CountingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.tls = tls
        self.counts = Counts()

    def get_request(self) -> tuple[socket.socket, object]:
        sock, peer = super().get_request()
        self.counts.connections += 1
        if self.tls is None:
            return sock, peer
        tls = self.tls.wrap_socket(sock, server_side=True)
        if tls.session_reused:
            self.counts.resumed += 1
        return tls, peer

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@pytest.fixture(autouse=True)
def fresh_connections() -> Iterator[None]:
    wire.forget_connections()
    yield
    wire.forget_connections()


def _serve(tls: ssl.SSLContext | None) -> Iterator[_CountingServer]:
    server = _CountingServer(tls)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def plain_server() -> Iterator[_CountingServer]:
    yield from _serve(None)


@pytest.fixture
def certificate(tmp_path) -> tuple[str, str]:
    return self_signed(tmp_path, NAME)


@pytest.fixture
def tls_server(certificate) -> Iterator[_CountingServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    yield from _serve(context)


def _url(server: _CountingServer, path: str, *, scheme: str = "https") -> str:
    return f"{scheme}://{NAME}:{server.server_address[1]}{path}"


def _to_localhost(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


def _get(url: str, *, method: str = "GET", body: bytes = b"") -> outbound.Answer:
    return fetch(url, LOCAL, method=method, body=body, resolve=_to_localhost)


def test_calls_to_one_address_share_one_connection_and_one_handshake(
    tls_server, certificate, settings
) -> None:
    settings.SOCLOOK_CA_BUNDLE = certificate[0]
    for number in range(5):
        assert _get(_url(tls_server, f"/api/{number}")).content == b'{"ok": true}'
    assert tls_server.counts.connections == 1
    assert len(tls_server.counts.requests) == 5


def test_a_new_connection_resumes_the_tls_session(tls_server, certificate, settings) -> None:
    settings.SOCLOOK_CA_BUNDLE = certificate[0]
    _get(_url(tls_server, "/close"))
    _get(_url(tls_server, "/api/"))
    assert tls_server.counts.connections == 2
    assert tls_server.counts.resumed == 1


def test_threads_at_once_each_get_a_connection_and_give_it_back(plain_server) -> None:
    url = _url(plain_server, "/api/", scheme="http")
    start = threading.Barrier(3)

    def call() -> None:
        start.wait()
        _get(url)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    opened = plain_server.counts.connections
    for _ in range(opened):
        _get(url)
    assert plain_server.counts.connections == opened
    assert len(plain_server.counts.requests) == 3 + opened


def test_a_pool_is_kept_per_typed_name_and_checked_address(plain_server) -> None:
    port = plain_server.server_address[1]
    for _ in range(2):
        fetch(f"http://{NAME}:{port}/", LOCAL, resolve=_to_localhost)
        fetch(f"http://127.0.0.1:{port}/", LOCAL)
        fetch(f"http://other.internal.test:{port}/", LOCAL, resolve=_to_localhost)
    # One address, three names: three pools, each with its one connection used twice.
    assert plain_server.counts.connections == 3
    assert len(plain_server.counts.requests) == 6


def test_a_private_ca_is_trusted_only_through_soclook_ca_bundle(
    tls_server, certificate, settings
) -> None:
    with pytest.raises(SecureConnectionFailed):
        wire.send(
            check(_url(tls_server, "/api/"), LOCAL, resolve=_to_localhost),
            LOCAL,
            method="GET",
            headers={},
            body=b"",
            deadline=Deadline.after(5),
        )
    assert tls_server.counts.requests == []
    settings.SOCLOOK_CA_BUNDLE = certificate[0]
    assert _get(_url(tls_server, "/api/")).status == 200


def test_a_kept_connection_closed_under_a_read_is_read_again_on_a_new_one(plain_server) -> None:
    _get(_url(plain_server, "/api/", scheme="http"))
    assert _get(_url(plain_server, "/vanish-once", scheme="http")).status == 200
    # Nothing the server sends tells it apart from a connection it closed while idle.
    assert plain_server.counts.requests == ["GET /api/", "GET /vanish-once", "GET /vanish-once"]


def test_a_write_that_may_have_arrived_is_never_sent_again(plain_server) -> None:
    _get(_url(plain_server, "/api/", scheme="http"))
    target = check(_url(plain_server, "/vanish", scheme="http"), LOCAL, resolve=_to_localhost)
    with pytest.raises(ConnectionFailed) as caught:
        wire.send(
            target, LOCAL, method="POST", headers={}, body=b"name=x", deadline=Deadline.after(5)
        )
    assert caught.value.request_sent
    assert plain_server.counts.requests == ["GET /api/", "POST /vanish"]


def test_the_name_cache_keeps_an_answer_for_its_seconds_and_no_more_names_than_its_size():
    now = [0.0]
    lookups: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["93.184.215.14"]

    names = NameCache(resolve=resolve, seconds=10, size=2, clock=lambda: now[0])
    deadline = Deadline.after(5)
    names.lookup("a.example", 443, deadline=deadline)
    now[0] = 9.9
    names.lookup("a.example", 443, deadline=deadline)
    assert lookups == ["a.example"]
    now[0] = 10.0
    names.lookup("a.example", 443, deadline=deadline)
    assert lookups == ["a.example", "a.example"]
    names.lookup("b.example", 443, deadline=deadline)
    names.lookup("c.example", 443, deadline=deadline)
    assert len(names) == 2
    names.lookup("a.example", 443, deadline=deadline)
    assert lookups[-1] == "a.example"


def test_the_name_cache_never_keeps_an_answer_past_a_minute() -> None:
    now = [0.0]
    lookups: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["93.184.215.14"]

    names = NameCache(resolve=resolve, seconds=3600, clock=lambda: now[0])
    names.lookup("a.example", 443, deadline=Deadline.after(5))
    now[0] = 60.0
    names.lookup("a.example", 443, deadline=Deadline.after(5))
    assert lookups == ["a.example", "a.example"]


def test_a_name_that_failed_is_looked_up_again() -> None:
    lookups: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    names = NameCache(resolve=resolve)
    for _ in range(2):
        with pytest.raises(outbound.NameNotFound):
            names.lookup("gone.example", 443, deadline=Deadline.after(5))
    assert lookups == ["gone.example", "gone.example"]


# --- the guard's smaller leaks -----------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def not_http() -> Iterator[int]:
    """A port where something else listens: it greets with its own banner and hangs up."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def run() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

    threading.Thread(target=run, daemon=True).start()
    yield listener.getsockname()[1]
    stop.set()
    listener.close()


def test_every_failure_to_reach_a_private_address_reads_the_same(not_http) -> None:
    messages = set()
    for url in (
        f"http://127.0.0.1:{_closed_port()}/",
        f"http://127.0.0.1:{not_http}/",
        f"https://127.0.0.1:{not_http}/",
    ):
        with pytest.raises(Unreachable) as caught:
            fetch(url, LOCAL)
        messages.add(caught.value.message)
    assert messages == {"The address could not be reached."}
    with translation.override("ru"):
        assert Unreachable(ConnectionFailed(request_sent=False)).message != (
            "The address could not be reached."
        )


def test_a_metadata_address_is_reserved_even_where_private_ones_are_allowed() -> None:
    with pytest.raises(ReservedAddress):
        check("http://metadata.example/", LOCAL, resolve=lambda host, port: ["169.254.169.254"])
    with pytest.raises(PrivateAddress) as caught:
        check("http://10.0.0.1/", Policy(deadline=5, max_bytes=1024))
    assert not isinstance(caught.value, ReservedAddress)


def test_ipv6_loopback_is_allowed_where_ipv4_loopback_is() -> None:
    assert str(check("http://[::1]:8765/api/", LOCAL).addresses[0]) == "::1"
    assert str(check("http://127.0.0.1:8765/api/", LOCAL).addresses[0]) == "127.0.0.1"
    with pytest.raises(PrivateAddress) as caught:
        check("http://[::1]/", Policy(deadline=5, max_bytes=1024))
    assert not isinstance(caught.value, ReservedAddress)


@pytest.mark.filterwarnings("ignore:This process .* fork:DeprecationWarning")
def test_a_forked_worker_looks_names_up_and_connects_afresh(plain_server) -> None:
    url = f"http://localhost:{plain_server.server_address[1]}/api/"
    assert fetch(url, LOCAL).status == 200  # the parent's lookup threads and pool exist now
    pid = os.fork()
    if pid == 0:  # the child: what a gunicorn worker forked from a loaded master does
        try:
            outbound.names.clear()  # a name this worker has not looked up yet
            ok = fetch(url, LOCAL, deadline=Deadline.after(3)).status == 200
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert plain_server.counts.connections == 2
