"""Believable fake handlers for a sandbox account (development/test tool only).

Every token, URL and address here is generated at random and points nowhere real: e-mail
addresses use reserved `example` domains, webhook URLs have the right shape but invented tokens.
The output depends only on the random generator passed in, so one seed gives one account.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .catalog import IS_ENABLED_WAITING

_ALNUM = string.ascii_letters + string.digits
_UPPER_ALNUM = string.ascii_uppercase + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits
_TOKEN = _ALNUM + "-_"

# The head of every seeded account, in id order, so tests can rely on what comes first: one
# handler of each Soclook type, then two types only sibling services offer, then the two states
# a dashboard most easily gets wrong.
_HEAD_KNOWN = (
    "email",
    "webhook",
    "slack",
    "discord",
    "telegram",
    "microsoft_teams",
    "x",
    "push_subscriber_id",
)
_HEAD_FOREIGN = ("twilio", "google_chat")
_FOREIGN_FROM = 12

_TAIL_WEIGHTS = {
    "email": 6,
    "webhook": 4,
    "slack": 4,
    "telegram": 4,
    "discord": 2,
    "microsoft_teams": 2,
    "x": 1,
    "push_subscriber_id": 2,
}

_NAMES: dict[str, tuple[str, ...]] = {
    "email": (
        "Work email",
        "Рабочая почта",
        "On-call inbox",
        "Почта бухгалтерии",
        "Support team",
        "Личная почта",
        "Ops alerts",
        "Отдел продаж — почта",
    ),
    "webhook": (
        "Zapier hook",
        "Вебхук CRM",
        "Internal alerting",
        "Вебхук для бухгалтерии",
        "n8n workflow",
        "Make.com scenario",
    ),
    "slack": ("#alerts", "Slack — команда маркетинга", "Slack #ops", "#support-escalations"),
    "discord": ("Discord server", "Дискорд сообщества", "Community #mod-log"),
    "telegram": (
        "Телеграм-бот уведомлений",
        "Telegram: on-call chat",
        "Чат дежурных",
        "Канал новостей компании",
    ),
    "microsoft_teams": ("Teams — IT department", "Teams: отдел продаж", "Teams #incidents"),
    "x": ("X (Twitter) brand account", "Твиттер компании"),
    "push_subscriber_id": ("Chrome на ноутбуке", "Push — iPhone", "Browser push (Firefox)"),
    "twilio": ("SMS дежурному инженеру",),
    "google_chat": ("Google Chat — support space",),
}

_EMAIL_LOCAL_PARTS = (
    "alerts",
    "ops",
    "support",
    "anna.petrova",
    "ivan.smirnov",
    "billing",
    "oncall",
    "j.doe",
    "marketing",
    "dev-team",
)
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "acme.example")


@dataclass
class SeedHandler:
    type: str
    name: str
    settings: dict[str, str | bool]
    is_enabled: int
    datetime: datetime
    last_datetime: datetime | None = field(default=None)


def seed_handlers(rng: random.Random, count: int, now: datetime) -> list[SeedHandler]:
    """`count` handlers in creation order, created over the past year or so."""
    plan = _type_plan(rng, count)
    span = timedelta(days=400)
    step = span / max(count, 1)
    seen: dict[str, int] = {}
    handlers = []
    for position, (type_, state) in enumerate(plan):
        created = now - span + step * position + step * rng.random() * 0.5
        created = created.replace(microsecond=0)
        last = None
        if rng.random() > 0.35:
            last = (created + (now - created) * rng.random()).replace(microsecond=0)
        settings = dict(_SETTINGS[type_](rng))
        if state is None:
            state = _random_state(rng, type_)
        if type_ == "email":
            settings["email_is_confirmed"] = state != IS_ENABLED_WAITING
        handlers.append(
            SeedHandler(
                type=type_,
                name=_unique_name(rng, type_, seen),
                settings=settings,
                is_enabled=state,
                datetime=created,
                last_datetime=last,
            )
        )
    return handlers


def _type_plan(rng: random.Random, count: int) -> list[tuple[str, int | None]]:
    plan: list[tuple[str, int | None]] = [(type_, 1) for type_ in _HEAD_KNOWN]
    if count >= _FOREIGN_FROM:
        plan += [(type_, 1) for type_ in _HEAD_FOREIGN]
    plan += [("email", IS_ENABLED_WAITING), ("discord", 0)]
    types, weights = zip(*_TAIL_WEIGHTS.items(), strict=True)
    while len(plan) < count:
        plan.append((rng.choices(types, weights=weights)[0], None))
    return plan[:count]


def _random_state(rng: random.Random, type_: str) -> int:
    if type_ == "email" and rng.random() < 0.25:
        return IS_ENABLED_WAITING
    return 0 if rng.random() < 0.2 else 1


def _unique_name(rng: random.Random, type_: str, seen: dict[str, int]) -> str:
    base = rng.choice(_NAMES[type_])
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base} ({seen[base]})"


def _chars(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _email(rng: random.Random) -> dict[str, str]:
    return {"email": f"{rng.choice(_EMAIL_LOCAL_PARTS)}@{rng.choice(_EMAIL_DOMAINS)}"}


def _webhook(rng: random.Random) -> dict[str, str]:
    urls = (
        f"https://hooks.zapier.com/hooks/catch/{rng.randint(1_000_000, 9_999_999)}/"
        f"{_chars(rng, _LOWER_ALNUM, 6)}/",
        f"https://hook.eu1.make.com/{_chars(rng, _LOWER_ALNUM, 32)}",
        f"https://crm.example.com/api/webhooks/soclook?token={rng.getrandbits(96):024x}",
        f"https://n8n.example.org/webhook/{_uuid(rng)}",
    )
    return {"webhook": rng.choice(urls)}


def _slack(rng: random.Random) -> dict[str, str]:
    return {
        "slack": f"https://hooks.slack.com/services/T{_chars(rng, _UPPER_ALNUM, 8)}/"
        f"B{_chars(rng, _UPPER_ALNUM, 10)}/{_chars(rng, _ALNUM, 24)}"
    }


def _discord(rng: random.Random) -> dict[str, str]:
    return {
        "discord": f"https://discord.com/api/webhooks/{rng.randint(10**17, 10**18 - 1)}/"
        f"{_chars(rng, _TOKEN, 68)}"
    }


def _telegram(rng: random.Random) -> dict[str, str]:
    chat_id = rng.choice(
        (f"-100{rng.randint(10**9, 10**10 - 1)}", str(rng.randint(10**8, 2 * 10**9)))
    )
    return {
        "telegram": f"{rng.randint(10**9, 8 * 10**9)}:AA{_chars(rng, _TOKEN, 33)}",
        "telegram_chat_id": chat_id,
    }


def _microsoft_teams(rng: random.Random) -> dict[str, str]:
    path = f"{_uuid(rng)}@{_uuid(rng)}/IncomingWebhook/{rng.getrandbits(128):032x}/{_uuid(rng)}"
    urls = (
        f"https://outlook.office.com/webhook/{path}",
        f"https://acme.webhook.office.com/webhookb2/{path}",
    )
    return {"microsoft_teams": rng.choice(urls)}


def _x(rng: random.Random) -> dict[str, str]:
    return {
        "x_consumer_key": _chars(rng, _ALNUM, 25),
        "x_consumer_secret": _chars(rng, _ALNUM, 50),
        "x_access_token": f"{rng.randint(10**18, 10**19 - 1)}-{_chars(rng, _ALNUM, 30)}",
        "x_access_token_secret": _chars(rng, _ALNUM, 45),
    }


def _push_subscriber_id(rng: random.Random) -> dict[str, str]:
    return {"push_subscriber_id": str(rng.randint(1_000, 99_999))}


def _twilio(rng: random.Random) -> dict[str, str]:
    return {"twilio": f"+79{rng.randint(10**8, 10**9 - 1)}"}


def _google_chat(rng: random.Random) -> dict[str, str]:
    return {
        "google_chat": f"https://chat.googleapis.com/v1/spaces/AAAA{_chars(rng, _ALNUM, 7)}/"
        f"messages?key=AIzaSy{_chars(rng, _TOKEN, 33)}&token={_chars(rng, _TOKEN, 43)}"
    }


_SETTINGS: dict[str, Callable[[random.Random], dict[str, str]]] = {
    "email": _email,
    "webhook": _webhook,
    "slack": _slack,
    "discord": _discord,
    "telegram": _telegram,
    "microsoft_teams": _microsoft_teams,
    "x": _x,
    "push_subscriber_id": _push_subscriber_id,
    "twilio": _twilio,
    "google_chat": _google_chat,
}
