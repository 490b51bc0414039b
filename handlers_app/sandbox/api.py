"""The emulated endpoints' rules, free of any HTTP or threading (development/test tool only).

A stored record is a plain dict: id, user_id, type, name, settings (dict), is_enabled (0/1/2),
last_datetime and datetime ("YYYY-MM-DD HH:MM:SS" or None). `render_handler` turns one into what
a variant of the service sends.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from . import catalog

Variant = Literal["live", "seed"]
Record = dict[str, Any]

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=UTF-8"


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str | None = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)


class FormError(Exception):
    """A write the service refuses; `title` is what it says."""

    def __init__(self, title: str) -> None:
        super().__init__(title)
        self.title = title


def json_reply(status: int, payload: object) -> Reply:
    return Reply(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def error_reply(status: int, title: str, variant: Variant) -> Reply:
    # The live service sends some statuses as strings, so clients must accept both.
    status_value: int | str = str(status) if variant == "live" and status == 401 else status
    return json_reply(status, {"errors": [{"title": title, "status": status_value}]})


def php_json(value: object) -> str:
    """json_encode with PHP's defaults: compact, ASCII only, slashes escaped."""
    return json.dumps(value, separators=(",", ":")).replace("/", "\\/")


def render_handler(record: Record, variant: Variant, *, settings_as_string: bool = False) -> dict:
    settings = dict(record["settings"])
    if variant == "seed":
        settings.pop("email_is_confirmed", None)
        return {
            "id": record["id"],
            "type": record["type"],
            "name": record["name"],
            "settings": settings,
            "is_enabled": record["is_enabled"] == 1,
            "last_datetime": record["last_datetime"],
            "datetime": record["datetime"],
        }
    return {
        "id": record["id"],
        "user_id": record["user_id"],
        "type": record["type"],
        "name": record["name"],
        "settings": php_json(settings) if settings_as_string else settings,
        "is_enabled": record["is_enabled"],
        "last_datetime": record["last_datetime"],
        "datetime": record["datetime"],
    }


def write_reply(record: Record, variant: Variant, *, created: bool) -> Reply:
    if variant == "seed":
        return json_reply(200, {"data": {"id": record["id"]}})
    rendered = render_handler(record, variant, settings_as_string=True)
    return json_reply(201 if created else 200, {"data": rendered})


def list_page(
    records: Iterable[Record], query: Mapping[str, str], variant: Variant, endpoint_url: str
) -> dict:
    rows = _filtered(records, query)
    _order(rows, query)
    page = _positive_int(query.get("page"), default=1)
    per_page = _results_per_page(query.get("results_per_page"))
    total = len(rows)
    total_pages = math.ceil(total / per_page)
    chunk = rows[(page - 1) * per_page : page * per_page]

    def link(number: int) -> str:
        others = urlencode([(k, v) for k, v in query.items() if k != "page"])
        return f"{endpoint_url}?{others}&page={number}"

    meta: dict[str, object]
    if variant == "live":
        meta = {
            "page": str(page),
            "results_per_page": per_page,
            "total_results": total,
            "total_pages": total_pages,
        }
    else:
        meta = {
            "page": page,
            "results_per_page": per_page,
            "total": total,
            "total_pages": total_pages,
        }
    return {
        "data": [render_handler(record, variant) for record in chunk],
        "meta": meta,
        "links": {
            "first": link(1),
            "last": link(total_pages) if total_pages else None,
            "next": link(page + 1) if page < total_pages else None,
            "prev": link(page - 1) if page > 1 else None,
            "self": link(page),
        },
    }


def _filtered(records: Iterable[Record], query: Mapping[str, str]) -> list[Record]:
    rows = list(records)
    if wanted_type := query.get("type"):
        rows = [r for r in rows if r["type"] == wanted_type]
    if (state := query.get("is_enabled")) in catalog.IS_ENABLED_FILTER_CHOICES:
        rows = [r for r in rows if r["is_enabled"] == int(state)]
    # Like the platform, `search` does nothing unless `search_by` names a searchable column.
    search = query.get("search", "")
    if search and query.get("search_by") in catalog.SEARCH_BY_CHOICES:
        needle = search.casefold()
        rows = [r for r in rows if needle in r["name"].casefold()]
    return rows


def _order(rows: list[Record], query: Mapping[str, str]) -> None:
    order_by = query.get("order_by")
    if order_by not in catalog.ORDER_BY_CHOICES:
        order_by = "notification_handler_id"
    descending = query.get("order_type") == "DESC"

    def key(record: Record) -> tuple:
        if order_by == "name":
            return (record["name"].casefold(), record["id"])
        if order_by in ("datetime", "last_datetime"):
            value = record[order_by]
            # MySQL puts NULLs first when ascending (and so last when descending).
            return (value is not None, value or "", record["id"])
        return (record["id"],)

    rows.sort(key=key, reverse=descending)


def _positive_int(raw: str | None, *, default: int) -> int:
    try:
        value = int(raw or "")
    except ValueError:
        return default
    return value if value >= 1 else default


def _results_per_page(raw: str | None) -> int:
    try:
        value = int(raw or "")
    except ValueError:
        return catalog.DEFAULT_RESULTS_PER_PAGE
    if value in catalog.RESULTS_PER_PAGE_CHOICES:
        return value
    return catalog.DEFAULT_RESULTS_PER_PAGE


def _sent(form: Mapping[str, str], name: str) -> str | None:
    """The trimmed value if the field was sent non-empty (PHP's `empty()` test), else None."""
    value = form.get(name, "").strip()
    return value or None


def validate_create(form: Mapping[str, str]) -> tuple[str, str, dict[str, str]]:
    """(type, name, settings) for a create, or FormError with the service's title."""
    name = _sent(form, "name")
    if name is None:
        raise FormError(catalog.TITLE_FIELD_REQUIRED.format(field="name"))
    type_ = _sent(form, "type")
    if type_ is None:
        raise FormError(catalog.TITLE_FIELD_REQUIRED.format(field="type"))
    if type_ not in catalog.SOCLOOK_TYPES:
        raise FormError(catalog.TITLE_BAD_TYPE.format(value=type_))
    settings = {}
    for field_name in catalog.SOCLOOK_TYPES[type_]:
        value = _sent(form, field_name)
        if value is None:
            raise FormError(catalog.TITLE_FIELD_REQUIRED.format(field=field_name))
        settings[field_name] = value[: catalog.SETTING_MAX_LENGTH]
    return type_, name[: catalog.NAME_MAX_LENGTH], settings


def apply_update(record: Record, form: Mapping[str, str], now: str) -> None:
    """Change `record` in place as the live service does, pitfall included.

    Without `type` the stored type is blanked and settings are rebuilt from the sent fields
    only; with `type`, each of that type's fields falls back to the stored value.
    """
    type_sent = "type" in form
    new_type = form.get("type", "").strip()
    if type_sent and new_type not in catalog.ALL_TYPES:
        raise FormError(catalog.TITLE_BAD_TYPE.format(value=new_type))
    is_enabled = form.get("is_enabled")
    if is_enabled is not None and is_enabled.strip() not in ("0", "1"):
        raise FormError(catalog.TITLE_BAD_IS_ENABLED)

    stored = record["settings"]
    waiting = record["is_enabled"] == catalog.IS_ENABLED_WAITING or (
        record["type"] == "email" and stored.get("email_is_confirmed") is False
    )
    settings: dict[str, str | bool] = {}
    if type_sent:
        for field_name in catalog.ALL_TYPES[new_type]:
            value = form[field_name].strip() if field_name in form else stored.get(field_name, "")
            settings[field_name] = str(value)[: catalog.SETTING_MAX_LENGTH]
        if new_type == "email":
            settings["email_is_confirmed"] = stored.get("email_is_confirmed", True)
    else:
        for field_name in catalog.ALL_SETTINGS_FIELDS:
            if field_name in form:
                settings[field_name] = form[field_name].strip()[: catalog.SETTING_MAX_LENGTH]

    if name := _sent(form, "name"):
        record["name"] = name[: catalog.NAME_MAX_LENGTH]
    record["type"] = new_type
    record["settings"] = settings
    if is_enabled is not None:
        wanted = int(is_enabled)
        record["is_enabled"] = catalog.IS_ENABLED_WAITING if waiting and wanted == 1 else wanted
    record["last_datetime"] = now
