"""What Soclook's answers mean: the body read, the status judged, handlers and pages parsed.

Parsing accepts both the documented shapes and the live service's variants (see
docs/soclook-api.md); an answer of another shape is `NotSoclook`, and nothing from it is shown.
`client` sends the requests and hands every answer here.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from django.utils.translation import gettext_lazy

from handlers_app import outbound

from .errors import (
    DEFAULT_RETRY_AFTER,
    BadKey,
    NotFound,
    NotSoclook,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    SoclookError,
    Unavailable,
)
from .records import Handler, HandlerPage, HandlerStatus, ListQuery

logger = logging.getLogger("handlers_app.soclook")

_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# The form the service writes every time, which fromisoformat reads many times faster than
# strptime (a page of 1000 handlers holds 2000 of them); strptime reads the laxer rest.
_DATETIME_EXACT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", re.ASCII)
# Read once: the enum builds the list anew each time it is asked (a page parses 1000 statuses).
_STATUS_VALUES = frozenset(HandlerStatus.values)
_UNCONFIRMED_WRITE_STATUSES = frozenset({502, 504})
_MAX_TITLE_LENGTH = 300
# Shorter settings values are not worth scrubbing out of titles and would mangle ordinary words.
_MIN_SCRUBBED_LENGTH = 6
_REDACTED = "••••"
_INT_RE = re.compile(r"^-?[0-9]{1,18}$")


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any
    # The body was JSON (or empty), not e.g. a proxy's HTML page.
    readable: bool = True


class ShapeError(Exception):
    pass


def interpret(
    response: outbound.Answer, *, is_write: bool, is_item: bool, secrets: Iterable[str]
) -> Reply:
    body, readable = decode(response.content)
    status = response.status
    # Some deployments wrap an error in a 200; the status inside the body then decides.
    if (
        200 <= status < 300
        and isinstance(body, Mapping)
        and body.get("errors")
        and "data" not in body
    ):
        status = status_from_errors(body) or 400
    if 200 <= status < 300:
        if is_write and not (readable and (body is None or has_data(body))):
            # A proxy's maintenance page also comes with a 200, and so may another service's
            # JSON; only the service's own answer (or nothing at all) shows that the service
            # itself took the change.
            raise OutcomeUnknown(status=status)
        return Reply(status=status, body=body, readable=readable)
    raise error_for(
        status,
        body=body if readable else None,
        response=response,
        is_write=is_write,
        is_item=is_item,
        secrets=secrets,
    )


def error_for(
    status: int,
    *,
    body: Any,
    response: outbound.Answer,
    is_write: bool,
    is_item: bool,
    secrets: Iterable[str],
) -> SoclookError:
    if status == 429:
        retry_after = header_int(response, "X-RateLimit-Reset")
        return RateLimited(
            retry_after=retry_after if retry_after and retry_after > 0 else DEFAULT_RETRY_AFTER,
            limit=header_int(response, "X-RateLimit-Limit"),
            status=status,
        )
    if status == 401 and not is_write:
        return BadKey(status=status)
    if status == 404:
        if is_item:
            return NotFound(status=status)
        return Unavailable(
            status=status,
            message=gettext_lazy(
                "Soclook has no notification-handlers API at this address. "
                "Check the connection's API address."
            ),
        )
    if is_write and status in _UNCONFIRMED_WRITE_STATUSES:
        return OutcomeUnknown(status=status)
    if 400 <= status < 500:
        if body is not None and not is_error_shape(body):
            return NotSoclook(status=status)
        return Rejected(title=title_of(body, secrets=secrets), status=status)
    return Unavailable(status=status)


def decode(content: bytes) -> tuple[Any, bool]:
    if not content.strip():
        return None, True
    try:
        return json.loads(content), True
    except ValueError:
        return None, False


def status_from_errors(body: Mapping[str, Any]) -> int | None:
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        status = as_int(errors[0].get("status"))
        if status is not None and 400 <= status < 600:
            return status
    return None


def shape_error(answer: Reply) -> Unavailable:
    # A proxy's HTML page or an empty answer is the service being unwell; JSON of another shape
    # is another service.
    if answer.readable and answer.body is not None:
        return NotSoclook(status=answer.status)
    return Unavailable(status=answer.status)


def is_error_shape(body: Any) -> bool:
    """The service's error answer: `errors`, one or a list, each with a title and a status."""
    if not isinstance(body, Mapping):
        return False
    errors = body.get("errors")
    if isinstance(errors, Mapping):
        errors = [errors]
    return (
        isinstance(errors, list)
        and bool(errors)
        and all(
            isinstance(item, Mapping)
            and isinstance(item.get("title"), str)
            and as_int(item.get("status")) is not None
            for item in errors
        )
    )


def title_of(body: Any, *, secrets: Iterable[str]) -> str:
    if not isinstance(body, Mapping):
        return ""
    errors = body.get("errors")
    if isinstance(errors, Mapping):
        errors = [errors]
    if not isinstance(errors, list):
        return ""
    titles = [
        str(item["title"]).strip()
        for item in errors
        if isinstance(item, Mapping) and item.get("title") is not None
    ]
    title = "; ".join(dict.fromkeys(t for t in titles if t))
    # The service may echo what it was sent; a submitted setting or the key must not reach a page.
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= _MIN_SCRUBBED_LENGTH:
            title = title.replace(secret, _REDACTED)
    if len(title) > _MAX_TITLE_LENGTH:
        title = title[: _MAX_TITLE_LENGTH - 1] + "…"
    return title


def header_int(response: outbound.Answer, name: str) -> int | None:
    return as_int(response.headers.get(name.lower()))


def as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if _INT_RE.match(text):
            return int(text)
    return None


def has_data(body: Any) -> bool:
    return isinstance(body, Mapping) and "data" in body


def data_of(body: Any) -> Any:
    if not has_data(body):
        raise ShapeError("no data")
    return body["data"]


def parse_page(body: Any, *, query: ListQuery) -> HandlerPage:
    raw_items = data_of(body)
    # PHP encodes an empty or sparse array as an object.
    if isinstance(raw_items, Mapping):
        raw_items = list(raw_items.values())
    if not isinstance(raw_items, list):
        raise ShapeError("data is not a list")
    items = []
    for raw in raw_items:
        try:
            items.append(parse_handler(raw))
        except ShapeError:
            logger.warning("soclook list: skipped a handler without a usable id")
    meta = body.get("meta")
    if not isinstance(meta, Mapping):
        raise ShapeError("no meta")
    page = as_int(meta.get("page")) or query.page
    per_page = as_int(meta.get("results_per_page")) or query.results_per_page
    total = as_int(meta.get("total"))
    if total is None:
        total = as_int(meta.get("total_results"))
    if total is None:
        total = (page - 1) * per_page + len(items)
    total_pages = as_int(meta.get("total_pages"))
    if total_pages is None:
        total_pages = math.ceil(total / per_page)
    return HandlerPage(
        items=tuple(items), page=page, per_page=per_page, total=total, total_pages=total_pages
    )


def parse_handler(raw: Any) -> Handler:
    if not isinstance(raw, Mapping):
        raise ShapeError("handler is not an object")
    handler_id = as_int(raw.get("id"))
    if handler_id is None:
        raise ShapeError("handler has no id")
    settings, email_confirmed = parse_settings(raw.get("settings"))
    return Handler(
        id=handler_id,
        type=as_text(raw.get("type")),
        name=as_text(raw.get("name")),
        settings=MappingProxyType(settings),
        status=parse_status(raw.get("is_enabled")),
        created=parse_datetime(raw.get("datetime")),
        last_changed=parse_datetime(raw.get("last_datetime")),
        email_confirmed=email_confirmed,
    )


def as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def parse_settings(value: object) -> tuple[dict[str, str], bool | None]:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else None
        except ValueError:
            value = None
    if not isinstance(value, Mapping):
        return {}, None
    settings = {str(key): as_text(item) for key, item in value.items()}
    confirmed = settings.pop("email_is_confirmed", None)
    return settings, None if confirmed is None else as_flag(confirmed)


def as_flag(text: str) -> bool:
    return text.strip().lower() not in {"", "0", "false", "no", "null"}


def parse_status(value: object) -> HandlerStatus:
    if value is None:
        return HandlerStatus.DISABLED
    if isinstance(value, bool):
        return HandlerStatus.ENABLED if value else HandlerStatus.DISABLED
    number = as_int(value)
    if number is None:
        return HandlerStatus.ENABLED if as_flag(str(value)) else HandlerStatus.DISABLED
    if number in _STATUS_VALUES:
        return HandlerStatus(number)
    return HandlerStatus.ENABLED if number else HandlerStatus.DISABLED


def parse_datetime(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if _DATETIME_EXACT.fullmatch(text):
            return datetime.fromisoformat(text)
        return datetime.strptime(text, _DATETIME_FORMAT)
    except ValueError:
        return None
