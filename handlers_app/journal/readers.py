"""How the journal reads values other packages record and word themselves (a test send's outcome,
handlers_app.testsend): the journal keeps such a value as it was given (a code and its values,
never a sentence) and asks the package that wrote it for the words, in the reader's language.
That package registers its reader (`register`) when the application starts; the journal imports
nothing of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["read", "register"]

type Reader = Callable[[Mapping[str, Any]], object]

_READERS: dict[str, Reader] = {}


def register(field: str, reader: Reader) -> None:
    """`reader` turns what was recorded under `field` into an object whose str() are the words."""
    _READERS[field] = reader


def read(field: str, value: Any) -> object | None:
    """The object the registered reader makes of `value`; None without a reader or a record."""
    reader = _READERS.get(field)
    if reader is None or not isinstance(value, Mapping):
        return None
    return reader(value)
