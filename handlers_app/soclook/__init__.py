"""Everything the project knows about the Soclook API: the client, its errors and the type registry.

`client` is the only module that talks HTTP; `errors` holds the exceptions it raises; `types` is
the handler-type registry. Import from this package rather than from the modules.
"""

from __future__ import annotations

from .client import (
    ORDER_BY_CHOICES,
    ORDER_TYPES,
    RESULTS_PER_PAGE_CHOICES,
    Handler,
    HandlerPage,
    HandlerStatus,
    ListQuery,
    RequestBudget,
    SoclookClient,
)
from .errors import (
    BadKey,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    SoclookError,
    Unavailable,
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
    "ORDER_BY_CHOICES",
    "ORDER_TYPES",
    "RESULTS_PER_PAGE_CHOICES",
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
    "RequestBudget",
    "SoclookClient",
    "SoclookError",
    "Unavailable",
    "generic_type_for",
    "get_handler_type",
    "is_known_type",
    "type_choices",
]
