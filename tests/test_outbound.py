"""The outbound guard: which addresses it refuses, and how it reads what a server sends back.

The refusal table runs with every socket connection and every real name lookup made to fail the
test, so a refused address provably sends no traffic anywhere; names resolve through a fake
resolver. The answers come from tiny servers on 127.0.0.1 (allowed by `allow_private`).
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import translation

from handlers_app import outbound, wire
from handlers_app.outbound import (
    BrokenAnswer,
    ConnectionFailed,
    ConnectionRefused,
    Deadline,
    InvalidAddress,
    NameNotFound,
    Policy,
    PortRefused,
    PrivateAddress,
    Redirected,
    SchemeRefused,
    TimedOut,
    TooLarge,
    UserInfoRefused,
    check,
    fetch,
)

PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"

NAMES = {
    "public.example": [PUBLIC_V4, PUBLIC_V6],
    "internal.example": ["10.1.2.3"],
    "localhost": ["127.0.0.1", "::1"],
    "metadata.example": ["169.254.169.254"],
    "half-private.example": [PUBLIC_V4, "192.168.0.10"],
    "mapped.example": ["::ffff:10.0.0.1"],
}

STRICT = Policy(deadline=5, max_bytes=64 * 1024)
API_LIKE = Policy(deadline=5, max_bytes=64 * 1024, unprivileged_ports=True)
LOCAL = Policy(deadline=5, max_bytes=64 * 1024, allow_private=True, ports=None)


def resolve(host: str, port: int) -> list[str]:
    if host not in NAMES:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return NAMES[host]


@pytest.fixture
def no_traffic(monkeypatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the guard sent traffic or made a real lookup")

    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr(socket, "getaddrinfo", forbidden)
    monkeypatch.setattr(socket.socket, "connect", forbidden)
    monkeypatch.setattr(socket.socket, "connect_ex", forbidden)


REFUSED = [
    ("http://127.0.0.1/", PrivateAddress),
    ("http://127.1/", PrivateAddress),
    ("http://0.0.0.0/", PrivateAddress),
    ("http://0/", PrivateAddress),
    ("http://0.1.2.3/", PrivateAddress),
    ("http://0x7f000001/", PrivateAddress),
    ("http://2130706433/", PrivateAddress),
    ("http://017700000001/", PrivateAddress),
    ("http://0177.0.0.1/", PrivateAddress),
    ("http://0x7f.1/", PrivateAddress),
    ("http://127.0.0.1./", PrivateAddress),
    ("http://[::1]/", PrivateAddress),
    ("http://[::]/", PrivateAddress),
    ("http://[::ffff:127.0.0.1]/", PrivateAddress),
    ("http://[::ffff:7f00:1]/", PrivateAddress),
    ("http://[::ffff:169.254.169.254]/", PrivateAddress),
    ("http://[64:ff9b::7f00:1]/", PrivateAddress),
    ("http://[64:ff9b::a9fe:a9fe]/", PrivateAddress),
    ("http://[64:ff9b:1::a00:1]/", PrivateAddress),
    ("http://[2002:7f00:1::1]/", PrivateAddress),
    ("http://[::127.0.0.1]/", PrivateAddress),
    ("http://10.0.0.1/", PrivateAddress),
    ("http://172.16.0.1/", PrivateAddress),
    ("http://172.31.255.254/", PrivateAddress),
    ("http://192.168.1.1/", PrivateAddress),
    ("http://169.254.169.254/latest/meta-data/", PrivateAddress),
    ("http://100.64.0.1/", PrivateAddress),
    ("http://198.18.0.1/", PrivateAddress),
    ("http://[fd00::1]/", PrivateAddress),
    ("http://[fc00::1]/", PrivateAddress),
    ("http://[fec0::1]/", PrivateAddress),
    ("http://[fe80::1]/", PrivateAddress),
    ("http://[fe80::1%25eth0]/", PrivateAddress),
    ("http://224.0.0.1/", PrivateAddress),
    ("http://[ff02::1]/", PrivateAddress),
    ("http://240.0.0.1/", PrivateAddress),
    ("http://255.255.255.255/", PrivateAddress),
    ("http://internal.example/api/", PrivateAddress),
    ("http://localhost:8000/", PrivateAddress),
    ("http://metadata.example/", PrivateAddress),
    ("http://half-private.example/", PrivateAddress),
    ("http://mapped.example/", PrivateAddress),
    ("https://public.example:22/", PortRefused),
    ("http://public.example:25/", PortRefused),
    ("http://public.example:0/", PortRefused),
    ("http://public.example:99999/", InvalidAddress),
    ("file:///etc/passwd", SchemeRefused),
    ("gopher://127.0.0.1:6379/_INFO", SchemeRefused),
    ("ftp://public.example/", SchemeRefused),
    ("dict://127.0.0.1:11211/stat", SchemeRefused),
    ("javascript:alert(1)", SchemeRefused),
    ("public.example/api/", SchemeRefused),
    ("http://user@127.0.0.1/", UserInfoRefused),
    ("https://user:password@public.example/api/", UserInfoRefused),
    ("http://public.example@127.0.0.1/", UserInfoRefused),
    ("http://127.0.0.1\\@public.example/", InvalidAddress),
    ("http://public.example /", InvalidAddress),
    ("http://public.example/\n", InvalidAddress),
    ("http:///api/", InvalidAddress),
    ("http://[::1/", InvalidAddress),
    ("http://1.2.3.4.5.6/", NameNotFound),
    ("http://nowhere.example/", NameNotFound),
]


@pytest.mark.usefixtures("no_traffic")
@pytest.mark.parametrize(("url", "refusal"), REFUSED)
def test_a_dangerous_address_is_refused_without_any_traffic(url: str, refusal: type) -> None:
    with pytest.raises(refusal):
        check(url, API_LIKE, resolve=resolve)


def test_the_table_covers_at_least_thirty_forms() -> None:
    assert len(REFUSED) >= 30


@pytest.mark.usefixtures("no_traffic")
def test_a_public_address_passes_with_its_host_kept_for_the_certificate() -> None:
    target = check("https://Public.Example/api/?x=1#top", STRICT, resolve=resolve)
    assert target.scheme == "https"
    assert target.host == "public.example"
    assert target.port == 443
    assert [str(a) for a in target.addresses] == [PUBLIC_V4, PUBLIC_V6]
    assert target.path == "/api/?x=1"
    assert target.host_header == "public.example"


@pytest.mark.usefixtures("no_traffic")
def test_a_public_literal_and_a_nat64_public_address_pass() -> None:
    assert str(check("http://8.8.8.8/", STRICT).addresses[0]) == "8.8.8.8"
    assert check("http://[64:ff9b::808:808]/", STRICT).host_header == "[64:ff9b::808:808]"


@pytest.mark.usefixtures("no_traffic")
def test_an_api_may_listen_on_a_high_port_but_not_on_a_privileged_one() -> None:
    assert check("https://public.example:8443/api/", API_LIKE, resolve=resolve).port == 8443
    assert check("https://public.example:8443/", API_LIKE, resolve=resolve).host_header == (
        "public.example:8443"
    )
    with pytest.raises(PortRefused):
        check("https://public.example:8443/", STRICT, resolve=resolve)
    with pytest.raises(PortRefused):
        check("http://public.example:6379/", STRICT, resolve=resolve)


@pytest.mark.usefixtures("no_traffic")
def test_allowing_private_addresses_still_refuses_metadata_and_unspecified_ones() -> None:
    assert str(check("http://127.0.0.1:8765/api/", LOCAL).addresses[0]) == "127.0.0.1"
    assert str(check("http://internal.example/", LOCAL, resolve=resolve).addresses[0]) == (
        "10.1.2.3"
    )
    assert str(check("http://100.64.0.1/", LOCAL).addresses[0]) == "100.64.0.1"
    for url in (
        "http://169.254.169.254/",
        "http://metadata.example/",
        "http://[fe80::1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
    ):
        with pytest.raises(PrivateAddress):
            check(url, LOCAL, resolve=resolve)


@pytest.mark.usefixtures("no_traffic")
def test_the_name_is_looked_up_once_and_the_connection_goes_to_that_answer(monkeypatch):
    answers = iter([[PUBLIC_V4], ["127.0.0.1"]])
    lookups: list[str] = []
    connected: list[tuple[str, int]] = []

    def rebinding(host: str, port: int) -> list[str]:
        lookups.append(host)
        return next(answers)

    def refuse(address: tuple[str, int], timeout: float) -> socket.socket:
        connected.append(address)
        raise ConnectionRefusedError()

    monkeypatch.setattr(socket, "create_connection", refuse)
    with pytest.raises(ConnectionRefused):
        fetch("http://rebind.example/", STRICT, resolve=rebinding)
    assert lookups == ["rebind.example"]
    assert connected == [(PUBLIC_V4, 80)]


def test_a_lookup_that_hangs_ends_at_the_deadline() -> None:
    released = threading.Event()

    def hanging(host: str, port: int) -> list[str]:
        released.wait(10)
        return [PUBLIC_V4]

    try:
        with pytest.raises(TimedOut):
            check("http://slow-dns.example/", STRICT, deadline=Deadline.after(0.2), resolve=hanging)
    finally:
        released.set()


def test_refusals_read_in_the_persons_language() -> None:
    with translation.override("ru"):
        assert "частной сети" in PrivateAddress().message
        assert "перенаправляет" in Redirected().message
        assert "22" in PortRefused(22).message
    assert PrivateAddress().message == (
        "This address is inside a private network; only public addresses can be used."
    )


# --- answers, from tiny servers on 127.0.0.1 -------------------------------------------------


Reply = Callable[[socket.socket], None]


def carry(
    url: str,
    policy: Policy,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    resolve: Callable[[str, int], list[str]] | None = None,
) -> outbound.Answer:
    """What the transport makes of an answer from 127.0.0.1 (`outbound.fetch` tells every
    failure to reach a private address in one message: see test_outbound_wire.py)."""
    deadline = Deadline.after(policy.deadline)
    target = check(url, policy, deadline=deadline, resolve=resolve)
    return wire.send(
        target, policy, method=method, headers=headers or {}, body=body, deadline=deadline
    )


@dataclass
class TinyServer:
    url: str
    received: list[bytes] = field(default_factory=list)


@pytest.fixture
def serve() -> Iterator[Callable[[Reply], TinyServer]]:
    """Start a server answering every connection with `reply`; it keeps each request's head
    (unless it answers before reading, as a server of another protocol does)."""
    stop = threading.Event()
    listeners: list[socket.socket] = []

    def start(reply: Reply, *, reads_request: bool = True) -> TinyServer:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.1)
        listeners.append(listener)
        server = TinyServer(url=f"http://127.0.0.1:{listener.getsockname()[1]}")

        def run() -> None:
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return  # closed at the end of the test
                with conn:
                    conn.settimeout(5)
                    try:
                        if reads_request:
                            server.received.append(_read_head(conn))
                        reply(conn)
                    except OSError:
                        pass

        threading.Thread(target=run, daemon=True).start()
        return server

    yield start
    stop.set()
    for listener in listeners:
        listener.close()


def _read_head(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def head(status: str, *headers: str) -> bytes:
    return ("\r\n".join([f"HTTP/1.1 {status}", *headers, "", ""])).encode()


def test_an_answer_comes_back_with_its_status_headers_and_body(serve) -> None:
    def reply(conn: socket.socket) -> None:
        conn.sendall(head("201 Created", "Content-Length: 11", "X-Thing: a") + b'{"id": 7}\r\n')

    answer = carry(
        serve(reply).url + "/hook?x=1",
        LOCAL,
        method="POST",
        headers={"Content-Type": "application/json"},
        body=b'{"text": "hi"}',
    )
    assert answer.status == 201
    assert answer.headers["x-thing"] == "a"
    assert answer.content == b'{"id": 7}\r\n'


def test_the_request_carries_the_typed_host_and_goes_to_the_checked_address(serve) -> None:
    server = serve(lambda conn: conn.sendall(head("204 No Content")))
    port = int(server.url.rsplit(":", 1)[1])
    target = check(
        f"http://api.internal.test:{port}/api/", LOCAL, resolve=lambda host, port: ["127.0.0.1"]
    )
    assert outbound.send(target, LOCAL).status == 204
    (request,) = server.received
    assert request.startswith(b"GET /api/ HTTP/1.1\r\n")
    assert f"Host: api.internal.test:{port}\r\n".encode() in request


def test_a_redirect_to_a_private_address_is_never_followed(serve) -> None:
    def reply(conn: socket.socket) -> None:
        conn.sendall(head("302 Found", "Location: http://10.0.0.1/admin", "Content-Length: 0"))

    server = serve(reply)
    with pytest.raises(Redirected) as caught:
        carry(server.url + "/api/", LOCAL)
    assert caught.value.message == "This address sends you elsewhere."
    assert len(server.received) == 1


def test_a_server_that_drips_bytes_is_abandoned_at_the_deadline(serve) -> None:
    def reply(conn: socket.socket) -> None:
        conn.sendall(head("200 OK", "Content-Length: 12"))
        for byte in b'{"data": []}':
            time.sleep(0.3)
            conn.sendall(bytes([byte]))

    policy = Policy(deadline=1, max_bytes=1024, allow_private=True, ports=None)
    with pytest.raises(TimedOut) as caught:
        carry(serve(reply).url + "/api/", policy)
    assert caught.value.request_sent


def test_a_server_that_drips_its_headers_is_abandoned_at_the_deadline(serve) -> None:
    def reply(conn: socket.socket) -> None:
        for byte in head("200 OK", "Content-Length: 0"):
            time.sleep(0.1)
            conn.sendall(bytes([byte]))

    policy = Policy(deadline=1, max_bytes=1024, allow_private=True, ports=None)
    with pytest.raises(TimedOut):
        carry(serve(reply).url + "/api/", policy)


def test_an_answer_announced_larger_than_the_cap_is_not_read(serve) -> None:
    def reply(conn: socket.socket) -> None:
        conn.sendall(head("200 OK", f"Content-Length: {400 * 1024 * 1024}"))
        conn.sendall(b"0" * 1024 * 1024)

    with pytest.raises(TooLarge) as caught:
        carry(serve(reply).url + "/api/", LOCAL)
    assert caught.value.message == "The answer is too large."


def test_an_unannounced_huge_answer_is_abandoned_past_the_cap(serve) -> None:
    def reply(conn: socket.socket) -> None:
        conn.sendall(head("200 OK", "Connection: close"))
        for _ in range(400):
            conn.sendall(b"x" * 1024 * 1024)

    with pytest.raises(TooLarge):
        carry(serve(reply).url + "/api/", LOCAL)


def test_an_answer_exactly_at_the_cap_is_read_whole(serve) -> None:
    body = b"y" * LOCAL.max_bytes

    def reply(conn: socket.socket) -> None:
        conn.sendall(head("200 OK", f"Content-Length: {len(body)}") + body)

    assert carry(serve(reply).url + "/", LOCAL).content == body


def test_a_connection_closed_before_an_answer_may_have_carried_the_request(serve) -> None:
    with pytest.raises(ConnectionFailed) as caught:
        carry(serve(lambda conn: None).url + "/", LOCAL)
    assert caught.value.request_sent


def test_an_answer_cut_short_is_broken(serve) -> None:
    def reply(conn: socket.socket) -> None:
        conn.sendall(head("200 OK", "Content-Length: 100") + b'{"data"')

    with pytest.raises(BrokenAnswer):
        carry(serve(reply).url + "/", LOCAL)


def test_a_closed_port_is_a_refused_connection_and_nothing_was_sent() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionRefused) as caught:
        carry(f"http://127.0.0.1:{port}/", LOCAL)
    assert not caught.value.request_sent
    assert caught.value.message == "The connection was refused."


def test_a_server_that_is_not_tls_fails_the_secure_connection(serve) -> None:
    url = serve(lambda conn: conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n"), reads_request=False).url
    with pytest.raises(outbound.SecureConnectionFailed):
        carry(url.replace("http://", "https://") + "/", LOCAL)


# --- TLS: the connection goes to the checked address, the certificate is checked for the name --


def self_signed(tmp_path, name: str) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def tls_server(tmp_path, settings) -> Iterator[TinyServer]:
    """An https server on 127.0.0.1 whose certificate names api.internal.test, trusted here
    through SOCLOOK_CA_BUNDLE."""
    cert, key = self_signed(tmp_path, "api.internal.test")
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    settings.SOCLOOK_CA_BUNDLE = cert
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    server = TinyServer(url=f"https://api.internal.test:{listener.getsockname()[1]}")
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed at the end of the test
            try:
                with server_context.wrap_socket(conn, server_side=True) as tls:
                    tls.settimeout(5)
                    server.received.append(_read_head(tls))
                    tls.sendall(head("200 OK", "Content-Length: 2") + b"{}")
            except (OSError, ssl.SSLError):
                pass

    threading.Thread(target=run, daemon=True).start()
    yield server
    stop.set()
    listener.close()


def test_https_goes_to_the_checked_address_with_the_name_for_sni_and_certificate(
    tls_server: TinyServer,
) -> None:
    answer = carry(tls_server.url + "/api/", LOCAL, resolve=lambda host, port: ["127.0.0.1"])
    assert answer.content == b"{}"
    port = tls_server.url.rsplit(":", 1)[1]
    assert f"Host: api.internal.test:{port}\r\n".encode() in tls_server.received[0]


def test_a_certificate_for_another_name_fails_the_secure_connection(
    tls_server: TinyServer,
) -> None:
    url = tls_server.url.replace("api.internal.test", "other.internal.test")
    with pytest.raises(outbound.SecureConnectionFailed) as caught:
        carry(url + "/api/", LOCAL, resolve=lambda host, port: ["127.0.0.1"])
    assert not caught.value.request_sent
    assert tls_server.received == []
