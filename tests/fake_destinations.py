"""Stand-ins for the destinations of test sends, so that no test sends anything off this machine.

- `Destination`: a tiny HTTP server on 127.0.0.1 that records every request and answers as
  told (a webhook; reaching it needs TEST_SEND_ALLOW_PRIVATE_ADDRESSES and its port allowed).
- `Services`: the fixed services (api.telegram.org, hooks.slack.com, discord.com, Teams, X) at
  the HTTP level. Their names resolve to public addresses without a real lookup, so the guard
  checks them as it would in production, and the guard's `send` to them is answered here,
  recording each request as it would have left. Any other name is not found; this machine's own
  names and addresses resolve and answer as usual (the Soclook sandbox is on 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import pytest

from handlers_app import outbound

PUBLIC_ADDRESSES = {
    "api.telegram.org": "149.154.167.220",
    "hooks.slack.com": "54.230.10.1",
    "discord.com": "162.159.135.232",
    "acme.webhook.office.com": "52.96.91.34",
    "prod-42.westeurope.logic.azure.com": "20.61.0.10",
    "api.twitter.com": "104.244.42.194",
    "hooks.example.com": "93.184.215.14",
    # Where the sandbox's seeded handlers point.
    "outlook.office.com": "52.96.91.35",
    "hooks.zapier.com": "54.86.0.1",
    "crm.example.com": "93.184.215.15",
    "n8n.example.org": "93.184.215.16",
}


@dataclass
class Received:
    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b"ok"
    headers: Mapping[str, str] = field(default_factory=dict)
    # No answer at all: the guard's error for a destination that is slow or out of reach.
    fails: outbound.OutboundError | None = None

    @property
    def content(self) -> bytes:
        return self.body.encode() if isinstance(self.body, str) else self.body


class Destination:
    """A webhook on 127.0.0.1: `received` lists what came, `reply` is what it answers."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.reply = Reply()
        destination = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                destination.received.append(
                    Received(
                        method=self.command,
                        url=f"http://{self.headers.get('Host')}{self.path}",
                        headers=dict(self.headers.items()),
                        body=self.rfile.read(length),
                    )
                )
                reply = destination.reply
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.content)))
                self.end_headers()
                self.wfile.write(reply.content)

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> Destination:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def running_destination() -> Iterator[Destination]:
    destination = Destination().start()
    try:
        yield destination
    finally:
        destination.stop()


def allow_local(settings: Any, *destinations: Destination) -> None:
    """Let test sends reach these destinations on this machine (pytest-django's `settings`)."""
    settings.TEST_SEND_ALLOW_PRIVATE_ADDRESSES = True
    settings.TEST_SEND_ALLOWED_PORTS = [80, 443, *(d.port for d in destinations)]


class Services:
    """The fixed services, answered at the HTTP level: `replies` are given out in turn (the last
    one again when they run out), `received` lists every request the guard would have sent."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.received: list[Received] = []
        self.replies: list[Reply] = [Reply(200, b'{"ok": true}')]
        # Answer every request with a refusal that repeats what was sent, and where.
        self.echo = False
        self._real_getaddrinfo = socket.getaddrinfo
        self._real_send = outbound.send
        monkeypatch.setattr(socket, "getaddrinfo", self._getaddrinfo)
        monkeypatch.setattr(outbound, "send", self._send)
        # Names looked up before these fakes answered must be looked up again.
        monkeypatch.setattr(outbound, "names", outbound.NameCache())

    def answer(self, *replies: Reply) -> None:
        self.replies = list(replies)

    def _getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name in PUBLIC_ADDRESSES:
            address = PUBLIC_ADDRESSES[name]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        if name == "localhost" or _is_ip(name):
            return self._real_getaddrinfo(host, port, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    def _send(
        self,
        target: outbound.Target,
        policy: outbound.Policy,
        *,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        deadline: outbound.Deadline | None = None,
    ) -> outbound.Answer:
        if target.host not in PUBLIC_ADDRESSES:
            # This machine's own servers (the Soclook sandbox, a local webhook) answer themselves.
            return self._real_send(
                target, policy, method=method, headers=headers, body=body, deadline=deadline
            )
        self.received.append(
            Received(
                method=method,
                url=f"{target.scheme}://{target.host_header}{target.path}",
                headers=dict(headers or {}),
                body=body,
            )
        )
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if reply.fails is not None:
            raise reply.fails
        if self.echo:
            reply = Reply(400, self.received[-1].url.encode() + b" " + body)
        return outbound.Answer(
            status=reply.status,
            headers=MappingProxyType({k.lower(): v for k, v in reply.headers.items()}),
            content=reply.content,
        )


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
