"""Everything the project knows about the Soclook API: its records, its errors and the type
registry, handed out here; and the client, which is not.

`client` is the only module that talks HTTP (the rest of the project gets a client of a
connection from `handlers_app.clients`); `answers` reads what it gets back; `records` holds what it
reads and is asked for (handlers, pages, list queries, the status labels); `errors` holds the
exceptions it raises; `types` is the handler-type registry. Import records, errors and types from
this package rather than from the modules.
"""

from __future__ import annotations

from .errors import (
    BadKey,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    SoclookError,
    Unavailable,
)
from .records import (
    HEALTH_ATTENTION,
    ORDER_BY_CHOICES,
    ORDER_TYPES,
    RESULTS_PER_PAGE_CHOICES,
    SEARCH_MAX_LENGTH,
    Handler,
    HandlerPage,
    HandlerStatus,
    ListQuery,
)
from .types import (
    HANDLER_TYPES,
    FieldKind,
    FieldSpec,
    HandlerType,
    generic_type_for,
    get_handler_type,
    is_known_type,
    type_choices,
)

__all__ = [
    "HANDLER_TYPES",
    "HEALTH_ATTENTION",
    "ORDER_BY_CHOICES",
    "ORDER_TYPES",
    "RESULTS_PER_PAGE_CHOICES",
    "SEARCH_MAX_LENGTH",
    "BadKey",
    "FieldKind",
    "FieldSpec",
    "Handler",
    "HandlerPage",
    "HandlerStatus",
    "HandlerType",
    "ListQuery",
    "NotFound",
    "OutcomeUnknown",
    "RateLimited",
    "Rejected",
    "SoclookError",
    "Unavailable",
    "generic_type_for",
    "get_handler_type",
    "is_known_type",
    "type_choices",
]
