""" "Check all": every handler of a connection checked in the background as a job of the one job
machinery, a second apart per service, with the job's progress page; the owners told once."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from handlers_app.batches import Job, JobAction, JobStatus
from handlers_app.health.service import handler_check
from handlers_app.models import Connection, HandlerHealth
from handlers_app.selectors import handler_get
from tests.fake_destinations import Reply, Services
from tests.helpers import client_for
from tests.imports_support import IMMEDIATE
from tests.test_testsend import DISCORD_URL, EN, TELEGRAM, text_of

DELETED = Reply(404, '{"message": "Unknown Webhook", "code": 10015}')
ALIVE = Reply(200, '{"id": "1", "name": "Alerts bot", "channel_id": "4242"}')
BOT = Reply(200, '{"ok": true, "result": {"id": 1, "is_bot": true, "username": "alerts_bot"}}')
GROUP = Reply(200, '{"ok": true, "result": {"id": -1001234567890, "title": "#ops"}}')


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Services:
    return Services(monkeypatch)


@pytest.fixture(autouse=True)
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr("handlers_app.health.service._sleep", recorded.append)
    return recorded


@pytest.fixture
def api_key(sandbox) -> str:
    return sandbox.add_account(seed=0)


@pytest.fixture
def account(sandbox, api_key: str) -> dict[str, int]:
    def add(type_: str, name: str, settings: dict[str, str]) -> int:
        return sandbox.add_handler(api_key, type=type_, name=name, settings=settings)["id"]

    return {
        "dead": add("discord", "Night Discord", {"discord": DISCORD_URL}),
        "alive": add("discord", "Day Discord", {"discord": DISCORD_URL + "day"}),
        "bot": add("telegram", "On call", TELEGRAM),
        "slack": add("slack", "Ops", {"slack": "https://hooks.slack.com/services/A"}),
    }


def test_check_all_checks_every_handler_in_the_background_and_shows_its_progress(
    owner: User,
    editor: User,
    connection: Connection,
    account: dict[str, int],
    services: Services,
    waits: list[float],
    settings,
) -> None:
    settings.TASKS = IMMEDIATE
    owner.email = "olga@example.com"
    owner.save()
    services.answer(DELETED, ALIVE, BOT, GROUP)

    response = client_for(editor).post(
        reverse("check_all", args=[connection.pk]), follow=True, **EN
    )

    job = Job.objects.get(action=JobAction.CHECK)
    assert response.redirect_chain[-1][0] == reverse(
        "handler_bulk_job", args=[connection.pk, job.pk]
    )
    shown = re.sub(r"\s+", " ", text_of(response.text))
    assert "Check without sending" in shown
    assert "Finished: 4 done" in shown
    states = dict(HandlerHealth.objects.values_list("handler_id", "state"))
    assert states == {
        account["dead"]: "attention",
        account["alive"]: "fine",
        account["bot"]: "fine",
        account["slack"]: "cannot_check",
    }
    assert [r.method for r in services.received] == ["GET"] * 4
    # The second Discord check waited for what was left of discord.com's second.
    assert len(waits) == 1
    (told,) = mail.outbox
    assert told.to == ["olga@example.com"] and "Night Discord" in told.body
    assert "Day Discord" not in told.body


def test_a_second_check_all_while_one_waits_opens_the_same_job(
    editor: User, connection: Connection, account: dict[str, int]
) -> None:
    client = client_for(editor)

    first = client.post(reverse("check_all", args=[connection.pk]))
    second = client.post(reverse("check_all", args=[connection.pk]))

    (job,) = Job.objects.filter(action=JobAction.CHECK)
    assert job.status == JobStatus.QUEUED
    assert first["Location"] == second["Location"]
    assert job.items.count() == 4


def test_a_handler_checked_moments_ago_is_left_alone(
    editor: User,
    connection: Connection,
    account: dict[str, int],
    services: Services,
    settings,
) -> None:
    settings.TASKS = IMMEDIATE
    services.answer(DELETED)
    handler = handler_get(connection=connection, handler_id=account["dead"])
    handler_check(connection=connection, handler=handler)
    client_for(editor).post(reverse("handler_check", args=[connection.pk, account["dead"]]))
    asked_before = len(services.received)
    services.answer(ALIVE, BOT, GROUP)

    response = client_for(editor).post(
        reverse("check_all", args=[connection.pk]), follow=True, **EN
    )

    assert "Finished: 3 done, 1 needed no change" in re.sub(r"\s+", " ", text_of(response.text))
    assert len(services.received) == asked_before + 3


def test_the_list_offers_check_all_to_editors_only(
    editor: User, viewer: User, connection: Connection, account: dict[str, int]
) -> None:
    url = reverse("handler_list", args=[connection.pk])
    check_all = f'action="{reverse("check_all", args=[connection.pk])}"'

    assert check_all in client_for(editor).get(url).text
    assert check_all not in client_for(viewer).get(url).text
    cache.clear()
