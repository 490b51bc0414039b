"""What the tests of the Soclook client share: the seeded account's layout, a few helpers, and
the fake `fetch` that answers what the sandbox cannot."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from handlers_app import outbound
from handlers_app.soclook.client import SoclookClient

# The head of every seeded account, in id order (see Sandbox.add_account).
EMAIL, WEBHOOK, SLACK, DISCORD, TELEGRAM, TEAMS, X, PUSH, TWILIO, GOOGLE_CHAT = range(10)
PENDING_EMAIL, DISABLED_DISCORD = 10, 11

BOT_TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
CHAT_ID = "-1001234567890"


def stored(sandbox, key: str, position: int) -> dict[str, Any]:
    return sandbox.handlers(key)[position]


def sent(sandbox, method: str) -> list[Any]:
    return [r for r in sandbox.requests if r.method == method]


def parse_time(value: str | None) -> datetime | None:
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S") if value else None


def public_settings(record: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in record["settings"].items() if k != "email_is_confirmed"}


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/"


class FakeFetch:
    """Answers each request with the next canned answer, or raises it if it is an exception."""

    def __init__(self, answers: list[outbound.Answer | Exception]) -> None:
        self.answers: Iterator[outbound.Answer | Exception] = iter(answers)
        self.calls: list[tuple[str, str]] = []

    def __call__(
        self, url: str, policy: outbound.Policy, *, method: str, deadline: outbound.Deadline, **_
    ) -> outbound.Answer:
        self.calls.append((method, url))
        assert policy.max_bytes
        assert deadline.remaining() > 0
        outcome = next(self.answers)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def answer(status: int, body: Any = None, *, raw: bytes | None = None, **headers: str):
    return outbound.Answer(
        status=status,
        headers={k.replace("_", "-").lower(): v for k, v in headers.items()},
        content=raw if raw is not None else json.dumps(body).encode(),
    )


def fake_client(fetch: FakeFetch, *, api_key: str = "fake-key") -> SoclookClient:
    return SoclookClient(
        base_url="https://soclook.example/api", api_key=api_key, fetch=fetch, backoff=0
    )
