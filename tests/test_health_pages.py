"""Health at a glance on the pages: the Tidy-up page's groups (reachable from the list), the
home page's summary per connection, the list's "Needs attention" filter and each row's line."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from handlers_app.health.service import handler_check
from handlers_app.models import Connection, HandlerHealth, JournalEntry
from handlers_app.selectors import handler_get
from tests.fake_destinations import Reply, Services
from tests.helpers import client_for
from tests.test_testsend import DISCORD_URL, EN, RU, text_of

DELETED = Reply(404, '{"message": "Unknown Webhook", "code": 10015}')
ALIVE = Reply(200, '{"id": "1", "name": "Alerts bot", "channel_id": "4242"}')


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Services:
    return Services(monkeypatch)


@pytest.fixture
def api_key(sandbox) -> str:
    """An account of only the handlers a test adds."""
    return sandbox.add_account(seed=0)


def add(sandbox, api_key: str, type_: str, name: str, settings: dict[str, str], **kw) -> int:
    return sandbox.add_handler(api_key, type=type_, name=name, settings=settings, **kw)["id"]


def tidy_text(user: User, connection: Connection, **headers: str) -> str:
    response = client_for(user).get(reverse("tidy_up", args=[connection.pk]), **(headers or EN))
    assert response.status_code == 200
    return text_of(response.text)


def test_duplicates_and_handlers_off_since_2025_show_on_the_tidy_page_reached_from_the_list(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    first = add(sandbox, api_key, "slack", "Ops", {"slack": "https://hooks.slack.com/services/A"})
    again = add(
        sandbox, api_key, "slack", "Ops 2", {"slack": " https://hooks.slack.com/services/A"}
    )
    add(sandbox, api_key, "slack", "Other", {"slack": "https://hooks.slack.com/services/B"})
    old_off = add(
        sandbox,
        api_key,
        "webhook",
        "Old CRM",
        {"webhook": "https://crm.example.com/hook"},
        is_enabled=0,
        datetime="2025-02-01 10:00:00",
        last_datetime="2025-03-03 09:30:00",
    )
    add(
        sandbox,
        api_key,
        "webhook",
        "Fresh off",
        {"webhook": "https://n8n.example.org/h"},
        is_enabled=0,
    )
    client = client_for(editor)

    listing = client.get(reverse("handler_list", args=[connection.pk]), **EN).text
    assert f'href="{reverse("tidy_up", args=[connection.pk])}"' in listing
    shown = tidy_text(editor, connection)

    assert "Two or more handlers sending to the same place 2" in shown
    assert "Ops Slack hooks.slack.com kept: the oldest of this set" in shown
    assert "Ops 2 Slack hooks.slack.com sends to the same place as “Ops”" in shown
    assert "Switched off for more than 30 days 1" in shown
    # Since Soclook's last change of it (its date as the page writes dates).
    assert re.search(r"Old CRM Webhook crm\.example\.com since \S.*2025.* 09:30", shown)
    assert "Fresh off" not in shown and "Other" not in shown
    page = client.get(reverse("tidy_up", args=[connection.pk])).text
    assert f'name="ids" value="{again}"' in page
    assert f'name="ids" value="{old_off}"' in page
    assert str(first) not in page.split('name="ids" value="')[1].split('"')[0]


def test_a_group_action_opens_the_bulk_preview_and_changes_nothing_yet(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    add(sandbox, api_key, "slack", "Ops", {"slack": "https://hooks.slack.com/services/A"})
    again = add(sandbox, api_key, "slack", "Ops 2", {"slack": "https://hooks.slack.com/services/A"})

    response = client_for(editor).get(
        reverse("handler_bulk", args=[connection.pk]), {"ids": str(again), "action": "delete"}, **EN
    )

    assert response.status_code == 200
    assert "Ops 2" in text_of(response.text)
    assert len(sandbox.handlers(api_key)) == 2


def test_switched_off_since_the_journal_says_so_and_unconfirmed_for_a_week(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    recent_change = timezone.now().strftime("%Y-%m-%d %H:%M:%S")
    off = add(
        sandbox,
        api_key,
        "webhook",
        "Off by us",
        {"webhook": "https://crm.example.com/a"},
        is_enabled=0,
        last_datetime=recent_change,
    )
    JournalEntry.objects.create(
        team=connection.team,
        connection=connection,
        action="handler_disabled",
        handler_id=off,
        handler_name="Off by us",
        created_at=timezone.now() - timedelta(days=45),
    )
    add(
        sandbox,
        api_key,
        "email",
        "Unconfirmed",
        {"email": "new@example.com"},
        is_enabled=2,
        datetime=(timezone.now() - timedelta(days=9)).strftime("%Y-%m-%d %H:%M:%S"),
    )

    shown = tidy_text(editor, connection)

    assert "Switched off for more than 30 days 1 " in shown and "Off by us" in shown
    assert "Waiting for e-mail confirmation for more than 7 days 1" in shown
    assert "Unconfirmed E-mail new@example.com since" in shown


def test_a_failed_check_and_display_only_types_are_grouped_in_russian_too(
    editor: User, connection: Connection, sandbox, api_key: str, services: Services
) -> None:
    hook = add(sandbox, api_key, "discord", "Old Discord", {"discord": DISCORD_URL})
    add(sandbox, api_key, "twilio", "SMS", {"twilio": "+79990000000"})
    services.answer(DELETED)
    handler_check(
        connection=connection, handler=handler_get(connection=connection, handler_id=hook)
    )

    shown = tidy_text(editor, connection, **RU)

    assert "Последняя проверка или тест не прошли 1" in shown
    assert "Этот вебхук Discord удалён" in shown
    assert "Типы, которые панель только показывает 1" in shown


def test_a_viewer_sees_the_groups_without_actions(
    viewer: User, connection: Connection, sandbox, api_key: str
) -> None:
    add(sandbox, api_key, "slack", "Ops", {"slack": "https://hooks.slack.com/services/A"})
    add(sandbox, api_key, "slack", "Ops 2", {"slack": "https://hooks.slack.com/services/A"})

    page = client_for(viewer).get(reverse("tidy_up", args=[connection.pk]), **EN).text

    assert "Two or more handlers sending to the same place" in text_of(page)
    assert 'name="ids"' not in page


def test_an_account_with_nothing_to_tidy_says_so(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    add(sandbox, api_key, "slack", "Ops", {"slack": "https://hooks.slack.com/services/A"})

    assert "Nothing to tidy up" in tidy_text(editor, connection)


# --- the home page, the list ---------------------------------------------------------------------


def test_the_home_page_counts_each_connections_handlers_by_health(
    owner: User, connection: Connection, sandbox, api_key: str, services: Services
) -> None:
    dead = add(sandbox, api_key, "discord", "Dead", {"discord": DISCORD_URL})
    alive = add(sandbox, api_key, "discord", "Alive", {"discord": DISCORD_URL + "x"})
    slack = add(sandbox, api_key, "slack", "Ops", {"slack": "https://hooks.slack.com/services/A"})
    services.answer(DELETED, ALIVE)
    for handler_id in (dead, alive, slack):
        handler_check(
            connection=connection, handler=handler_get(connection=connection, handler_id=handler_id)
        )

    english = text_of(client_for(owner).get(reverse("home"), **EN).text)
    russian = text_of(client_for(owner).get(reverse("home"), **RU).text)

    assert "1 fine · 1 needs attention · 1 cannot be checked · Tidy up" in english
    assert "1 в порядке · 1 требует внимания · 1 нельзя проверить · Навести порядок" in russian


def test_a_connection_never_checked_says_so_on_the_home_page(
    owner: User, connection: Connection
) -> None:
    assert "Handlers not checked yet." in text_of(client_for(owner).get(reverse("home"), **EN).text)


def test_the_needs_attention_filter_lists_only_those_and_each_row_says_why(
    editor: User, connection: Connection, sandbox, api_key: str, services: Services
) -> None:
    dead = add(sandbox, api_key, "discord", "Dead", {"discord": DISCORD_URL})
    alive = add(sandbox, api_key, "discord", "Alive", {"discord": DISCORD_URL + "x"})
    add(sandbox, api_key, "slack", "Ops", {"slack": "https://hooks.slack.com/services/A"})
    services.answer(DELETED, ALIVE)
    for handler_id in (dead, alive):
        handler_check(
            connection=connection, handler=handler_get(connection=connection, handler_id=handler_id)
        )
    client = client_for(editor)

    everything = text_of(client.get(reverse("handler_list", args=[connection.pk]), **EN).text)
    attention = client.get(
        reverse("handler_list", args=[connection.pk]), {"health": "attention"}, **EN
    )

    assert "Posts as “Alerts bot” to channel 4242. · checked just now" in everything
    assert "This Discord webhook was deleted" in everything
    assert "Only a test can tell" in everything
    assert attention.content.count(b'<tr id="handler-') == 1
    assert f'<tr id="handler-{dead}"' in attention.text
    assert "health: Needs attention" in text_of(attention.text)
    assert HandlerHealth.objects.count() == 2


def test_all_matching_the_needs_attention_filter_means_only_those(
    editor: User, connection: Connection, sandbox, api_key: str, services: Services
) -> None:
    dead = add(sandbox, api_key, "discord", "Dead", {"discord": DISCORD_URL})
    add(sandbox, api_key, "discord", "Alive", {"discord": DISCORD_URL + "x"})
    add(sandbox, api_key, "slack", "Ops", {"slack": "https://hooks.slack.com/services/A"})
    services.answer(DELETED)
    handler_check(
        connection=connection, handler=handler_get(connection=connection, handler_id=dead)
    )

    preview = client_for(editor).get(
        reverse("handler_bulk", args=[connection.pk]),
        {"all": "1", "health": "attention", "action": "disable"},
        **EN,
    )

    shown = text_of(preview.text)
    assert preview.status_code == 200
    assert "Dead" in shown and "Alive" not in shown and "Ops" not in shown


def test_a_handler_changed_after_its_check_no_longer_shows_what_the_check_learned(
    editor: User, connection: Connection, sandbox, api_key: str, services: Services
) -> None:
    connection.service_utc_offset = 180
    connection.save()
    hook = add(sandbox, api_key, "discord", "Dead", {"discord": DISCORD_URL})
    services.answer(DELETED)
    handler_check(
        connection=connection, handler=handler_get(connection=connection, handler_id=hook)
    )
    client = client_for(editor)
    client.post(
        reverse("handler_edit", args=[connection.pk, hook]),
        {"name": "Dead", "type": "discord", "discord": DISCORD_URL + "new"},
    )

    listing = text_of(client.get(reverse("handler_list", args=[connection.pk]), **EN).text)
    edit = text_of(client.get(reverse("handler_edit", args=[connection.pk, hook]), **EN).text)

    assert "This Discord webhook was deleted" not in listing
    assert "the handler was changed since: check it again" in edit
