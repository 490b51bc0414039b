"""The sandbox's HTTP plumbing: the threaded server, reading a request, sending an answer.

DEVELOPMENT AND TEST TOOL ONLY. Pure standard library; what to answer is the sandbox's business
(`server.py`), handed in as the server's `serve`.
"""

from __future__ import annotations

import socketserver
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import api
from .forms import parse_form

_HUGE_CHUNK = 64 * 1024


@dataclass
class Incoming:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    api_key: str | None
    headers: dict[str, str]
    host: str


class Server(ThreadingHTTPServer):
    daemon_threads = True
    serve: Callable[[Handler], None]

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name, which can stall on a machine without
        # working reverse DNS; the sandbox never needs it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-answer is routine here (timeouts, "drop" faults).
        if not isinstance(sys.exception(), ConnectionError):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    server: Server
    server_version = "SoclookSandbox/1.0"

    def do_GET(self) -> None:
        self.server.serve(self)

    do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass


def read_request(handler: Handler) -> Incoming:
    split = urlsplit(handler.path)
    try:
        length = int(handler.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    body = handler.rfile.read(length) if length > 0 else b""
    method = handler.command.upper()
    # PHP only fills $_POST for POST requests.
    form = parse_form(handler.headers.get("Content-Type"), body) if method == "POST" else {}
    scheme, _, token = handler.headers.get("Authorization", "").partition(" ")
    api_key = token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return Incoming(
        method=method,
        path=split.path,
        query=dict(parse_qsl(split.query, keep_blank_values=True)),
        form=form,
        api_key=api_key,
        headers=dict(handler.headers.items()),
        host=handler.headers.get("Host") or "{}:{}".format(*handler.server.server_address[:2]),
    )


def send(handler: Handler, reply: api.Reply) -> None:
    try:
        send_head(handler, reply)
        if reply.body and handler.command != "HEAD":
            handler.wfile.write(reply.body)
    except ConnectionError:
        pass


def send_head(handler: Handler, reply: api.Reply) -> None:
    handler.send_response(reply.status)
    if reply.content_type:
        handler.send_header("Content-Type", reply.content_type)
    for name, value in reply.headers.items():
        handler.send_header(name, value)
    if reply.status != 204:
        handler.send_header("Content-Length", str(len(reply.body)))
    handler.end_headers()


def send_dripping(
    handler: Handler, reply: api.Reply, *, wake: threading.Event, pause: Callable[[], float]
) -> None:
    """The head at once, then the body a byte at a time, `pause()` seconds before each byte."""
    try:
        send_head(handler, reply)
        for index in range(len(reply.body)):
            if wake.wait(pause()):
                return
            handler.wfile.write(reply.body[index : index + 1])
    except ConnectionError:
        pass


def send_huge(handler: Handler, size: int, *, wake: threading.Event) -> None:
    """A 200 whose body never seems to end; the length is not announced, the stream is closed."""
    try:
        handler.send_response(200)
        handler.send_header("Content-Type", api.JSON_TYPE)
        handler.send_header("Connection", "close")
        handler.end_headers()
        sent = 0
        handler.wfile.write(b'{"data": [], "padding": "')
        while sent < size and not wake.is_set():
            handler.wfile.write(b"x" * _HUGE_CHUNK)
            sent += _HUGE_CHUNK
        handler.wfile.write(b'"}')
    except ConnectionError:
        pass
    handler.close_connection = True
