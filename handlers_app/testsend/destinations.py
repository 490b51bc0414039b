"""Per way of delivery: the request a test sends, and what the destination's answer means.

Every HTTP request goes through the outbound guard (`outbound.fetch`) under `policy()`: only http
and https, the allowed ports, every address the name resolves to checked and the connection
made to a checked one, no redirects followed, DEADLINE_SECONDS for the whole test (both of X's
requests included) and at most MAX_ANSWER_BYTES of answer read.

Apprise knows these services, but each of its plugins opens its own connection with requests,
which resolves the name again, follows its own redirect rules and reads the whole answer: the
guard could not stand in between. So the dashboard sends every request itself and takes from
Apprise what does not touch the network: the services' API addresses and the Adaptive Card that
Microsoft Teams takes. X's requests are signed with oauthlib, as Apprise's are.
"""

from __future__ import annotations

import json
import re
import smtplib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMessage

from handlers_app import outbound
from handlers_app.soclook.types import Delivery, DeliverySpec
from handlers_app.testsend.outcomes import Outcome, Result, excerpt_of

__all__ = ["DEADLINE_SECONDS", "MAX_ANSWER_BYTES", "Message", "deliver", "policy"]

DEADLINE_SECONDS = 5.0
MAX_ANSWER_BYTES = 64 * 1024
USER_AGENT = "Soclook-dashboard-test-send"

_SLACK_ANSWERS = {
    "no_service": "slack_no_service",
    "no_team": "slack_no_service",
    "team_disabled": "slack_no_service",
    "invalid_token": "slack_invalid_token",
    "channel_not_found": "slack_channel_not_found",
    "channel_is_archived": "slack_channel_archived",
    "action_prohibited": "slack_posting_denied",
    "posting_to_general_channel_denied": "slack_posting_denied",
}
# Discord's JSON error codes.
_DISCORD_UNKNOWN_WEBHOOK = 10015
_DISCORD_INVALID_TOKEN = 50027
_TEAMS_FAILURE_RE = re.compile(r"delivery failed|returned http error", re.IGNORECASE)
_TEAMS_MENTION_RE = re.compile(r"</?at>", re.IGNORECASE)
_SLACK_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


@dataclass(frozen=True)
class Message:
    """What a test says, already in the language of the person who sends it."""

    handler_name: str
    text: str
    # E-mail only.
    subject: str = ""
    body: str = ""


def policy() -> outbound.Policy:
    return outbound.Policy(
        allow_private=settings.TEST_SEND_ALLOW_PRIVATE_ADDRESSES,
        ports=frozenset(settings.TEST_SEND_ALLOWED_PORTS),
        deadline=DEADLINE_SECONDS,
        max_bytes=MAX_ANSWER_BYTES,
    )


def deliver(spec: DeliverySpec, handler_settings: Mapping[str, str], message: Message) -> Outcome:
    # Local names say "secret" so that an error report (observability) never shows them.
    secrets = spec.values(handler_settings)
    trip = _Trip(
        policy=policy(),
        deadline=outbound.Deadline.after(DEADLINE_SECONDS),
        secrets=tuple(value for value in handler_settings.values() if value),
    )
    return _SENDERS[spec.way](secrets, message, trip)


# --- one trip to a destination ---------------------------------------------------------------


@dataclass(frozen=True)
class _Trip:
    policy: outbound.Policy
    deadline: outbound.Deadline
    # Cut out of any excerpt of an answer.
    secrets: tuple[str, ...] = field(repr=False)

    def send(
        self,
        secret_url: str,
        *,
        method: str = "POST",
        document: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> outbound.Answer:
        sent_headers = {"User-Agent": USER_AGENT, "Accept": "application/json, text/plain, */*"}
        body = b""
        if document is not None:
            sent_headers["Content-Type"] = "application/json"
            body = json.dumps(document, ensure_ascii=False).encode()
        sent_headers.update(headers or {})
        return outbound.fetch(
            secret_url,
            self.policy,
            method=method,
            headers=sent_headers,
            body=body,
            deadline=self.deadline,
        )

    def excerpt(self, answer: outbound.Answer, text: str | None = None) -> str:
        if text is None:
            text = answer.content.decode("utf-8", errors="replace")
        return excerpt_of(text, secrets=self.secrets)

    def refused(self, exc: outbound.OutboundError, host: str) -> Outcome:
        return _guard_outcome(exc, host, self.policy)


type Sender = Callable[[dict[str, str], Message, _Trip], Outcome]
type Reader = Callable[[outbound.Answer, str, _Trip], Outcome]


def _post(secret_url: str, document: Any, trip: _Trip, read: Reader) -> Outcome:
    host = outbound.host_of(secret_url)
    try:
        answer = trip.send(secret_url, document=document)
    except outbound.OutboundError as exc:
        return trip.refused(exc, host)
    return read(answer, host, trip)


def _delivered(answer: outbound.Answer, host: str) -> Outcome:
    return Outcome(Result.DELIVERED, "delivered", host=host, status=answer.status)


def _failed(
    reason: str,
    answer: outbound.Answer,
    host: str,
    trip: _Trip,
    *,
    text: str | None = None,
    **params: Any,
) -> Outcome:
    return Outcome(
        Result.FAILED,
        reason,
        host=host,
        status=answer.status,
        params=MappingProxyType(params),
        excerpt=trip.excerpt(answer, text),
    )


def _status_outcome(
    answer: outbound.Answer, host: str, trip: _Trip, *, text: str | None = None
) -> Outcome:
    """An answer no service-specific reading explained: said by its status."""
    if answer.status == 429:
        return _rate_limited(answer, host, trip, text=text)
    return _failed("http_status", answer, host, trip, text=text)


def _rate_limited(
    answer: outbound.Answer, host: str, trip: _Trip, *, text: str | None = None, wait: object = None
) -> Outcome:
    seconds = answer.wait_seconds(wait)
    return _failed("rate_limited", answer, host, trip, text=text, seconds=seconds)


# --- the guard's and the network's refusals --------------------------------------------------


# Each refusal of the guard or failure of the network, by kind (the first that fits), as a reason
# of handlers_app.testsend.outcomes; anything else reads as "unreachable".
_GUARD_REASONS: tuple[tuple[type[outbound.OutboundError], str], ...] = (
    (outbound.PortRefused, "port"),
    # No setting opens a reserved address, so its message suggests none.
    (outbound.ReservedAddress, "reserved_address"),
    (outbound.PrivateAddress, "private_address"),
    (outbound.SchemeRefused, "scheme"),
    (outbound.UserInfoRefused, "user_info"),
    (outbound.NameNotFound, "dns"),
    (outbound.InvalidAddress, "invalid_address"),
    # Inside an allowed private network every failure reads the same (no port map).
    (outbound.Unreachable, "unreachable"),
    (outbound.Redirected, "redirect"),
    (outbound.ConnectionRefused, "connection_refused"),
    (outbound.SecureConnectionFailed, "tls"),
    (outbound.TimedOut, "timeout"),
    (outbound.ConnectionFailed, "connection_lost"),
    (outbound.TooLarge, "answer_too_large"),
    (outbound.BrokenAnswer, "unreadable_answer"),
)


def _guard_outcome(exc: outbound.OutboundError, host: str, policy: outbound.Policy) -> Outcome:
    reason = next((said for kind, said in _GUARD_REASONS if isinstance(exc, kind)), "unreachable")
    params: dict[str, Any] = {}
    if isinstance(exc, outbound.PortRefused):
        params = {"port": exc.port, "ports": ", ".join(str(p) for p in sorted(policy.ports or ()))}
    elif isinstance(exc, outbound.TimedOut):
        reason = "timeout_after_sending" if exc.request_sent else "timeout"
        params = {"seconds": round(DEADLINE_SECONDS)}
    elif isinstance(exc, outbound.TooLarge):
        params = {"kilobytes": MAX_ANSWER_BYTES // 1024}
    return Outcome(Result.FAILED, reason, host=host, params=MappingProxyType(params))


# --- the ways ---------------------------------------------------------------------------------


def _json_post(secrets: dict[str, str], message: Message, trip: _Trip) -> Outcome:
    document = {"test": True, "handler": message.handler_name, "message": message.text}
    return _post(secrets["url"], document, trip, _read_by_status)


def _read_by_status(answer: outbound.Answer, host: str, trip: _Trip) -> Outcome:
    if 200 <= answer.status < 300:
        return _delivered(answer, host)
    return _status_outcome(answer, host, trip)


def _slack(secrets: dict[str, str], message: Message, trip: _Trip) -> Outcome:
    # Slack reads <...> as links and mentions (<!channel> would call everyone): escape them.
    return _post(
        secrets["url"], {"text": message.text.translate(_SLACK_ESCAPES)}, trip, _read_slack
    )


def _read_slack(answer: outbound.Answer, host: str, trip: _Trip) -> Outcome:
    if 200 <= answer.status < 300:
        return _delivered(answer, host)
    # An incoming webhook says what is wrong in one plain-text word.
    code = answer.content.decode("utf-8", errors="replace").strip()
    if code in _SLACK_ANSWERS:
        return _failed(_SLACK_ANSWERS[code], answer, host, trip, code=code)
    return _status_outcome(answer, host, trip)


def _discord(secrets: dict[str, str], message: Message, trip: _Trip) -> Outcome:
    # No mention in a test may call @everyone or anyone else in the channel.
    document = {"content": message.text, "allowed_mentions": {"parse": []}}
    return _post(secrets["url"], document, trip, _read_discord)


def _read_discord(answer: outbound.Answer, host: str, trip: _Trip) -> Outcome:
    if 200 <= answer.status < 300:
        return _delivered(answer, host)
    data = answer.json_object()
    text = str(data.get("message", "")) or None
    if data.get("code") == _DISCORD_UNKNOWN_WEBHOOK:
        return _failed("discord_unknown_webhook", answer, host, trip, text=text)
    if data.get("code") == _DISCORD_INVALID_TOKEN:
        return _failed("discord_bad_token", answer, host, trip, text=text)
    if answer.status == 429:
        return _rate_limited(answer, host, trip, text=text, wait=data.get("retry_after"))
    return _status_outcome(answer, host, trip, text=text)


def _teams(secrets: dict[str, str], message: Message, trip: _Trip) -> Outcome:
    return _post(secrets["url"], teams_card(message.text), trip, _read_teams)


def teams_card(text: str) -> dict[str, Any]:
    """The Adaptive Card message that Teams workflows and incoming webhooks both take, as
    Apprise's Workflows plugin builds it (its image, fetched by every reader from GitHub, left
    out). A name typed with <at> tags would try to mention someone: those are taken out."""
    # Imported here: Apprise loads its plugin framework, a fifth of a second, for this one use.
    from apprise.plugins.workflows import NotifyWorkflows

    # The card does not depend on the address, which the plugin needs only to send.
    builder = NotifyWorkflows(
        host="teams.invalid", workflow="test", signature="test", include_image=False
    )
    return builder.gen_payload(body=_TEAMS_MENTION_RE.sub("", text), title="")


def _read_teams(answer: outbound.Answer, host: str, trip: _Trip) -> Outcome:
    text = answer.content.decode("utf-8", errors="replace")
    if 200 <= answer.status < 300:
        # The older connectors answer 200 with the reason when the post itself failed.
        if _TEAMS_FAILURE_RE.search(text):
            return _failed("teams_delivery_failed", answer, host, trip)
        return _delivered(answer, host)
    if answer.status in (401, 403):
        return _failed("teams_unauthorized", answer, host, trip)
    if answer.status in (404, 410):
        return _failed("teams_not_found", answer, host, trip)
    if answer.status == 429:
        return _rate_limited(answer, host, trip)
    if 400 <= answer.status < 500:
        return _failed("teams_rejected", answer, host, trip)
    return _status_outcome(answer, host, trip)


def _telegram(secrets: dict[str, str], message: Message, trip: _Trip) -> Outcome:
    from apprise.plugins.telegram import NotifyTelegram

    # A token is letters, digits, ':' and '-'; quoting keeps anything else out of the path.
    secret_url = f"{NotifyTelegram.notify_url}{quote(secrets['token'], safe=':')}/sendMessage"
    document = {
        "chat_id": secrets["chat_id"],
        "text": message.text,
        "disable_web_page_preview": True,
    }
    return _post(secret_url, document, trip, _read_telegram)


def _read_telegram(answer: outbound.Answer, host: str, trip: _Trip) -> Outcome:
    data = answer.json_object()
    if 200 <= answer.status < 300 and data.get("ok") is True:
        return _delivered(answer, host)
    description = str(data.get("description", ""))
    said = description.lower()
    text = description or None
    if "chat not found" in said:
        return _failed("telegram_chat_not_found", answer, host, trip, text=text)
    if "blocked by the user" in said:
        return _failed("telegram_blocked", answer, host, trip, text=text)
    if answer.status in (401, 404) or "unauthorized" in said:
        # A token Telegram does not know answers 401, a malformed one 404.
        return _failed("telegram_bad_token", answer, host, trip, text=text)
    if any(
        words in said
        for words in ("not a member", "was kicked", "have no rights", "not enough rights")
    ):
        return _failed("telegram_not_member", answer, host, trip, text=text)
    if answer.status == 429:
        parameters = data.get("parameters")
        wait = parameters.get("retry_after") if isinstance(parameters, dict) else None
        return _rate_limited(answer, host, trip, text=text, wait=wait)
    return _status_outcome(answer, host, trip, text=text)


def _x_direct_message(secrets: dict[str, str], message: Message, trip: _Trip) -> Outcome:
    """A direct message from the account to itself: who am I, then write to me."""
    from apprise.plugins.twitter import NotifyTwitter

    host = outbound.host_of(NotifyTwitter.twitter_whoami)
    try:
        answer = _x_request(secrets, trip, "GET", NotifyTwitter.twitter_whoami)
        me = answer.json_object().get("data")
        user_id = str(me.get("id", "")) if isinstance(me, dict) else ""
        if not (200 <= answer.status < 300 and user_id.isdigit()):
            return _read_x(answer, host, trip)
        answer = _x_request(
            secrets,
            trip,
            "POST",
            NotifyTwitter.twitter_dm.format(user_id),
            document={"text": message.text},
        )
    except outbound.OutboundError as exc:
        return trip.refused(exc, host)
    return _read_x(answer, host, trip)


def _x_request(
    secrets: dict[str, str], trip: _Trip, method: str, url: str, *, document: Any = None
) -> outbound.Answer:
    from oauthlib.oauth1 import Client

    signer_with_keys = Client(
        secrets["consumer_key"],
        client_secret=secrets["consumer_secret"],
        resource_owner_key=secrets["access_token"],
        resource_owner_secret=secrets["access_token_secret"],
    )
    # A JSON body is not part of an OAuth 1 signature (only a form's fields would be).
    _, headers, _ = signer_with_keys.sign(url, http_method=method)
    return trip.send(url, method=method, document=document, headers=headers)


def _read_x(answer: outbound.Answer, host: str, trip: _Trip) -> Outcome:
    if 200 <= answer.status < 300:
        return _delivered(answer, host)
    data = answer.json_object()
    errors = data.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    text = str(data.get("detail") or data.get("title") or first.get("message") or "") or None
    if answer.status == 401:
        return _failed("x_bad_keys", answer, host, trip, text=text)
    if answer.status == 403:
        return _failed("x_forbidden", answer, host, trip, text=text)
    return _status_outcome(answer, host, trip, text=text)


def _email(secrets: dict[str, str], message: Message, trip: _Trip) -> Outcome:
    """Through the dashboard's own mail settings (EMAIL_URL), not the guard: the mail server is
    the operator's, and only the recipient was typed."""
    address = secrets["address"]
    mail = EmailMessage(message.subject, message.body, to=[address])
    try:
        mail.send()
    except (smtplib.SMTPRecipientsRefused, ValueError):
        # ValueError: an address that mail headers cannot carry.
        return Outcome(Result.FAILED, "mail_refused", host=address)
    except smtplib.SMTPException:
        return Outcome(Result.FAILED, "mail_failed", host=address)
    except OSError:
        return Outcome(Result.FAILED, "mail_unreachable", host=address)
    return Outcome(Result.DELIVERED, "mail_handed_over", host=address)


_SENDERS: dict[Delivery, Sender] = {
    Delivery.EMAIL: _email,
    Delivery.JSON_POST: _json_post,
    Delivery.SLACK: _slack,
    Delivery.DISCORD: _discord,
    Delivery.TEAMS: _teams,
    Delivery.TELEGRAM: _telegram,
    Delivery.X_DIRECT_MESSAGE: _x_direct_message,
}
