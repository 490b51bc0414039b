"""The part of `make bench` that sees the wire: the API behind TLS and a link with a round trip.

The stand-in, in a process of its own: the bench's Soclook sandbox behind a TLS front (a
certificate the bench makes, trusted through SOCLOOK_CA_BUNDLE, as an operator would trust a
private CA) that keeps connections alive as the real service's web server does, behind a link
that delays every chunk by half the round trip each way (`--rtt`, 50 ms by default), so a TCP
connection, a TLS handshake and every request cost what they cost across the internet. The front
counts the connections it accepts and the TLS handshakes, full or resumed.

Each action's time is given as a ratio to its round-trip limit (the round trips it needs at the
least, times the round trip), with the connections and handshakes it cost.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import math
import multiprocessing
import ssl
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

# The targets (README, "Benchmark"): issue "At the speed of the wire".
SINGLE_CALL_RATIO_TARGET = 1.3
COPY_RATIO_TARGET = 1.5
COPY_HANDLERS = 20
# 20 creates, the switch-offs the API forces for the disabled ones, the reads of both lists.
COPY_ROUND_TRIPS = 27


@dataclass
class Counts:
    connections: int = 0
    full_handshakes: int = 0
    resumed_handshakes: int = 0

    def since(self, before: Counts) -> Counts:
        return Counts(
            self.connections - before.connections,
            self.full_handshakes - before.full_handshakes,
            self.resumed_handshakes - before.resumed_handshakes,
        )

    def copy(self) -> Counts:
        return Counts(self.connections, self.full_handshakes, self.resumed_handshakes)


class RemoteStandIn:
    """The stand-in in a process of its own, so that relaying bytes never waits for the
    measured process's interpreter lock (nor slows it down); the sandbox stays in the bench."""

    def __init__(self, *, sandbox_address: tuple[str, int], rtt_ms: float, workdir: Path) -> None:
        self.certificate, key = _make_certificate(workdir)
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=_stand_in_process,
            args=(child, sandbox_address, rtt_ms, self.certificate, key),
            daemon=True,
        )

    def start(self) -> RemoteStandIn:
        self._process.start()
        self.url: str = self._pipe.recv()
        return self

    @property
    def counts(self) -> Counts:
        self._pipe.send("counts")
        return self._pipe.recv()

    def stop(self) -> None:
        self._pipe.send("stop")
        self._process.join(timeout=10)


def _stand_in_process(
    pipe: Any, sandbox_address: tuple[str, int], rtt_ms: float, certificate: str, key: str
) -> None:
    stand_in = StandIn(
        sandbox_address=sandbox_address, rtt_ms=rtt_ms, certificate=certificate, key=key
    ).start()
    pipe.send(stand_in.url)
    while pipe.recv() == "counts":
        pipe.send(stand_in.counts.copy())
    stand_in.stop()


class StandIn:
    """The sandbox at `sandbox_address`, behind TLS and a link of `rtt_ms`; `url` is its API."""

    def __init__(
        self, *, sandbox_address: tuple[str, int], rtt_ms: float, certificate: str, key: str
    ) -> None:
        self.sandbox_address = sandbox_address
        self.half_trip = rtt_ms / 2000
        self.counts = Counts()
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(certificate, key)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> StandIn:
        self._thread.start()
        self._front = self._run(asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self._tls))
        self._front_port = self._front.sockets[0].getsockname()[1]
        self._link = self._run(asyncio.start_server(self._carry, "127.0.0.1", 0))
        port = self._link.sockets[0].getsockname()[1]
        self.url = f"https://127.0.0.1:{port}/api/"
        return self

    def stop(self) -> None:
        async def close() -> None:
            for server in (self._link, self._front):
                server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self._run(close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    # --- the link: every chunk arrives half a round trip after it left ------------------------

    async def _carry(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._front_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                await asyncio.sleep(max(0.0, due - loop.time()))
                try:
                    if not data:
                        writer.close()
                        return
                    writer.write(data)
                    await writer.drain()
                except (ConnectionError, RuntimeError):
                    return

        delivering = asyncio.create_task(deliver())
        try:
            while data := await reader.read(64 * 1024):
                queue.put_nowait((loop.time() + self.half_trip, data))
        except ConnectionError:
            pass
        queue.put_nowait((loop.time() + self.half_trip, b""))
        await delivering

    # --- the front: TLS, kept-alive connections, each request asked of the sandbox ------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tls = writer.get_extra_info("ssl_object")
        self.counts.connections += 1
        if tls is not None and tls.session_reused:
            self.counts.resumed_handshakes += 1
        else:
            self.counts.full_handshakes += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = _content_length(head)
                body = await reader.readexactly(length) if length else b""
                writer.write(await self._ask_sandbox(head, body))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    async def _ask_sandbox(self, head: bytes, body: bytes) -> bytes:
        reader, writer = await asyncio.open_connection(*self.sandbox_address)
        writer.write(head + body)
        await writer.drain()
        answer = await reader.read()
        writer.close()
        return _kept_alive(answer)


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip() or 0)
    return 0


def _kept_alive(answer: bytes) -> bytes:
    """The sandbox's HTTP/1.0 answer (closed after it) as an HTTP/1.1 one on a kept connection."""
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    lines[0] = lines[0].replace(b"HTTP/1.0", b"HTTP/1.1", 1)
    lines = [lines[0], *(line for line in lines[1:] if not line.lower().startswith(b"connection:"))]
    if not any(line.lower().startswith(b"content-length:") for line in lines[1:]):
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _make_certificate(workdir: Path) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Soclook stand-in")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = workdir / "stand-in.pem", workdir / "stand-in.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


# --- the measures --------------------------------------------------------------------------------


@dataclass
class Measured:
    label: str
    times_ms: list[float]
    round_trips: int
    counts: Counts
    calls: int
    requests: int = 0


@dataclass
class _Done:
    status_code: int = 200


def _nonzero(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items() if count)


def _form_post(client: Any, url: str, data: dict[str, str], **extra: Any) -> Any:
    """A form posted as a browser (and htmx) posts one without files: URL-encoded, not the
    test client's multipart, whose parsing would be counted against the dashboard."""
    return client.post(
        url, urlencode(data), content_type="application/x-www-form-urlencoded", **extra
    )


def _ok(client: Any, query: Any) -> _Done:
    client.list_handlers(query)
    return _Done()


class WireBench:
    """Runs the actions through the dashboard's views (Django's test client, in this process:
    one worker) against the stand-in; `bench` is the running tests.bench.Bench."""

    def __init__(self, bench: Any, *, rtt_ms: float, samples: int) -> None:
        self.bench = bench
        self.rtt_ms = rtt_ms
        self.samples = samples

    def run(self) -> list[tuple[str, str, str, bool | None]]:
        from django.conf import settings

        from handlers_app import wire

        sandbox = self.bench.sandbox
        host, port = sandbox.base_url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
        stand_in = RemoteStandIn(
            sandbox_address=(host, int(port)), rtt_ms=self.rtt_ms, workdir=self.bench.workdir
        ).start()
        latency, sandbox.latency_ms = sandbox.latency_ms, 0
        bundle = settings.SOCLOOK_CA_BUNDLE
        settings.SOCLOOK_CA_BUNDLE = stand_in.certificate
        wire.forget_connections()
        try:
            return self._measure(stand_in)
        finally:
            settings.SOCLOOK_CA_BUNDLE = bundle
            wire.forget_connections()
            sandbox.latency_ms = latency
            stand_in.stop()

    def _measure(self, stand_in: RemoteStandIn) -> list[tuple[str, str, str, bool | None]]:
        from django.core.cache import cache

        connection, key = self._connection(stand_in, seed=25)
        client = self.bench.client
        list_url = f"/connections/{connection.pk}/handlers/"
        refresh_url = list_url + "?refresh=1"
        cache.clear()
        first = self._time(
            stand_in, "first call of this worker", 1, lambda: client.get(list_url), 1
        )
        records = self.bench.sandbox.handlers(key)
        email = next(r for r in records if r["type"] == "email" and r["is_enabled"] == 1)
        switchable = next(r for r in records if r["is_enabled"] == 1 and r["id"] != email["id"])
        htmx = {"HX-Request": "true"}
        state = {"on": True, "name": 0}

        def toggle() -> Any:
            state["on"] = not state["on"]
            return _form_post(
                client,
                f"{list_url}{switchable['id']}/toggle/",
                {"is_enabled": "1" if state["on"] else "0", "next": list_url},
                headers=htmx,
            )

        def update() -> Any:
            state["name"] += 1
            return _form_post(
                client,
                f"{list_url}{email['id']}/edit/",
                {"name": f"Inbox {state['name']}", "type": "email", "email": "a@example.com"},
            )

        def create() -> Any:
            state["name"] += 1
            return _form_post(
                client,
                f"{list_url}new/",
                {
                    "name": f"Wire hook {state['name']}",
                    "type": "webhook",
                    "webhook": f"https://example.com/h/{state['name']}",
                },
            )

        from handlers_app.soclook import ListQuery
        from handlers_app.soclook.client import SoclookClient

        direct = SoclookClient(base_url=stand_in.url, api_key=key)
        measured = [
            self._time(
                stand_in,
                "direct API call (the transport alone)",
                1,
                lambda: _ok(direct, ListQuery()),
            ),
            # What the Refresh button sends (htmx: the table again, not the page around it).
            self._time(
                stand_in,
                "list after Refresh",
                1,
                lambda: client.get(refresh_url, headers=htmx),
            ),
            self._time(stand_in, "toggle", 1, toggle),
            self._time(stand_in, "update", 1, update),
            self._time(stand_in, "create (+ list)", 2, create),
            # The same without JavaScript: the whole page with ?refresh=1.
            self._time(
                stand_in,
                "list page with ?refresh=1 (no JavaScript)",
                1,
                lambda: client.get(refresh_url),
            ),
        ]
        lines = [self._line(first, target=None), self._calibration(stand_in)]
        lines.append(self._line(measured[0], target=None))
        lines += [self._line(m, target=SINGLE_CALL_RATIO_TARGET) for m in measured[1:4]]
        lines += [self._line(m, target=None) for m in measured[4:]]
        lines.append(self._copy(stand_in))
        return lines

    def _connection(self, stand_in: RemoteStandIn, *, seed: int) -> tuple[Any, str]:
        from handlers_app.models import Connection

        key = self.bench.sandbox.add_account(seed=seed)
        connection = Connection(team=self.bench.team, name=f"wire {seed}", base_url=stand_in.url)
        connection.set_api_key(key)
        connection.created_by = self.bench.user
        connection.save()
        return connection, key

    def _time(
        self,
        stand_in: RemoteStandIn,
        label: str,
        round_trips: int,
        action: Callable[[], Any],
        samples: int | None = None,
    ) -> Measured:
        samples = samples or self.samples
        before = stand_in.counts.copy()
        requests_before = len(self.bench.sandbox.requests)
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            response = action()
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code not in (200, 302):
                raise SystemExit(f"bench: '{label}' over the wire answered {response.status_code}")
        requests = len(self.bench.sandbox.requests) - requests_before
        return Measured(label, times, round_trips, stand_in.counts.since(before), samples, requests)

    def _calibration(self, stand_in: RemoteStandIn) -> tuple[str, str, str, bool | None]:
        """The stand-in's own floor: a request the sandbox answers at once (a 404), sent again
        and again on one kept TLS connection by the standard library, without the dashboard."""
        import http.client

        context = ssl.create_default_context(cafile=stand_in.certificate)
        host, port = stand_in.url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
        connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=10)
        times = []
        try:
            for index in range(self.samples + 1):
                started = time.perf_counter()
                connection.request("GET", "/api/calibration")
                connection.getresponse().read()
                if index:  # the first one also made the connection
                    times.append((time.perf_counter() - started) * 1000)
        finally:
            connection.close()
        median = statistics.median(times)
        return (
            "over the wire: the stand-in's own floor (a kept connection, no dashboard)",
            f"median {median:.0f} ms = {median / self.rtt_ms:.2f}x one round trip",
            "",
            None,
        )

    def _line(self, m: Measured, *, target: float | None) -> tuple[str, str, str, bool | None]:
        median = statistics.median(m.times_ms)
        limit = m.round_trips * self.rtt_ms
        ratio = median / limit
        handshakes = m.counts.full_handshakes + m.counts.resumed_handshakes
        result = (
            f"median {median:.0f} ms = {ratio:.2f}x its limit ({m.round_trips} round trip"
            f"{'s' if m.round_trips > 1 else ''}, {limit:.0f} ms); {m.requests / m.calls:g} "
            f"requests a call; {m.counts.connections} connections, {handshakes} TLS handshakes "
            f"in {m.calls} calls"
        )
        if target is None:
            return (f"over the wire: {m.label}", result, "", None)
        met = ratio <= target and handshakes == 0
        return (
            f"over the wire: {m.label}",
            result,
            f"<= {target}x, no new handshake",
            met,
        )

    def _copy(self, stand_in: RemoteStandIn) -> tuple[str, str, str, bool | None]:
        """Copy 20 handlers to another connection as the background job does it."""
        from django.core.cache import cache

        from handlers_app.batches import job_counts, job_run
        from handlers_app.models import Job, JobStatus
        from handlers_app.selectors import handler_all
        from handlers_app.sharing import copy_job_create, copy_plan

        source, _source_key = self._connection(stand_in, seed=COPY_HANDLERS)
        destination, destination_key = self._connection(stand_in, seed=0)
        cache.clear()
        self.bench.sandbox.clear_requests()
        before = stand_in.counts.copy()
        started = time.perf_counter()
        plan = copy_plan(sources=handler_all(connection=source), destination=destination)
        job = copy_job_create(
            source=source, destination=destination, user=self.bench.user, plan=plan
        )
        # The slices the background worker would run, one after another, here.
        while Job.objects.get(pk=job.pk).status in (JobStatus.QUEUED, JobStatus.RUNNING):
            job_run.call(job_id=job.pk)
        elapsed = (time.perf_counter() - started) * 1000
        counts = stand_in.counts.since(before)
        outcomes = job_counts(Job.objects.get(pk=job.pk))
        made = len(self.bench.sandbox.requests)
        created = len(self.bench.sandbox.handlers(destination_key))
        planned = sum(1 for item in plan if item.will_add)
        limit = COPY_ROUND_TRIPS * self.rtt_ms
        ratio = elapsed / limit
        handshakes = counts.full_handshakes + counts.resumed_handshakes
        return (
            f"over the wire: copy of {COPY_HANDLERS} handlers (the background job)",
            f"{elapsed:.0f} ms = {ratio:.2f}x its limit ({COPY_ROUND_TRIPS} round trips); "
            f"{made} requests, {created} created ({COPY_HANDLERS - planned} skipped as the "
            f"same place or not copyable; outcomes {_nonzero(outcomes)}); {counts.connections} "
            f"connections, "
            f"{handshakes} TLS handshakes",
            f"<= {COPY_RATIO_TARGET}x, <= 1 handshake",
            ratio <= COPY_RATIO_TARGET and handshakes <= 1 and created == planned,
        )


# --- no worker held hostage ----------------------------------------------------------------------


class DripServer:
    """An address that answers one byte every half second: a check against it waits until the
    call's deadline."""

    def __init__(self) -> None:
        import socket

        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._stop = threading.Event()
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/api/"
        self.reached = 0

    def start(self) -> DripServer:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.reached += 1
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: Any) -> None:
        with conn:
            try:
                conn.settimeout(30)
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
                for _ in range(1000):
                    if self._stop.wait(0.5):
                        return
                    conn.sendall(b" ")
            except OSError:
                return


async def _post(port: int, path: str, cookie: str, form: dict[str, str]) -> int:
    from urllib.parse import urlencode

    body = urlencode(form).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        + body
    )
    await writer.drain()
    answer = await reader.read()
    writer.close()
    status_line = answer.split(b"\r\n", 1)[0].split()
    return int(status_line[1]) if len(status_line) > 1 else 0


def hostage_lines(
    *, port: int, home_cookie: str, checkers: list[tuple[str, str, int]], seconds: float
) -> list[tuple[str, str, str, bool | None]]:
    """Three people each start a connection check against a dripping address; meanwhile the
    home page and /healthz are asked for one after another. `checkers`: (cookie, CSRF token,
    team id) of each person."""
    from tests.bench import _one

    drip = DripServer().start()
    times: dict[str, list[float]] = {"/": [], "/healthz": []}

    async def run() -> list[int]:
        checks = [
            asyncio.create_task(
                _post(
                    port,
                    "/connections/new/",
                    cookie,
                    {
                        "csrfmiddlewaretoken": token,
                        "name": "Dripping",
                        "base_url": drip.url,
                        "api_key": "k" * 32,
                        "team": str(team),
                    },
                )
            )
            for cookie, token, team in checkers
        ]
        await asyncio.sleep(0.5)  # the three are in flight
        ends = time.perf_counter() + seconds
        while time.perf_counter() < ends:
            for path, cookie in (("/", home_cookie), ("/healthz", "")):
                started = time.perf_counter()
                status, _body = await _one(port, path, cookie)
                if status != 200:
                    raise SystemExit(f"bench: {path} answered {status} beside dripping checks")
                times[path].append((time.perf_counter() - started) * 1000)
        return list(await asyncio.gather(*checks))

    try:
        statuses = asyncio.run(run())
    finally:
        drip.stop()
    lines = []
    for path, label in (("/", "home page"), ("/healthz", "/healthz")):
        values = sorted(times[path])
        p99 = values[max(0, math.ceil(0.99 * len(values)) - 1)]
        lines.append(
            (
                f"{label} beside {len(checkers)} dripping connection checks (gunicorn)",
                f"p99 {p99:.0f} ms, median {statistics.median(values):.0f} ms "
                f"({len(values)} requests; {drip.reached} checks reached the dripping address, "
                f"their pages answered {sorted(set(statuses))})",
                "p99 < 1000 ms",
                p99 < 1000,
            )
        )
    return lines
