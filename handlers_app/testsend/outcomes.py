"""What came of a test send, in plain words.

An `Outcome` holds a reason code and its few parameters (the host, the destination's HTTP
status, a number of seconds...), never text: the words are looked up in `REASONS` when a page
reads them, so they come out in the reader's language, and the journal can keep an outcome as
`record()` (no secret, no text from the destination) and show it again later. The only words
the destination chose that a page shows are `excerpt`: at most EXCERPT_LENGTH characters of its
answer, on one line, with the handler's own settings values cut out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from handlers_app.journal import readers
from handlers_app.soclook.types import get_handler_type

__all__ = [
    "EXCERPT_LENGTH",
    "REASONS",
    "Outcome",
    "Reason",
    "Result",
    "excerpt_of",
    "told_for_service",
]

EXCERPT_LENGTH = 160
_REDACTED = "••••"
# Shorter values are not worth cutting out of an answer and would mangle ordinary words.
_MIN_SCRUBBED_LENGTH = 6
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+")
_SPACES_RE = re.compile(r"\s+")


class Result(StrEnum):
    # The destination (or, for e-mail, the mail server) accepted the message.
    DELIVERED = "delivered"
    # It was tried: the guard, the network or the destination refused it.
    FAILED = "failed"
    # Nothing was tried: no test is possible, they are off, a limit, an incomplete form.
    NOT_SENT = "not_sent"


@dataclass(frozen=True)
class Reason:
    # For the list's badge: "last test failed: <short>".
    short: Promise
    # The whole explanation; %(name)s placeholders are filled from the outcome's parameters.
    text: Promise | str
    # The guard refused the address: nothing left the dashboard.
    nothing_sent: bool = False


# What was never tried is never recorded, so it needs no badge of its own.
_NOT_SENT = _("not sent")

REASONS: dict[str, Reason] = {
    # --- delivered ---
    "delivered": Reason(_("delivered"), _("%(host)s accepted the test (HTTP %(status)s).")),
    "mail_handed_over": Reason(
        _("handed to the mail server"),
        _(
            "Handed to the dashboard's mail server for %(host)s. It should arrive within a few "
            "minutes; if it does not, look in the spam folder."
        ),
    ),
    # --- refused by the guard: nothing was sent ---
    "scheme": Reason(
        _("not a web address"),
        _("Only addresses that start with https:// or http:// can receive a test."),
        nothing_sent=True,
    ),
    "user_info": Reason(
        _("address with a password"),
        _(
            "The address contains a user name or password (user@host), which a test never "
            "sends. Remove that part."
        ),
        nothing_sent=True,
    ),
    "invalid_address": Reason(
        _("invalid address"),
        _("This is not a valid web address."),
        nothing_sent=True,
    ),
    "port": Reason(
        _("port not allowed"),
        _(
            "The address uses port %(port)s, and test sends from this dashboard may only use "
            "ports %(ports)s. Ask your administrator if this port should be allowed."
        ),
        nothing_sent=True,
    ),
    "private_address": Reason(
        _("private address"),
        _(
            "%(host)s is inside a private network (or is this server itself), where test sends "
            "from this dashboard may not go. Ask your administrator if it should deliver into "
            "its own network."
        ),
        nothing_sent=True,
    ),
    "reserved_address": Reason(
        _("reserved address"),
        _(
            "%(host)s leads to a link-local or reserved address (such as a cloud's metadata "
            "service), where nothing is ever sent."
        ),
        nothing_sent=True,
    ),
    "dns": Reason(
        _("no server at this address"),
        _("No server named %(host)s could be found. Check the address for typos."),
        nothing_sent=True,
    ),
    # A service at its own address (Telegram's API, Slack's hooks...) out of reach: the way from
    # this server failed, whatever the settings; the log has the detail (`told_for_service`).
    "service_unreachable": Reason(
        _("%(service)s could not be reached from this server"),
        _(
            "The dashboard could not reach %(service)s from this server; your settings were "
            "not checked. Ask your administrator."
        ),
        nothing_sent=True,
    ),
    # --- the connection ---
    "connection_refused": Reason(
        _("connection refused"),
        _("%(host)s refused the connection: nothing is listening at this address and port."),
    ),
    "tls": Reason(
        _("secure connection failed"),
        _(
            "The secure connection to %(host)s failed: its certificate is not valid for this "
            "name, has expired or is not trusted."
        ),
    ),
    "connection_lost": Reason(
        _("connection lost"),
        _("The connection to %(host)s was lost before it answered. Try again in a minute."),
    ),
    "timeout": Reason(
        _("no answer in time"),
        _("%(host)s did not answer within %(seconds)s s."),
    ),
    "timeout_after_sending": Reason(
        _("no answer in time"),
        _(
            "%(host)s did not answer within %(seconds)s s, so whether the test arrived is not "
            "known."
        ),
    ),
    "redirect": Reason(
        _("redirected"),
        _(
            "%(host)s answered with a redirect to another address, which a test does not "
            "follow. Use the final address: open this one in a browser to see where it leads."
        ),
    ),
    "unreadable_answer": Reason(
        _("unreadable answer"),
        _(
            "%(host)s sent an answer that could not be read, so whether the test arrived is not "
            "known."
        ),
    ),
    "answer_too_large": Reason(
        _("answer too large"),
        _(
            "%(host)s answered with more than %(kilobytes)s KB, more than a test reads, so "
            "whether the test arrived is not known."
        ),
    ),
    "unreachable": Reason(_("not reached"), _("%(host)s could not be reached.")),
    # --- the destination's answer, any service ---
    "http_status": Reason(
        _("HTTP %(status)s"), _("%(host)s refused the test with HTTP %(status)s: %(meaning)s")
    ),
    "rate_limited": Reason(
        _("too many messages"),
        _(
            "%(host)s is receiving too many messages right now (HTTP 429); try again in "
            "%(seconds)s s."
        ),
    ),
    # --- Telegram ---
    "telegram_chat_not_found": Reason(
        _("chat not found"),
        _(
            "Telegram does not know this chat, or the bot cannot see it. Check the chat ID. A "
            "person must first press Start in the bot; a group or channel must have the bot "
            "added to it."
        ),
    ),
    "telegram_blocked": Reason(
        _("bot blocked by the user"),
        _(
            "The person blocked this bot in Telegram. They need to open the bot and unblock it "
            "(Restart) before it can write to them."
        ),
    ),
    "telegram_bad_token": Reason(
        _("wrong bot token"),
        _(
            "Telegram did not accept the bot token (Unauthorized). Copy it again from "
            "@BotFather: /mybots → the bot → API Token."
        ),
    ),
    "telegram_not_member": Reason(
        _("bot not in the chat"),
        _(
            "The bot is not a member of this group or channel, or may not post there. Add it "
            "(as an administrator for a channel) and try again."
        ),
    ),
    # --- Slack ---
    "slack_no_service": Reason(
        _("webhook removed"),
        _(
            "Slack no longer has this webhook (no_service): it was removed or its app was "
            "uninstalled. Create a new incoming webhook and paste its address here."
        ),
    ),
    "slack_invalid_token": Reason(
        _("invalid webhook token"),
        _(
            "Slack says the token in this webhook address is not valid (invalid_token). Copy "
            "the whole address again from the app's Incoming Webhooks page."
        ),
    ),
    "slack_channel_not_found": Reason(
        _("channel not found"),
        _(
            "The webhook's channel no longer exists in Slack (channel_not_found). Create a new "
            "webhook for an existing channel."
        ),
    ),
    "slack_channel_archived": Reason(
        _("channel archived"),
        _(
            "The webhook's channel is archived in Slack (channel_is_archived). Unarchive it or "
            "create a webhook for another channel."
        ),
    ),
    "slack_posting_denied": Reason(
        _("posting not allowed"),
        _(
            "Slack does not let this webhook post to its channel (%(code)s): a workspace admin "
            "restricted who may post there."
        ),
    ),
    # --- Discord ---
    "discord_unknown_webhook": Reason(
        _("unknown webhook"),
        _(
            "Discord does not know this webhook (Unknown Webhook): it was deleted, or the "
            "address is incomplete. Copy the webhook URL again in the channel's Integrations "
            "settings."
        ),
    ),
    "discord_bad_token": Reason(
        _("wrong webhook token"),
        _(
            "Discord did not accept the token at the end of this webhook address (Invalid "
            "Webhook Token). Copy the whole webhook URL again."
        ),
    ),
    # --- Microsoft Teams ---
    "teams_not_found": Reason(
        _("webhook not found"),
        _(
            "Microsoft Teams does not know this webhook address (HTTP %(status)s): the "
            "workflow or connector was removed or turned off. Create it again and paste the "
            "new address."
        ),
    ),
    "teams_unauthorized": Reason(
        _("address not accepted"),
        _(
            "Microsoft Teams did not accept this address (HTTP %(status)s): its signature "
            "part is wrong or out of date. Copy the whole address again."
        ),
    ),
    "teams_rejected": Reason(
        _("message refused"),
        _(
            "Microsoft Teams refused the test (HTTP %(status)s). A workflow must start with "
            "“When a Teams webhook request is received” and post the card it receives."
        ),
    ),
    "teams_delivery_failed": Reason(
        _("not posted"),
        _(
            "Microsoft Teams took the request but says it could not post the message into the "
            "channel."
        ),
    ),
    # --- X ---
    "x_bad_keys": Reason(
        _("keys not accepted"),
        _(
            "X did not accept these keys and tokens (HTTP %(status)s). Check all four on your "
            "app's “Keys and tokens” page; after regenerating one, update it here."
        ),
    ),
    "x_forbidden": Reason(
        _("direct messages not allowed"),
        _(
            "X refused the direct message (HTTP %(status)s). Direct messages need a paid API "
            "access level and an app allowed to read, write and send direct messages."
        ),
    ),
    # --- e-mail ---
    "mail_refused": Reason(
        _("address refused"),
        _("The dashboard's mail server refused to send to %(host)s."),
    ),
    "mail_failed": Reason(
        _("mail server error"),
        _("The dashboard's mail server did not take the message. Try again in a minute."),
    ),
    "mail_unreachable": Reason(
        _("mail server unreachable"),
        _(
            "The dashboard could not reach its mail server, so no test was sent; your settings "
            "were not checked. Ask your administrator."
        ),
    ),
    # --- not tried ---
    "explained": Reason(_NOT_SENT, "%(why)s"),
    "stored_unavailable": Reason(
        _NOT_SENT,
        _("The settings stored in Soclook could not be loaded: %(why)s"),
    ),
    "turned_off": Reason(
        _NOT_SENT,
        _("Test sends are turned off on this dashboard. Ask your administrator."),
    ),
    "too_soon": Reason(
        _NOT_SENT,
        _("A test was sent to this handler moments ago. The next one can go in %(seconds)s s."),
    ),
    "hourly_limit": Reason(
        _NOT_SENT,
        _(
            "You have sent %(limit)s tests in the last hour, the most allowed. The next one "
            "can go in %(minutes)s min."
        ),
    ),
    "incomplete": Reason(
        _NOT_SENT,
        _("Fill in the settings first:"),
    ),
}

# What an HTTP status means, for an answer no service-specific reading explains.
_STATUS_MEANINGS: dict[int, Promise] = {
    400: _("the request was not accepted as it is."),
    401: _("it needs a sign-in or a token that the address does not carry."),
    403: _("the address does not allow this."),
    404: _("there is nothing at this address. Check it for typos."),
    405: _("the address does not take POST requests."),
    410: _("the address is gone for good."),
    413: _("the message is too large for it."),
    415: _("it does not take JSON."),
    422: _("it did not understand the message."),
}
_CLIENT_ERROR = _("the receiving side did not accept the request.")
_SERVER_ERROR = _("the receiving system failed. Try again later, or ask its owners.")
_OTHER_STATUS = _("an answer that is not a success.")


def status_meaning(status: int) -> Promise:
    if status in _STATUS_MEANINGS:
        return _STATUS_MEANINGS[status]
    if 400 <= status < 500:
        return _CLIENT_ERROR
    if 500 <= status < 600:
        return _SERVER_ERROR
    return _OTHER_STATUS


@dataclass(frozen=True)
class Outcome:
    result: Result
    reason: str
    # The destination's host (or e-mail address): what the list shows of it anyway.
    host: str = ""
    status: int | None = None
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # The start of the destination's answer (a failure only); shown, never recorded.
    excerpt: str = ""
    # What is missing from the form (incomplete), already in the reader's language.
    problems: tuple[str, ...] = ()

    @property
    def delivered(self) -> bool:
        return self.result == Result.DELIVERED

    @property
    def was_sent(self) -> bool:
        return self.result != Result.NOT_SENT

    @property
    def headline(self) -> str:
        if self.result == Result.DELIVERED:
            return gettext("Delivered")
        if self.result == Result.FAILED and not self._reason.nothing_sent:
            return gettext("Not delivered")
        # The test ("тест" in Russian) was not sent, as an import row is not.
        return gettext("Not sent")

    @property
    def summary(self) -> str:
        return self._fill(self._reason.short)

    @property
    def explanation(self) -> str:
        return self._fill(self._reason.text)

    @property
    def _reason(self) -> Reason:
        return REASONS.get(self.reason, REASONS["unreachable"])

    def _fill(self, template: Promise | str) -> str:
        values: dict[str, Any] = {"host": self.host or "—", "status": self.status or "—"}
        if self.status is not None:
            values["meaning"] = status_meaning(self.status)
        values.update(self.params)
        if "service_type" in self.params:
            values["service"] = get_handler_type(str(self.params["service_type"])).label
        try:
            return str(template) % values
        except (KeyError, TypeError, ValueError):
            # A record from an older version may lack a parameter: say the gist rather than fail.
            return str(self.headline)

    def record(self) -> dict[str, Any]:
        """What the journal keeps: no secret, no words of the destination's."""
        return {
            "result": self.result.value,
            "reason": self.reason,
            "host": self.host,
            "status": self.status,
            "params": {k: v for k, v in self.params.items() if isinstance(v, int | str)},
        }

    def __str__(self) -> str:
        return self.explanation

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> Outcome:
        try:
            result = Result(data.get("result"))
        except ValueError:
            result = Result.FAILED
        status = data.get("status")
        params = data.get("params")
        return cls(
            result=result,
            reason=str(data.get("reason", "")),
            host=str(data.get("host") or ""),
            status=status if isinstance(status, int) else None,
            params=MappingProxyType(dict(params) if isinstance(params, Mapping) else {}),
        )


# The journal keeps `record()` and asks for the words here, knowing nothing of this package.
readers.register("test_result", Outcome.from_record)


# Failures of the way from this server to a destination, which say nothing of its settings when
# the destination is a service's own address.
_WAY_FAILED = frozenset(
    {
        "dns",
        "connection_refused",
        "tls",
        "connection_lost",
        "timeout",
        "unreachable",
        "private_address",
        "reserved_address",
        "port",
    }
)


def told_for_service(outcome: Outcome, *, service_type: str) -> Outcome:
    """What a person is told of a test to a service at its own address (Telegram, Slack, ...):
    the way there failing is this server's trouble, not a typo of theirs, and its detail (a name
    not found, a refused connection) is for the operators' log."""
    if outcome.reason not in _WAY_FAILED:
        return outcome
    return Outcome(
        Result.FAILED,
        "service_unreachable",
        host=outcome.host,
        params=MappingProxyType({"service_type": service_type}),
    )


def excerpt_of(text: str, *, secrets: Iterable[str] = ()) -> str:
    """The start of an answer as a page may show it: one line, short, the secrets cut out.

    A destination may echo what it was sent or where (a webhook address carries its token);
    an editor must not learn a stored secret from it. Each secret is cut out whole, and so are
    the path and query of a secret address.
    """
    for secret in _pieces(secrets):
        text = text.replace(secret, _REDACTED)
    text = _SPACES_RE.sub(" ", _CONTROL_RE.sub(" ", text)).strip()
    if len(text) > EXCERPT_LENGTH:
        text = text[: EXCERPT_LENGTH - 1].rstrip() + "…"
    return text


def _pieces(secrets: Iterable[str]) -> list[str]:
    pieces: set[str] = set()
    for secret in secrets:
        pieces.add(secret)
        try:
            parts = urlsplit(secret)
        except ValueError:
            continue
        if parts.scheme and parts.netloc:
            pieces.update({parts.path, parts.query, *parts.path.split("/")})
    return sorted((p for p in pieces if len(p) >= _MIN_SCRUBBED_LENGTH), key=len, reverse=True)
