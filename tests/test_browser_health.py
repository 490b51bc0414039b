"""Health at a glance in a real browser: from the list to the Tidy-up page and its bulk preview,
"Check now" on the edit page, the home page's summary; every page fits a phone and a wide screen,
in English and Russian, with no serious accessibility problem.

Nothing leaves this machine: Discord is answered at the HTTP level behind the guard
(tests/fake_destinations.py).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import Page, expect

from handlers_app.health.service import handler_check
from handlers_app.models import Connection
from handlers_app.selectors import handler_get
from tests.fake_destinations import Reply, Services
from tests.helpers import screenshot, sign_in
from tests.imports_support import IMMEDIATE
from tests.test_browser_forms import serious_violations
from tests.test_browser_layout import OVERFLOWS, set_language
from tests.test_testsend import DISCORD_URL

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DELETED = Reply(404, '{"message": "Unknown Webhook", "code": 10015}')
ALIVE = Reply(200, '{"id": "1", "name": "Alerts bot", "channel_id": "4242"}')


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Services:
    return Services(monkeypatch)


@pytest.fixture
def api_key(sandbox) -> str:
    return sandbox.add_account(seed=0)


@pytest.fixture
def account(connection: Connection, sandbox, api_key: str, services: Services) -> dict[str, int]:
    """A duplicate pair, two handlers switched off since 2025, one Discord webhook found deleted
    and one alive, and a Slack one nothing can check."""

    def add(type_: str, name: str, settings: dict[str, str], **kw) -> int:
        return sandbox.add_handler(api_key, type=type_, name=name, settings=settings, **kw)["id"]

    ids = {
        "ops": add("slack", "Ops channel", {"slack": "https://hooks.slack.com/services/T/B/ops"}),
        "ops_again": add(
            "slack", "Ops channel (copy)", {"slack": "https://hooks.slack.com/services/T/B/ops"}
        ),
        "dead": add("discord", "Night Discord", {"discord": DISCORD_URL}),
        "alive": add("discord", "Day Discord", {"discord": DISCORD_URL + "day"}),
    }
    for n, name in enumerate(["Old CRM hook", "Legacy n8n flow"]):
        ids[name] = add(
            "webhook",
            name,
            {"webhook": f"https://crm.example.com/hook/{n}"},
            is_enabled=0,
            datetime="2025-01-10 08:00:00",
            last_datetime=f"2025-0{n + 2}-14 17:45:00",
        )
    services.answer(DELETED, ALIVE)
    for key in ("dead", "alive"):
        handler = handler_get(connection=connection, handler_id=ids[key])
        handler_check(connection=connection, handler=handler)
    return ids


def test_the_tidy_page_is_reached_from_the_list_and_a_group_opens_the_bulk_preview(
    page: Page, editor: User, connection: Connection, account: dict[str, int]
) -> None:
    sign_in(page, editor)
    page.goto(reverse("handler_list", args=[connection.pk]))
    expect(page.locator(f"#health-{account['dead']}")).to_contain_text(
        "This Discord webhook was deleted"
    )

    page.get_by_role("link", name="Tidy up").click()

    expect(page.get_by_role("heading", name="Tidy up", exact=True)).to_be_visible()
    expect(page.locator("#tidy-duplicates")).to_contain_text("Ops channel (copy)")
    expect(page.locator("#tidy-switched_off")).to_contain_text("Old CRM hook")
    expect(page.locator("#tidy-switched_off")).to_contain_text("Legacy n8n flow")
    expect(page.locator("#tidy-failed")).to_contain_text("Night Discord")
    assert serious_violations(page) == []

    page.locator("#tidy-duplicates-delete").click()

    expect(page.get_by_text("Ops channel (copy)")).to_be_visible()
    assert "/bulk/" in page.url


def test_the_home_summary_leads_to_the_handlers_that_need_attention(
    page: Page, editor: User, connection: Connection, account: dict[str, int]
) -> None:
    sign_in(page, editor)
    page.goto(reverse("home"))
    summary = page.locator(f"#health-summary-{connection.pk}")
    expect(summary).to_contain_text("1 fine")
    assert serious_violations(page) == []

    summary.get_by_role("link", name="1 needs attention").click()

    expect(page.locator("#handler-table tbody tr[id^=handler-]")).to_have_count(1)
    expect(page.locator(f"#handler-{account['dead']}")).to_be_visible()
    expect(page.locator("#filter-health")).to_have_value("attention")
    assert serious_violations(page) == []


def test_check_now_on_the_edit_page_swaps_only_the_health_box(
    page: Page, editor: User, connection: Connection, account: dict[str, int], services
) -> None:
    sign_in(page, editor)
    page.goto(reverse("handler_edit", args=[connection.pk, account["alive"]]))
    page.get_by_label("Name").fill("Day Discord, renamed")
    services.answer(DELETED)

    page.get_by_role("button", name="Check now").click()

    expect(page.locator("#health-note")).to_contain_text("This Discord webhook was deleted")
    assert page.get_by_label("Name").input_value() == "Day Discord, renamed"
    assert serious_violations(page) == []


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("width", [390, 1366])
def test_the_health_pages_fit_the_window(
    page: Page,
    owner: User,
    connection: Connection,
    account: dict[str, int],
    width: int,
    language: str,
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, owner)
    set_language(page, language)
    pages = {
        "home": reverse("home"),
        "list": reverse("handler_list", args=[connection.pk]),
        "attention": reverse("handler_list", args=[connection.pk]) + "?health=attention",
        "tidy": reverse("tidy_up", args=[connection.pk]),
        "edit": reverse("handler_edit", args=[connection.pk, account["dead"]]),
    }
    for name, path in pages.items():
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", language)
        screenshot(page, f"health-{name}-{width}-{language}")
        assert page.evaluate(OVERFLOWS) == [], name
    # The team page's e-mail setting (its members' table is wider than a phone already).
    page.goto(reverse("team_detail", args=[connection.team_id]))
    expect(page.locator("#health-emails-switch")).to_be_visible()
    screenshot(page, f"health-team-{width}-{language}")


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("width", [390, 1366])
def test_check_all_from_the_list_shows_the_jobs_progress(
    page: Page,
    editor: User,
    connection: Connection,
    account: dict[str, int],
    services: Services,
    settings,
    width: int,
    language: str,
) -> None:
    settings.TASKS = IMMEDIATE
    services.answer(DELETED, ALIVE)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, editor)
    set_language(page, language)
    page.goto(reverse("handler_list", args=[connection.pk]))
    screenshot(page, f"health-list-check-all-{width}-{language}")

    page.locator("#check-all").click()

    expect(page.locator(f"#bulk-item-{account['dead']}")).to_be_visible()
    screenshot(page, f"health-check-all-job-{width}-{language}")
    assert page.evaluate(OVERFLOWS) == []
    assert serious_violations(page) == []
