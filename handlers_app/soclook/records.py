"""What the Soclook API deals in, as the project holds it: handlers, pages of them, list queries.

`ListQuery` is the list's query in the API's own names, both ways: `from_params` reads a query
string leniently (a value that makes no sense falls back to its default), `to_params` spells it
for the API and, leaving out the defaults, for the list's address. `HandlerStatus` holds the one
wording of a handler's status that every page and the journal show.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy

from .types import NAME_MAX_LENGTH, HandlerType, get_handler_type

__all__ = [
    "HEALTH_ATTENTION",
    "LIST_ORDER_BY_CHOICES",
    "MAX_PAGE",
    "ORDER_BY_CHOICES",
    "ORDER_TYPES",
    "RESULTS_PER_PAGE_CHOICES",
    "SEARCH_MAX_LENGTH",
    "Handler",
    "HandlerPage",
    "HandlerStatus",
    "ListQuery",
]

RESULTS_PER_PAGE_CHOICES = (10, 25, 50, 100, 250, 500, 1000)
ORDER_BY_CHOICES = ("notification_handler_id", "datetime", "last_datetime", "name")
# The list also sorts by type and status, which the service cannot: those orders are cut from a
# whole account's snapshot (readcache), and the service is asked in its default order.
LOCAL_ORDER_BY_CHOICES = ("type", "status")
LIST_ORDER_BY_CHOICES = ORDER_BY_CHOICES + LOCAL_ORDER_BY_CHOICES
ORDER_TYPES = ("ASC", "DESC")
# The service keeps at most NAME_MAX_LENGTH characters of a name: a longer search never matches.
SEARCH_MAX_LENGTH = NAME_MAX_LENGTH
MAX_PAGE = 1_000_000
HEALTH_ATTENTION = "attention"
# The list may be filtered by any type an account holds, also one the dashboard has never heard
# of; the platform's type names are lower-case words joined by underscores.
_TYPE_SLUG_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")


class HandlerStatus(models.IntegerChoices):
    DISABLED = 0, gettext_lazy("Disabled")
    ENABLED = 1, gettext_lazy("Enabled")
    PENDING = 2, gettext_lazy("Waiting for e-mail confirmation")


@dataclass(frozen=True, slots=True)
class Handler:
    id: int
    type: str
    name: str
    settings: Mapping[str, str] = field(repr=False)
    status: HandlerStatus
    created: datetime | None
    last_changed: datetime | None
    email_confirmed: bool | None = None

    @classmethod
    def as_sent(
        cls,
        *,
        id: int,
        type: str,
        name: str,
        settings: Mapping[str, str],
        at: datetime | None = None,
    ) -> Handler:
        """A handler as the dashboard sent it, not yet read back from the service (which alone
        knows a status waiting for confirmation, and its times): switched on, its name cut as
        the service keeps it."""
        return cls(
            id=id,
            type=type,
            name=name[:NAME_MAX_LENGTH],
            settings=dict(settings),
            status=HandlerStatus.ENABLED,
            created=at,
            last_changed=at,
        )

    @property
    def is_enabled(self) -> bool:
        return self.status != HandlerStatus.DISABLED

    @property
    def is_pending(self) -> bool:
        return self.status == HandlerStatus.PENDING

    @property
    def switch_status(self) -> HandlerStatus:
        """What the on/off switch says: a handler waiting for confirmation is switched on."""
        return HandlerStatus.ENABLED if self.is_enabled else HandlerStatus.DISABLED

    @property
    def handler_type(self) -> HandlerType:
        return get_handler_type(self.type, settings_keys=self.settings)

    @property
    def summary(self) -> str:
        return self.handler_type.summary(self.settings)

    @property
    def place(self) -> tuple[str, str]:
        """Its type and where it sends (`HandlerType.destination_key`, never shown): two
        handlers with the same place are the same set-up, whatever their names."""
        return self.type, self.handler_type.destination_key(self.settings)


@dataclass(frozen=True, slots=True)
class HandlerPage:
    items: tuple[Handler, ...]
    page: int
    per_page: int
    total: int
    total_pages: int

    @property
    def has_next(self) -> bool:
        return self.page < self.total_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


@dataclass(frozen=True, slots=True)
class ListQuery:
    page: int = 1
    results_per_page: int = 25
    type: str | None = None
    is_enabled: int | None = None
    search: str | None = None
    order_by: str | None = None
    order_type: str | None = None
    # The dashboard's own filter, never sent to Soclook: HEALTH_ATTENTION lists the handlers
    # whose last check needs attention (handlers_app.health).
    health: str | None = None

    def __post_init__(self) -> None:
        if self.page < 1:
            raise ValueError("page must be 1 or more")
        # The service silently swaps an unlisted size for 25, which would break paging maths.
        if self.results_per_page not in RESULTS_PER_PAGE_CHOICES:
            raise ValueError(f"results_per_page must be one of {RESULTS_PER_PAGE_CHOICES}")
        if self.is_enabled is not None and self.is_enabled not in HandlerStatus.values:
            raise ValueError("is_enabled must be 0, 1 or 2")
        if self.order_by is not None and self.order_by not in LIST_ORDER_BY_CHOICES:
            raise ValueError(f"order_by must be one of {LIST_ORDER_BY_CHOICES}")
        if self.order_type is not None and self.order_type not in ORDER_TYPES:
            raise ValueError(f"order_type must be one of {ORDER_TYPES}")
        if self.health not in (None, HEALTH_ATTENTION):
            raise ValueError(f"health must be {HEALTH_ATTENTION!r}")

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> ListQuery:
        """The query a query string asks for; anything unusable falls back to its default."""
        page = _as_int(params.get("page")) or 1
        per_page = _as_int(params.get("results_per_page"))
        status = _as_int(params.get("is_enabled"))
        type_ = params.get("type", "").strip()
        search = params.get("search", "").strip()[:SEARCH_MAX_LENGTH].strip()
        order_by = params.get("order_by", "").strip()
        order_type = params.get("order_type", "").strip().upper()
        health = params.get("health", "").strip()
        return cls(
            page=min(max(page, 1), MAX_PAGE),
            results_per_page=(
                per_page if per_page in RESULTS_PER_PAGE_CHOICES else cls().results_per_page
            ),
            type=type_ if _TYPE_SLUG_RE.fullmatch(type_) else None,
            is_enabled=status if status in HandlerStatus.values else None,
            search=search or None,
            order_by=order_by if order_by in LIST_ORDER_BY_CHOICES else None,
            order_type=order_type if order_type in ORDER_TYPES else None,
            health=health if health == HEALTH_ATTENTION else None,
        )

    def to_params(self, *, omit_defaults: bool = False) -> dict[str, str]:
        """The query in the API's names: what the API is sent (the page and its size always,
        a search by name), or with `omit_defaults` the list's address, which says only what
        differs from the defaults."""
        params: dict[str, str] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None or value == "" or (omit_defaults and value == item.default):
                continue
            local_order = self.order_by in LOCAL_ORDER_BY_CHOICES
            if item.name in ("order_by", "order_type") and local_order and not omit_defaults:
                continue
            if item.name == "health" and not omit_defaults:
                continue
            params[item.name] = str(value)
            if item.name == "search" and not omit_defaults:
                params["search_by"] = "name"
        return params


def _as_int(raw: str | None) -> int | None:
    try:
        return int((raw or "").strip())
    except ValueError:
        return None
