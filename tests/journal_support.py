"""What the tests of the change journal share: a handler with a secret, and the secrets of the
sandbox account, which no page, file or log line may show."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from handlers_app.models import Connection, JournalAction, JournalEntry, Team
from handlers_app.services import handler_create

TOKEN = "123456789:AAHsecret-telegram-token-XYZ"
NEW_TOKEN = "987654321:AAHanother-telegram-token-QRS"


def seeded(sandbox, api_key: str, type: str) -> dict[str, Any]:
    return next(h for h in sandbox.handlers(api_key) if h["type"] == type)


def stored(sandbox, api_key: str, handler_id: int) -> dict[str, Any] | None:
    return next((h for h in sandbox.handlers(api_key) if h["id"] == handler_id), None)


def secrets_of(sandbox, api_key: str) -> list[str]:
    """Every credential in the account (all settings but e-mail addresses and chat IDs) and
    the key."""
    values = [api_key]
    for handler in sandbox.handlers(api_key):
        for key, value in handler["settings"].items():
            if (
                key not in ("email", "email_is_confirmed", "telegram_chat_id")
                and isinstance(value, str)
                and value
            ):
                values.append(value)
    return values


def add_telegram(*, connection: Connection, user: User) -> int:
    return handler_create(
        connection=connection,
        user=user,
        name="Support chat",
        type="telegram",
        settings={"telegram": TOKEN, "telegram_chat_id": "-1001234567890"},
    )


def entry(team: Team, **fields: Any) -> JournalEntry:
    defaults: dict[str, Any] = {"action": JournalAction.HANDLER_CHANGED, "user_name": "egor"}
    return JournalEntry.objects.create(team=team, **{**defaults, **fields})
