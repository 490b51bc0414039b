"""At most PER_PERSON connection checks or test sends of one person under way at once.

Both wait on an address a person typed, for up to their deadline; without a limit, a few of them
against a server that answers a byte a second would hold every thread of every worker. A person's
turns are PER_PERSON places in the cache (shared by every worker and thread with REDIS_URL), each
taken with `cache.add()`, which only one caller can win, and given back when the call ends,
however it ends. A place whose worker died mid-call frees itself once the longest call would have
ended.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import BaseCache, cache
from django.utils.translation import gettext_lazy

__all__ = ["BUSY_MESSAGE", "PER_PERSON", "Busy", "outbound_turn"]

PER_PERSON = 2
# Past the call's own deadline: the lookups and the rendering around it.
_MARGIN_SECONDS = 30
_KEY = "in-flight:{user_id}:{place}"

BUSY_MESSAGE = gettext_lazy(
    "You have %(count)d checks or test sends under way. Wait for your other checks to finish, "
    "then try again."
)


class Busy(Exception):
    """All of a person's places are taken."""

    @property
    def message(self) -> str:
        return str(BUSY_MESSAGE) % {"count": PER_PERSON}


@contextmanager
def outbound_turn(
    *, user_id: int, seconds: float, store: BaseCache | None = None
) -> Iterator[None]:
    """Hold one of the person's places while the block runs (`seconds`: its deadline), or raise
    `Busy` when none is free."""
    store = store or cache
    token = secrets.token_hex(8)
    timeout = math.ceil(seconds) + _MARGIN_SECONDS
    for place in range(PER_PERSON):
        key = _KEY.format(user_id=user_id, place=place)
        if store.add(key, token, timeout=timeout):
            break
    else:
        raise Busy()
    try:
        yield
    finally:
        # Only our own place: one that expired and was taken by another call stays taken.
        if store.get(key) == token:
            store.delete(key)
