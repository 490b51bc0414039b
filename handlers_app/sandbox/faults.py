"""The faults a test can inject into the sandbox, and the record of each request it saw.

DEVELOPMENT AND TEST TOOL ONLY. Each fault kind and what it answers:
- "html_500", "json_500", "503", "not_json": a canned answer from the infrastructure in front of
  the service (an Apache error page, a JSON 500, nginx's 503, a maintenance page).
- "rate_limit": a 429 with the service's rate-limit headers (the sandbox answers it, knowing the
  window); "drop": the connection closed with no answer.
- "slow" applies the request first and delays only the answer: a client that times out on a
  write cannot assume nothing happened, just as with the real service.
- "truncated_json" applies the request too, and sends only the first half of the answer.
- "drip" applies the request too, then sends the answer's head at once and its body a byte every
  `drip_seconds`: every read gets something, so only a limit on the whole call ends it.
- The faults of something else answering at the address: "redirect" (302 to the cloud metadata
  address), "huge" (a 200 of `huge_bytes`, streamed without a length), "foreign_json" (a 200 in
  another API's shape) and "foreign_error" (a 403 in another API's shape).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import api

FAULT_KINDS = frozenset(
    {
        "html_500",
        "json_500",
        "503",
        "truncated_json",
        "not_json",
        "slow",
        "rate_limit",
        "drop",
        "redirect",
        "drip",
        "huge",
        "foreign_json",
        "foreign_error",
    }
)
# Faults that still let the service handle the request and only spoil the delivery.
DELIVERY_FAULTS = frozenset({"slow", "truncated_json", "drip"})
# Where the "redirect" fault sends a client: the cloud metadata service.
REDIRECT_TARGET = "http://169.254.169.254/latest/meta-data/"
# What the "foreign_*" faults answer with: another service's JSON, naming an internal host.
FOREIGN_HOST = "db-01.internal"

_HTML_500 = (
    "<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>\n"
    "<body><h1>Internal Server Error</h1>\n<p>The server encountered an internal error and "
    "was unable to complete your request.</p>\n<hr><address>Apache Server</address></body></html>\n"
)
_HTML_503 = (
    "<html>\n<head><title>503 Service Temporarily Unavailable</title></head>\n<body>\n"
    "<center><h1>503 Service Temporarily Unavailable</h1></center>\n<hr><center>nginx</center>\n"
    "</body>\n</html>\n"
)
_HTML_MAINTENANCE = (
    '<!DOCTYPE html>\n<html lang="ru"><head><meta charset="utf-8"><title>Технические работы'
    "</title></head>\n<body><h1>Сайт временно недоступен</h1><p>Мы проводим технические работы "
    "и скоро вернёмся.</p></body></html>\n"
)


@dataclass
class Fault:
    """Make the next `count` matching requests misbehave (see FAULT_KINDS).

    `method` matches case-insensitively; `path_contains` is a substring of the request path
    (without the query string). Faults are consumed in the order they were added.
    """

    kind: str
    count: int = 1
    method: str | None = None
    path_contains: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"Unknown fault kind {self.kind!r}; one of {sorted(FAULT_KINDS)}")
        if self.count < 1:
            raise ValueError("A fault's count must be at least 1")

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path_contains is None or self.path_contains in path


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the sandbox saw it, and the status it answered (None: nothing sent)."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    api_key: str | None
    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    fault: str | None = None


def canned_reply(kind: str) -> api.Reply:
    """The answer of a fault that needs nothing of the sandbox's state."""
    if kind == "html_500":
        return api.Reply(500, _HTML_500.encode(), api.HTML_TYPE)
    if kind == "json_500":
        return api.json_reply(500, {"errors": [{"title": "Internal error", "status": 500}]})
    if kind == "503":
        return api.Reply(503, _HTML_503.encode(), api.HTML_TYPE)
    if kind == "not_json":
        return api.Reply(200, _HTML_MAINTENANCE.encode(), api.HTML_TYPE)
    if kind == "redirect":
        return api.Reply(302, b"", None, {"Location": REDIRECT_TARGET})
    if kind == "huge":
        return api.Reply(200)
    if kind == "foreign_json":
        items = [{"id": 1, "name": f"admin@{FOREIGN_HOST}", "role": "superuser"}]
        return api.json_reply(200, {"status": "ok", "items": items})
    if kind == "foreign_error":
        return api.json_reply(403, {"detail": f"{FOREIGN_HOST}: a service token is required"})
    raise AssertionError(f"no canned answer for fault {kind!r}")


def truncated(reply: api.Reply) -> api.Reply:
    """The "truncated_json" fault: the first half of the service's answer, called a 200."""
    body = reply.body or b'{"data":{"id":1}}'
    cut = body[: max(1, len(body) // 2)]
    return api.Reply(200, cut, api.JSON_TYPE, dict(reply.headers))
