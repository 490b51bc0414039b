"""What the tests of importing share: the files they upload, and how they drive the pages.

The task runs inline in them (django.tasks' ImmediateBackend, see IMMEDIATE), except in the tests
of the database backend and its worker.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from handlers_app import pacing
from handlers_app.models import Connection, Job
from handlers_app.sandbox import Sandbox

HX = {"HX-Request": "true"}
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

SLACK_URL = "https://hooks.slack.com/services/T0SECRET/B0SECRET/slackWebhookSecret42"
WEBHOOK_URL = "https://hooks.example.com/notify/webhookSecretPath77"
BOT_TOKEN = "7000000001:AAHimported-bot-token-that-stays-secret"
X_SECRETS = {
    "x_consumer_key": "consumerKeySecretValue01",
    "x_consumer_secret": "consumerSecretSecretValue02",
    "x_access_token": "accessTokenSecretValue03",
    "x_access_token_secret": "accessTokenSecretSecret04",
}
SECRETS = [SLACK_URL, WEBHOOK_URL, BOT_TOKEN, *X_SECRETS.values()]

THREE_ROWS = (
    "type,name,email,slack,webhook\n"
    "email,On-call mail,oncall@example.com,,\n"
    f"slack,Support channel,,{SLACK_URL},\n"
    f"webhook,Status page,,,{WEBHOOK_URL}\n"
)

SECRET_ROWS = (
    "type,name,slack,webhook,telegram,telegram_chat_id," + ",".join(X_SECRETS) + "\n"
    f"slack,Support,{SLACK_URL},,,,,,,\n"
    f"webhook,Status,,{WEBHOOK_URL},,,,,,\n"
    f"telegram,Night bot,,,{BOT_TOKEN},-1001234567890,,,,\n"
    "x,Tweets,,,,," + ",".join(X_SECRETS.values()) + "\n"
    f"telegram,Broken bot,,,{BOT_TOKEN} with spaces,-100,,,,\n"
)


def instant_waits(monkeypatch) -> list[float]:
    """The task's waits, made instant: each lets the rate-limit window pass (the budget kept in
    the cache is forgotten, as it would expire). Returns the waits, as they come."""
    waited: list[float] = []

    def fake_sleep(seconds: float) -> None:
        waited.append(seconds)
        cache.clear()

    monkeypatch.setattr(pacing, "sleep", fake_sleep)
    return waited


def csv_upload(content: str | bytes, name: str = "handlers.csv") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


def upload(client: Client, connection: Connection, content: str | bytes) -> HttpResponse:
    return client.post(import_url(connection), {"file": csv_upload(content)}, follow=True)


def import_url(connection: Connection) -> str:
    return reverse("handler_import", args=[connection.pk])


def job_url(job: Job) -> str:
    return reverse("handler_import_job", args=[job.connection_id, job.pk])


def latest_job() -> Job:
    return Job.objects.latest("pk")


def start(client: Client, job: Job) -> HttpResponse:
    return client.post(
        reverse("handler_import_start", args=[job.connection_id, job.pk]), follow=True
    )


def row_html(html: str, number: int) -> str:
    found = re.search(rf'<tr id="import-row-{number}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, f"row {number} is not on the page"
    return re.sub(r"\s+", " ", found[1])


def posts(sandbox: Sandbox) -> list[Any]:
    return [r for r in sandbox.requests if r.method == "POST"]


def created_by_import(sandbox: Sandbox, api_key: str, before: set[int]) -> list[dict[str, Any]]:
    return [h for h in sandbox.handlers(api_key) if h["id"] not in before]


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
