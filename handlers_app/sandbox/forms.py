"""Request-body parsing for the sandbox (development/test tool only).

Mirrors what PHP puts in `$_POST`: multipart/form-data and application/x-www-form-urlencoded
bodies are read, anything else (JSON included) yields an empty form, and a repeated field keeps
its last value.
"""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from urllib.parse import parse_qsl


def parse_form(content_type: str | None, body: bytes) -> dict[str, str]:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        text = body.decode("utf-8", errors="replace")
        return dict(parse_qsl(text, keep_blank_values=True))
    if media_type == "multipart/form-data" and content_type:
        return _parse_multipart(content_type, body)
    return {}


def _parse_multipart(content_type: str, body: bytes) -> dict[str, str]:
    # The email package parses MIME multiparts fine once given the header it would have seen.
    # Its compat32 policy reads the few headers a form part has ten times faster than the HTTP
    # policy: the sandbox stands in for the service, and its own time should not count as the
    # dashboard's.
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode(
        "latin-1", errors="replace"
    )
    message = BytesParser(policy=policy.compat32).parsebytes(head + body)
    if not message.is_multipart():
        return {}
    form: dict[str, str] = {}
    for part in message.get_payload():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        raw = payload if isinstance(payload, bytes) else b""
        form[name] = _decode(raw, part.get_content_charset())
    return form


def _decode(raw: bytes, charset: str | None) -> str:
    try:
        return raw.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")
