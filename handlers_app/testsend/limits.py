"""How often tests may be sent: one per handler every HANDLER_INTERVAL_SECONDS, and
PERSON_TESTS_PER_HOUR per person in any hour, counted in the cache (shared by every worker with
REDIS_URL).

Both are made of `cache.add()`, which only one caller can win (SET NX in Redis), so two workers
can never both take the last place. A handler's turn is one key that lives for the interval.
A person's hour is PERSON_TESTS_PER_HOUR places, each taken for an hour from the moment a test
used it: a sliding hour, not one that resets on the hour. Every place holds the moment it frees
up, which is what "try again in ..." is counted from.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import BaseCache, cache

__all__ = [
    "HANDLER_INTERVAL_SECONDS",
    "HOUR",
    "PERSON_TESTS_PER_HOUR",
    "LimitReached",
    "take_handler_turn",
    "take_turn",
]

HANDLER_INTERVAL_SECONDS = 10
PERSON_TESTS_PER_HOUR = 30
HOUR = 60 * 60

_PREFIX = "testsend"


@dataclass(frozen=True)
class LimitReached:
    # "handler" (its interval) or "person" (the hourly number).
    scope: str
    retry_after: int


def take_turn(
    *,
    subject: str,
    user_id: int,
    store: BaseCache = cache,
    clock: Callable[[], float] = time.time,
) -> LimitReached | None:
    """Count one test to `subject` (a handler, or a destination typed into a new form) by the
    person; None when it may go, otherwise which limit stops it and for how long."""
    now = clock()
    places = [f"{_PREFIX}:person:{user_id}:{n}" for n in range(PERSON_TESTS_PER_HOUR)]
    taken = store.get_many(places)
    free = [key for key in places if key not in taken]
    if not free:
        return LimitReached(scope="person", retry_after=_seconds_until(min(taken.values()), now))

    handler_key = _handler_key(subject)
    if not store.add(handler_key, now + HANDLER_INTERVAL_SECONDS, HANDLER_INTERVAL_SECONDS):
        return LimitReached(
            scope="handler", retry_after=_seconds_until(store.get(handler_key), now)
        )
    for key in free:
        if store.add(key, now + HOUR, HOUR):
            return None
    # Others took the last places meanwhile: this test does not go, so it holds no turn.
    store.delete(handler_key)
    taken = store.get_many(places)
    return LimitReached(
        scope="person", retry_after=_seconds_until(min(taken.values(), default=None), now)
    )


def take_handler_turn(
    *, subject: str, store: BaseCache = cache, clock: Callable[[], float] = time.time
) -> bool:
    """Only the handler's interval, for requests no person asked for (a run of silent checks,
    handlers_app.health): False while a test or check of `subject` is within it."""
    now = clock()
    return store.add(
        _handler_key(subject), now + HANDLER_INTERVAL_SECONDS, HANDLER_INTERVAL_SECONDS
    )


def _handler_key(subject: str) -> str:
    return f"{_PREFIX}:handler:{subject}"


def _seconds_until(moment: object, now: float) -> int:
    if not isinstance(moment, int | float):
        return 1
    return max(1, math.ceil(moment - now))
