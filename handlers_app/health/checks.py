"""The silent checks: per type, a question to the destination that posts nothing.

Each check takes the handler's settings by the parts its type's test delivery names
(`DeliverySpec.values`) and answers a `Finding`: a state, a code and the values the sentence
about it needs (handlers_app.health.wording writes the sentence in the reader's language, so
what is stored is never a secret and never frozen in one language). Every web request goes
through the outbound guard under the test sends' policy, as a test send would (`outbound.fetch`
with `testsend.destinations.policy()` and its deadline); the e-mail check asks the name servers
(`mail.resolve`) within the same deadline.

Which type has which check is declared in the registry (`HandlerType.silent_check`); see
docs/health-checks.md for what each service documents, and why the other types have none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any
from urllib.parse import quote, urlencode

from handlers_app import outbound
from handlers_app.health import mail
from handlers_app.testsend.destinations import DEADLINE_SECONDS, USER_AGENT, policy

__all__ = ["Finding", "State", "discord", "email", "telegram", "x"]

# Names a destination gave itself are shown on a row: no longer than this.
_SHOWN_NAME_LENGTH = 100
_DISCORD_UNKNOWN_WEBHOOK = 10015
_DISCORD_INVALID_TOKEN = 50027


class State(StrEnum):
    FINE = "fine"
    ATTENTION = "attention"
    # The type has no silent check, or this check got no answer that says either way.
    CANNOT_CHECK = "cannot_check"


@dataclass(frozen=True)
class Finding:
    state: State
    code: str
    params: Mapping[str, str | int] = field(default_factory=lambda: MappingProxyType({}))


type Check = Callable[[Mapping[str, str]], Finding]


def _finding(state: State, code: str, **params: str | int) -> Finding:
    return Finding(state, code, MappingProxyType(params))


def _shown(value: object) -> str:
    return " ".join(str(value or "").split())[:_SHOWN_NAME_LENGTH]


# --- one request through the guard ------------------------------------------------------------


@dataclass(frozen=True)
class _Trip:
    deadline: outbound.Deadline

    @classmethod
    def start(cls) -> _Trip:
        return cls(outbound.Deadline.after(DEADLINE_SECONDS))

    def get(self, secret_url: str, headers: Mapping[str, str] | None = None) -> outbound.Answer:
        sent = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        return outbound.fetch(
            secret_url, policy(), method="GET", headers=sent, deadline=self.deadline
        )


def _no_answer(exc: outbound.OutboundError, host: str) -> Finding:
    """The guard or the network gave no answer: nothing is known about the handler."""
    if isinstance(exc, outbound.TimedOut):
        return _finding(State.CANNOT_CHECK, "timeout", host=host, seconds=round(DEADLINE_SECONDS))
    if isinstance(exc, outbound.Refused):
        return _finding(State.CANNOT_CHECK, "address_refused", host=host)
    return _finding(State.CANNOT_CHECK, "unreachable", host=host)


def _unclear(answer: outbound.Answer, host: str, *, wait: object = None) -> Finding:
    """An answer that says nothing about the handler: a wait asked for, or a server error."""
    if answer.status == 429:
        seconds = answer.wait_seconds(wait)
        return _finding(State.CANNOT_CHECK, "rate_limited", host=host, seconds=seconds)
    return _finding(State.CANNOT_CHECK, "unclear_answer", host=host, status=answer.status)


# --- the checks -------------------------------------------------------------------------------


def discord(secrets: Mapping[str, str]) -> Finding:
    """Discord's "Get Webhook with Token": the webhook's name and channel, or that it is gone."""
    secret_url = secrets["url"]
    host = outbound.host_of(secret_url)
    try:
        answer = _Trip.start().get(secret_url)
    except outbound.OutboundError as exc:
        return _no_answer(exc, host)
    data = answer.json_object()
    if 200 <= answer.status < 300 and data.get("id"):
        return _finding(
            State.FINE,
            "discord_fine",
            name=_shown(data.get("name")),
            channel=_shown(data.get("channel_id")),
        )
    if data.get("code") == _DISCORD_UNKNOWN_WEBHOOK or answer.status == 404:
        return _finding(State.ATTENTION, "discord_deleted")
    if data.get("code") == _DISCORD_INVALID_TOKEN or answer.status == 401:
        return _finding(State.ATTENTION, "discord_bad_token")
    return _unclear(answer, host, wait=data.get("retry_after"))


def telegram(secrets: Mapping[str, str]) -> Finding:
    """getMe (is the token valid: the bot's name), then getChat (can it see the chat: its
    title); neither sends anything."""
    from apprise.plugins.telegram import NotifyTelegram

    # A token is letters, digits, ':' and '-'; quoting keeps anything else out of the path.
    secret_base = f"{NotifyTelegram.notify_url}{quote(secrets['token'], safe=':')}"
    host = outbound.host_of(secret_base)
    trip = _Trip.start()
    try:
        answer = trip.get(f"{secret_base}/getMe")
        me = answer.json_object()
        bot = me.get("result") if me.get("ok") is True else None
        if not isinstance(bot, dict):
            return _telegram_refusal(answer, me, host, bot_name="")
        bot_name = _shown(f"@{bot['username']}" if bot.get("username") else bot.get("first_name"))
        query = urlencode({"chat_id": secrets["chat_id"]})
        answer = trip.get(f"{secret_base}/getChat?{query}")
    except outbound.OutboundError as exc:
        return _no_answer(exc, host)
    data = answer.json_object()
    chat = data.get("result") if data.get("ok") is True else None
    if not isinstance(chat, dict):
        return _telegram_refusal(answer, data, host, bot_name=bot_name)
    person = " ".join(str(chat.get(part) or "") for part in ("first_name", "last_name"))
    title = chat.get("title") or person.strip() or chat.get("username") or secrets["chat_id"]
    return _finding(State.FINE, "telegram_fine", bot=bot_name, chat=_shown(title))


def _telegram_refusal(
    answer: outbound.Answer, data: dict[str, Any], host: str, *, bot_name: str
) -> Finding:
    said = str(data.get("description", "")).lower()
    if answer.status in (401, 404) or "unauthorized" in said:
        # A token Telegram does not know answers 401, a malformed one 404.
        return _finding(State.ATTENTION, "telegram_bad_token")
    if any(words in said for words in ("kicked", "not a member", "bot was removed")):
        return _finding(State.ATTENTION, "telegram_removed", bot=bot_name)
    if "chat not found" in said:
        return _finding(State.ATTENTION, "telegram_chat_not_found", bot=bot_name)
    parameters = data.get("parameters")
    wait = parameters.get("retry_after") if isinstance(parameters, dict) else None
    return _unclear(answer, host, wait=wait)


def x(secrets: Mapping[str, str]) -> Finding:
    """ "Who am I" (GET /2/users/me), signed with the four keys: the account's handle."""
    from apprise.plugins.twitter import NotifyTwitter
    from oauthlib.oauth1 import Client

    url = NotifyTwitter.twitter_whoami
    host = outbound.host_of(url)
    signer_with_keys = Client(
        secrets["consumer_key"],
        client_secret=secrets["consumer_secret"],
        resource_owner_key=secrets["access_token"],
        resource_owner_secret=secrets["access_token_secret"],
    )
    _, headers, _ = signer_with_keys.sign(url, http_method="GET")
    try:
        answer = _Trip.start().get(url, headers)
    except outbound.OutboundError as exc:
        return _no_answer(exc, host)
    me = answer.json_object().get("data")
    if 200 <= answer.status < 300 and isinstance(me, dict) and me.get("username"):
        return _finding(State.FINE, "x_fine", handle=_shown(me["username"]))
    if answer.status == 401:
        return _finding(State.ATTENTION, "x_bad_keys")
    if answer.status == 403:
        return _finding(State.ATTENTION, "x_forbidden")
    return _unclear(answer, host)


def email(secrets: Mapping[str, str]) -> Finding:
    """The address's domain takes mail: an MX record, or (without one) an address of its own,
    as a sending server would look it up (RFC 5321 §5.1); a null MX (RFC 7505) says no."""
    domain = secrets["address"].rpartition("@")[2].strip().rstrip(".").lower()
    if not domain:
        return _finding(State.ATTENTION, "email_no_domain", domain=secrets["address"])
    deadline = outbound.Deadline.after(DEADLINE_SECONDS)
    try:
        hosts = mail.resolve(domain, "MX", max(deadline.remaining(), 0.1))
        if hosts == [""]:
            return _finding(State.ATTENTION, "email_null_mx", domain=domain)
        if hosts:
            return _finding(State.FINE, "email_fine", domain=domain, host=_shown(hosts[0]))
        for record_type in ("A", "AAAA"):
            if mail.resolve(domain, record_type, max(deadline.remaining(), 0.1)):
                return _finding(State.FINE, "email_fine_address", domain=domain)
    except mail.NoSuchDomain:
        return _finding(State.ATTENTION, "email_no_domain", domain=domain)
    except mail.LookupTimedOut:
        return _finding(
            State.CANNOT_CHECK, "dns_timeout", domain=domain, seconds=round(DEADLINE_SECONDS)
        )
    except mail.LookupFailed:
        return _finding(State.CANNOT_CHECK, "dns_failed", domain=domain)
    return _finding(State.ATTENTION, "email_no_mail_server", domain=domain)
