"""Every way a Soclook call can fail, as exceptions whose `message` a person can read.

The client raises only these. A message never contains the API key or a submitted value: the
only service text we pass on is an error `title`, and the client scrubs secrets out of it first.
Messages are translated when read, so an exception raised in a background task still shows in
the language of whoever finally sees it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

if TYPE_CHECKING:
    from handlers_app.outbound import OutboundError

__all__ = [
    "DEFAULT_RETRY_AFTER",
    "AddressRefused",
    "BadKey",
    "NotFound",
    "NotSoclook",
    "OutcomeUnknown",
    "RateLimited",
    "Rejected",
    "SoclookError",
    "Unavailable",
]

DEFAULT_RETRY_AFTER = 60
DEFAULT_RATE_LIMIT = 60


class SoclookError(Exception):
    default_message: ClassVar[Promise] = gettext_lazy("Soclook answered with an error.")

    def __init__(self, *, message: str | Promise | None = None, status: int | None = None) -> None:
        super().__init__()
        self._message = message
        self.status = status

    @property
    def message(self) -> str:
        return str(self.default_message if self._message is None else self._message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={self.message!r})"


class BadKey(SoclookError):
    """A read answered 401: the key is wrong, revoked, or the plan has no API access."""

    default_message = gettext_lazy(
        "Soclook did not accept this API key. Check the key in your Soclook account settings."
    )


class Rejected(SoclookError):
    """The service refused a request and said why in its own words (`title`).

    A 401 on a write lands here too: the service also uses 401 for missing fields and for a
    plan's handler limit, so it is not proof of a bad key.
    """

    def __init__(self, *, title: str = "", status: int | None = None) -> None:
        super().__init__(status=status)
        self.title = title

    @property
    def message(self) -> str:
        if self.title:
            return self.title
        if self.status is None:
            return gettext("Soclook refused the request.")
        return gettext("Soclook refused the request (HTTP %(status)d).") % {"status": self.status}


class NotFound(SoclookError):
    default_message = gettext_lazy(
        "This handler no longer exists in Soclook — it may have been deleted elsewhere."
    )


class RateLimited(SoclookError):
    """The per-key request budget is spent; `retry_after` is how many seconds until it refills."""

    def __init__(
        self,
        *,
        retry_after: int = DEFAULT_RETRY_AFTER,
        limit: int | None = None,
        status: int | None = 429,
    ) -> None:
        super().__init__(status=status)
        self.retry_after = retry_after
        self.limit = limit

    @property
    def message(self) -> str:
        return gettext(
            "The Soclook limit of %(limit)d requests a minute is reached; "
            "try again in %(seconds)d s."
        ) % {"limit": self.limit or DEFAULT_RATE_LIMIT, "seconds": self.retry_after}

    def __repr__(self) -> str:
        return f"RateLimited(status={self.status!r}, retry_after={self.retry_after!r})"


class Unavailable(SoclookError):
    """The service is down, overloaded, unreachable or answered something unreadable."""

    default_message = gettext_lazy(
        "Soclook is not responding properly right now; try again in a minute."
    )


class NotSoclook(Unavailable):
    """An answer that is not of the API's shape: another service answers at this address."""

    default_message = gettext_lazy("This address does not answer like the Soclook API.")


class AddressRefused(SoclookError):
    """The outbound guard refused the API address (a private network, a port, a scheme,
    user@host), so nothing was sent; or the address answered with a redirect, never followed.
    The message is the guard's `reason`."""

    def __init__(self, reason: OutboundError) -> None:
        super().__init__()
        self.reason = reason

    @property
    def message(self) -> str:
        return self.reason.message


class OutcomeUnknown(Unavailable):
    """A write may or may not have been applied: the request left, no clear answer came back.

    Never retried automatically, since a second create could make a duplicate.
    """

    default_message = gettext_lazy(
        "Soclook did not confirm whether the change was saved. "
        "Reload the list to check before trying again."
    )
