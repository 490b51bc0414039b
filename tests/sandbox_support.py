"""What the tests of the Soclook sandbox share: a bare HTTP caller and what valid input is."""

from __future__ import annotations

from typing import Any

import requests

KNOWN_TYPES = {
    "email",
    "webhook",
    "slack",
    "discord",
    "telegram",
    "microsoft_teams",
    "x",
    "push_subscriber_id",
}

VALID_SETTINGS = {
    "email": {"email": "team@example.com"},
    "webhook": {"webhook": "https://example.com/hook"},
    "slack": {"slack": "https://hooks.slack.com/services/T0/B0/abc"},
    "discord": {"discord": "https://discord.com/api/webhooks/1/abc"},
    "telegram": {"telegram": "123:AAabc", "telegram_chat_id": "-1001"},
    "microsoft_teams": {"microsoft_teams": "https://outlook.office.com/webhook/abc"},
    "x": {
        "x_consumer_key": "ck",
        "x_consumer_secret": "cs",
        "x_access_token": "at",
        "x_access_token_secret": "ats",
    },
    "push_subscriber_id": {"push_subscriber_id": "42"},
}


class Api:
    """A bare HTTP caller for one account, sending forms as multipart like the real client."""

    def __init__(self, base_url: str, key: str | None) -> None:
        self.base_url = base_url
        self.key = key
        self.session = requests.Session()
        self.session.trust_env = False

    def call(self, method: str, path: str, *, form: dict[str, str] | None = None, **kw: Any):
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        files = {name: (None, value) for name, value in (form or {}).items()} or None
        kw.setdefault("timeout", 5)
        return self.session.request(
            method, self.base_url + path, headers=headers, files=files, **kw
        )

    def list(self, **params: Any) -> requests.Response:
        return self.call("GET", "notification-handlers/", params=params)

    def get(self, handler_id: int) -> requests.Response:
        return self.call("GET", f"notification-handlers/{handler_id}")

    def create(self, **form: str) -> requests.Response:
        return self.call("POST", "notification-handlers", form=form)

    def update(self, handler_id: int, **form: str) -> requests.Response:
        return self.call("POST", f"notification-handlers/{handler_id}", form=form)

    def delete(self, handler_id: int) -> requests.Response:
        return self.call("DELETE", f"notification-handlers/{handler_id}")


def titles(response: requests.Response) -> list[str]:
    return [error["title"] for error in response.json()["errors"]]


def error_status(response: requests.Response) -> int | str:
    return response.json()["errors"][0]["status"]
