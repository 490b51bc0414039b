"""The shared request budget of one Soclook API key, kept in Django's cache.

Soclook allows 60 requests per 60 seconds per key, reads included, and a team shares one key.
`CacheBudget` counts the dashboard's requests in the service's window and refuses, before
sending, a request the service would refuse. The counters live in the default cache (Redis when
`REDIS_URL` is set), so every worker process counts into the same place, and only atomic cache
operations (`add`, `incr`) change them. They are keyed by a keyed hash of the base URL and the key,
never by the key itself.

Keeping in step with the service:
- The service's window opens at its first request. Ours opens when we reserve the first request
  and ends `WINDOW_SLACK_SECONDS` later than the service's would, since our request reaches the
  service a little after we count it: we never believe a window is over before the service does.
- `X-RateLimit-Remaining` is the truth when it is lower than our count (someone else uses the
  key, or requests we never saw): our count is raised to match. A higher figure is ignored, since
  requests still in flight are already counted here but not yet there.
- `X-RateLimit-Reset` (sent with a 429) sets the end of the window, at most `MAX_RETRY_AFTER`
  ahead; a 429 spends the window.

Margins: a read is refused once fewer than `SAFETY_MARGIN + WRITE_RESERVE` requests are left, so
browsing, which is served from the cache meanwhile, can never make a save fail; a write may use
all but the last `SAFETY_MARGIN` request, which covers a request made with the key outside the
dashboard that no answer has told us about yet.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache as default_cache
from django.core.cache.backends.base import BaseCache
from django.utils.crypto import salted_hmac

from handlers_app.soclook.errors import (
    DEFAULT_RATE_LIMIT,
    DEFAULT_RETRY_AFTER,
    MAX_RETRY_AFTER,
    RateLimited,
)

__all__ = [
    "RATE_WINDOW_SECONDS",
    "SAFETY_MARGIN",
    "WRITE_RESERVE",
    "BudgetState",
    "CacheBudget",
    "key_fingerprint",
]

# The service counts each key's requests over this many seconds.
RATE_WINDOW_SECONDS = 60
WINDOW_SLACK_SECONDS = 1
SAFETY_MARGIN = 1
WRITE_RESERVE = 2
# How long a learned X-RateLimit-Limit is remembered (plans rarely change).
_LIMIT_MEMORY_SECONDS = 24 * 60 * 60
# The pointer to the current window outlives the window, so that the next window can be chained
# to it (see `_window_end`) instead of racing to recreate a vanished key.
_POINTER_SECONDS = MAX_RETRY_AFTER + RATE_WINDOW_SECONDS
_COUNTER_GRACE_SECONDS = 5


def key_fingerprint(*, base_url: str, api_key: str) -> str:
    """A stable name for one key at one address that reveals neither (an HMAC with SECRET_KEY)."""
    value = f"{base_url.strip().rstrip('/')}\n{api_key.strip()}"
    return salted_hmac("handlers_app.budget", value, algorithm="sha256").hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class BudgetState:
    """What is left of the key's budget in the current window, for showing to people."""

    limit: int
    remaining: int
    resets_in: int

    @property
    def used(self) -> int:
        return self.limit - self.remaining


class CacheBudget:
    """A `RequestBudget` (see soclook.client) shared through the cache by every worker.

    `for_writes` picks the allowance: clients that write may use the requests kept back from reads.
    """

    def __init__(
        self,
        *,
        fingerprint: str,
        for_writes: bool = False,
        cache: BaseCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._cache = cache if cache is not None else default_cache
        self._prefix = f"soclook:budget:{fingerprint}"
        self._for_writes = for_writes
        self._clock = clock

    def reserve(self) -> None:
        now = self._clock()
        limit = self._limit()
        end = self._window_end(now)
        counter = self._counter_key(end)
        self._cache.add(counter, 0, timeout=self._counter_timeout(end, now))
        used = self._cache.incr(counter)
        if used > self._allowance(limit):
            self._cache.decr(counter)
            raise RateLimited(retry_after=_seconds_until(end, now), limit=limit, status=None)

    def observe(
        self, *, status: int, limit: int | None, remaining: int | None, reset: int | None
    ) -> None:
        now = self._clock()
        if reset is not None:
            reset = min(reset, MAX_RETRY_AFTER)
        if limit is not None and limit > 0:
            self._cache.set(self._limit_key, limit, timeout=_LIMIT_MEMORY_SECONDS)
        else:
            limit = self._limit()
        if status == 429:
            seconds = reset if reset is not None and reset > 0 else DEFAULT_RETRY_AFTER
            self._start_window(now + seconds, used=limit, now=now)
            return
        if remaining is None:
            return
        service_used = max(0, limit - remaining)
        end = self._window_end(now)
        counter = self._counter_key(end)
        self._cache.add(counter, 0, timeout=self._counter_timeout(end, now))
        counted = self._cache.get(counter, 0)
        if reset is not None and reset > 0 and abs(now + reset - end) > WINDOW_SLACK_SECONDS:
            self._start_window(now + reset, used=max(service_used, counted), now=now)
        elif service_used > counted:
            self._cache.incr(counter, service_used - counted)

    def state(self) -> BudgetState:
        """The budget as it stands, without opening a window or counting anything."""
        now = self._clock()
        found = self._cache.get_many([self._limit_key, self._pointer_key])
        limit = found.get(self._limit_key, DEFAULT_RATE_LIMIT)
        end = found.get(self._pointer_key)
        if end is None or end <= now:
            return BudgetState(limit=limit, remaining=limit, resets_in=0)
        used = self._cache.get(self._counter_key(end), 0)
        return BudgetState(
            limit=limit, remaining=max(0, limit - used), resets_in=_seconds_until(end, now)
        )

    def _allowance(self, limit: int) -> int:
        kept_back = SAFETY_MARGIN if self._for_writes else SAFETY_MARGIN + WRITE_RESERVE
        return max(1, limit - kept_back)

    def _limit(self) -> int:
        return self._cache.get(self._limit_key, DEFAULT_RATE_LIMIT)

    def _window_end(self, now: float) -> float:
        """The end of the current window, opening a new one when the last is over.

        Workers agree on a new window without a lock: each proposes an end and only the first
        `add` of the successor key, named after the window that ended, wins.
        """
        end = self._cache.get(self._pointer_key)
        if end is not None and end > now:
            return end
        proposal = now + RATE_WINDOW_SECONDS + WINDOW_SLACK_SECONDS
        successor = f"{self._prefix}:after:{end!r}"
        timeout = RATE_WINDOW_SECONDS + WINDOW_SLACK_SECONDS + _COUNTER_GRACE_SECONDS
        if not self._cache.add(successor, proposal, timeout=timeout):
            agreed = self._cache.get(successor)
            # The winner moves the pointer; a successor that is itself over is left from before
            # the pointer was evicted, and is replaced below.
            if agreed is not None and agreed > now:
                return agreed
        self._cache.set(self._pointer_key, proposal, timeout=_POINTER_SECONDS)
        return proposal

    def _start_window(self, end: float, *, used: int, now: float) -> None:
        """Adopt the window the service announced: it ends at `end` with `used` spent."""
        counter = self._counter_key(end)
        self._cache.set(counter, used, timeout=self._counter_timeout(end, now))
        self._cache.set(self._pointer_key, end, timeout=_POINTER_SECONDS)

    @property
    def _pointer_key(self) -> str:
        return f"{self._prefix}:window"

    @property
    def _limit_key(self) -> str:
        return f"{self._prefix}:limit"

    def _counter_key(self, end: float) -> str:
        return f"{self._prefix}:used:{end!r}"

    @staticmethod
    def _counter_timeout(end: float, now: float) -> int:
        return _seconds_until(end, now) + _COUNTER_GRACE_SECONDS


def _seconds_until(end: float, now: float) -> int:
    return max(1, math.ceil(end - now))
