"""`manage.py check_handlers`: every connection checked within its budget and the destinations'
limits; the owners told once, in their language, about handlers that turned to "needs
attention"; a team setting (journalled) that turns those e-mails off."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse

from handlers_app import outbound
from handlers_app.health.models import PersonLanguage
from handlers_app.health.service import host_turn
from handlers_app.models import Connection, HandlerHealth, JournalEntry, Membership, Role, Team
from tests.fake_destinations import Reply, Services
from tests.helpers import client_for, make_user
from tests.test_testsend import DISCORD_URL, EN, TELEGRAM, text_of

DELETED = Reply(404, '{"message": "Unknown Webhook", "code": 10015}')
ALIVE = Reply(200, '{"id": "1", "name": "Alerts bot", "channel_id": "4242"}')
BOT = Reply(200, '{"ok": true, "result": {"id": 1, "is_bot": true, "username": "alerts_bot"}}')
GROUP = Reply(200, '{"ok": true, "result": {"id": -1001234567890, "title": "#ops"}}')


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Services:
    return Services(monkeypatch)


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pacing between two requests to one service is recorded instead of slept."""
    waits: list[float] = []
    monkeypatch.setattr("handlers_app.health.service._sleep", waits.append)
    return waits


@pytest.fixture
def api_key(sandbox) -> str:
    return sandbox.add_account(seed=0)


@pytest.fixture
def owners(owner: User, team: Team, settings) -> list[User]:
    settings.DASHBOARD_URL = "https://dashboard.example.com"
    owner.email = "olga@example.com"
    owner.save()
    second = make_user("oleg")
    second.email = "oleg@example.com"
    second.save()
    Membership.objects.create(user=second, team=team, role=Role.OWNER)
    PersonLanguage.objects.create(user=second, language="ru")
    return [owner, second]


def add(sandbox, api_key: str, type_: str, name: str, settings: dict[str, str]) -> int:
    return sandbox.add_handler(api_key, type=type_, name=name, settings=settings)["id"]


def run_round() -> None:
    """One round, as cron starts it; the handlers' turns of the last round are over."""
    cache.clear()
    call_command("check_handlers")


def test_a_round_checks_every_handler_and_tells_each_owner_once_in_their_language(
    owners: list[User], connection: Connection, sandbox, api_key: str, services: Services
) -> None:
    dead = add(sandbox, api_key, "discord", "Night Discord", {"discord": DISCORD_URL})
    add(sandbox, api_key, "telegram", "On call", TELEGRAM)
    add(sandbox, api_key, "slack", "Ops", {"slack": "https://hooks.slack.com/services/A"})
    services.answer(DELETED, BOT, GROUP)

    run_round()

    states = dict(HandlerHealth.objects.values_list("handler_name", "state"))
    assert states == {"Night Discord": "attention", "On call": "fine", "Ops": "cannot_check"}
    assert all(request.method == "GET" for request in services.received)
    russian, english = sorted(mail.outbox, key=lambda m: m.to)
    assert english.to == ["olga@example.com"] and russian.to == ["oleg@example.com"]
    assert english.subject == "A handler of Soclook main needs attention"
    assert "- Night Discord: This Discord webhook was deleted" in english.body
    link = f"https://dashboard.example.com/connections/{connection.pk}/handlers/?health=attention"
    assert link in english.body
    assert russian.subject == "1 обработчик в Soclook main требует внимания"
    assert "Этот вебхук Discord удалён" in russian.body
    assert DISCORD_URL not in english.body + russian.body
    assert HandlerHealth.objects.get(handler_id=dead).attention_since is not None


def test_a_handler_that_stays_broken_is_not_announced_again_but_one_that_breaks_again_is(
    owners: list[User], connection: Connection, sandbox, api_key: str, services: Services
) -> None:
    add(sandbox, api_key, "discord", "Night Discord", {"discord": DISCORD_URL})
    services.answer(DELETED)
    run_round()
    services.answer(Reply(fails=outbound.TimedOut(request_sent=False)))
    run_round()
    services.answer(DELETED)
    run_round()
    assert len(mail.outbox) == 2

    services.answer(ALIVE)
    run_round()
    services.answer(DELETED)
    run_round()

    assert len(mail.outbox) == 4


def test_the_team_can_switch_the_emails_off_and_the_journal_says_who(
    owners: list[User],
    team: Team,
    connection: Connection,
    sandbox,
    api_key: str,
    services: Services,
) -> None:
    add(sandbox, api_key, "discord", "Night Discord", {"discord": DISCORD_URL})
    client = client_for(owners[0])
    page = text_of(client.get(reverse("team_detail", args=[team.pk]), **EN).text)
    assert "On: each owner gets one e-mail" in page

    client.post(reverse("team_health_emails", args=[team.pk]), {"email_owners": "0"})
    services.answer(DELETED)
    run_round()

    assert mail.outbox == []
    entry = JournalEntry.objects.get(action="team_health_emails")
    assert entry.user_name == "olga"
    journal = text_of(client.get(reverse("journal"), **EN).text)
    assert "E-mail the owners when a handler needs attention: on → off" in journal
    assert "Off: owners get no e-mail" in text_of(
        client.get(reverse("team_detail", args=[team.pk]), **EN).text
    )


def test_an_editor_cannot_switch_the_emails_off(
    editor: User, team: Team, owners: list[User]
) -> None:
    response = client_for(editor).post(
        reverse("team_health_emails", args=[team.pk]), {"email_owners": "0"}
    )

    assert response.status_code == 403
    assert not JournalEntry.objects.filter(action="team_health_emails").exists()


def test_a_connection_whose_key_fails_is_left_for_the_next_round_and_the_others_are_checked(
    owners: list[User], team: Team, connection: Connection, sandbox, api_key: str, services
) -> None:
    broken = Connection(team=team, name="Old key", base_url=sandbox.base_url)
    broken.set_api_key("sbx_no_such_key_0000000000000000")
    broken.save()
    add(sandbox, api_key, "discord", "Night Discord", {"discord": DISCORD_URL})
    services.answer(ALIVE)

    run_round()

    assert HandlerHealth.objects.filter(connection=connection).count() == 1
    assert not HandlerHealth.objects.filter(connection=broken).exists()


def test_handlers_deleted_from_the_account_are_forgotten(
    owners: list[User], connection: Connection, sandbox, api_key: str, services: Services
) -> None:
    gone = add(sandbox, api_key, "discord", "Gone", {"discord": DISCORD_URL})
    services.answer(ALIVE)
    run_round()
    client_for(owners[0]).post(reverse("handler_delete", args=[connection.pk, gone]))

    run_round()

    assert not HandlerHealth.objects.filter(handler_id=gone).exists()


def test_two_requests_to_one_service_are_a_second_apart_and_other_services_do_not_wait(
    owners: list[User], connection: Connection, sandbox, api_key: str, services, no_waiting
) -> None:
    add(sandbox, api_key, "discord", "One", {"discord": DISCORD_URL})
    add(sandbox, api_key, "discord", "Two", {"discord": DISCORD_URL + "2"})
    add(sandbox, api_key, "telegram", "Three", TELEGRAM)
    services.answer(ALIVE, ALIVE, BOT, GROUP)

    run_round()

    assert len(no_waiting) == 1 and 0 < no_waiting[0] <= 1


def test_a_service_waits_only_what_is_left_of_its_second(no_waiting: list[float]) -> None:
    now = [100.0]

    host_turn("discord.com", clock=lambda: now[0])
    now[0] += 0.25
    host_turn("discord.com", clock=lambda: now[0])
    host_turn("api.telegram.org", clock=lambda: now[0])

    assert no_waiting == [0.75]


@pytest.mark.parametrize("every", ["soon", "0", "5 weeks", "24x"])
def test_a_duration_that_makes_no_sense_is_refused_with_the_way_to_write_it(every: str) -> None:
    with pytest.raises(CommandError, match="write it as 24h, 30m, 90s, 1d"):
        call_command("check_handlers", "--every", every)
