"""What the tests of copying handlers share: a live account at a second address and the
handlers chosen to copy into it."""

from __future__ import annotations

from django.contrib.auth.models import User

from handlers_app.models import Connection, Team
from handlers_app.sandbox import Sandbox

BOT_TOKEN = "5550001:AAH-copy-secret-Zq8xW2vY7"
SLACK = "https://hooks.slack.com/services/T0COPY/B0COPY/s3cr3tCopyPath"


def add_live_account(live_sandbox: Sandbox) -> str:
    """An account that already has an e-mail handler to the address "Ops mail" sends to."""
    key = live_sandbox.add_account(seed=0)
    live_sandbox.add_handler(
        key, type="email", name="Ops mail (live)", settings={"email": "Ops@Example.com"}
    )
    return key


def add_connection(team: Team, owner: User, *, name: str, base_url: str, key: str) -> Connection:
    connection = Connection(team=team, name=name, base_url=base_url)
    connection.set_api_key(key)
    connection.created_by = owner
    connection.save()
    return connection


def add_chosen(sandbox: Sandbox, api_key: str) -> dict[str, int]:
    add = sandbox.add_handler
    return {
        "bot": add(
            api_key,
            type="telegram",
            name="On-call bot",
            settings={"telegram": BOT_TOKEN, "telegram_chat_id": "-1009876543210"},
        )["id"],
        "slack": add(
            api_key, type="slack", name="Night shift", settings={"slack": SLACK}, is_enabled=0
        )["id"],
        "mail": add(api_key, type="email", name="Ops mail", settings={"email": "ops@example.com"})[
            "id"
        ],
    }
