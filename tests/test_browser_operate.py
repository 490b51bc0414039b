"""Operating at scale in a real browser: a handler snoozed from its More dialog until a moment
typed in the viewer's zone, its row saying until when and switched on again from the row; and
the snooze, journal and set-up pages at phone and desktop widths in both languages."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from handlers_app.models import Connection, Snooze
from handlers_app.presets import setup_create, setup_handler_added, setup_update
from handlers_app.selectors import handler_get
from handlers_app.snooze.service import snooze_start
from tests.helpers import screenshot, sign_in
from tests.sandbox_support import Api

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 1366)
ZONE = "Asia/Yekaterinburg"


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, object]) -> dict[str, object]:
    """A browser in Yekaterinburg (UTC+5): app.js names the viewer's zone from it."""
    return {**browser_context_args, "timezone_id": ZONE}


def serious_violations(page: Page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
        if v["impact"] in {"serious", "critical"}
    ]


def fits(page: Page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_a_handler_is_snoozed_from_its_more_dialog_and_switched_on_from_its_row(
    page: Page, live_server, editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    desk = sandbox.add_handler(
        api_key, type="email", name="Night desk", settings={"email": "desk@example.com"}
    )
    sign_in(page, editor)
    moment = (timezone.now() + timedelta(minutes=3)).astimezone(ZoneInfo(ZONE))
    page.goto(reverse("handler_list", args=[connection.pk]) + "?search=Night")
    row = page.locator(f"#handler-{desk['id']}")
    row.get_by_role("link", name=re.compile("^More")).click()
    page.get_by_role("link", name="Snooze").click()
    expect(page).to_have_url(re.compile("/snooze/"))
    page.get_by_label("Until a moment you choose").check()
    page.get_by_label("Until", exact=True).fill(moment.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Snooze").click()

    row = page.locator(f"#handler-{desk['id']}")
    expect(row).to_contain_text(f"Off until {moment:%H:%M}")
    assert next(h for h in sandbox.handlers(api_key) if h["id"] == desk["id"])["is_enabled"] == 0
    row.get_by_role("button", name="Switch on now").click()
    expect(row).not_to_contain_text("Off until")
    expect(row.get_by_role("button", name=re.compile("Enable"))).to_have_attribute(
        "aria-pressed", "true"
    )
    assert next(h for h in sandbox.handlers(api_key) if h["id"] == desk["id"])["is_enabled"] == 1
    assert Snooze.objects.get().state == "switched_on_now"


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_operating_pages_never_scroll_sideways(
    page: Page, live_server, editor: User, connection: Connection, sandbox, api_key: str, language
) -> None:
    long_name = (
        "Дежурная смена поддержки: письма при сбоях платежей ночью и в выходные"
        if language == "ru"
        else "Support on-call rota: payment failure e-mails at night and at weekends"
    )
    desk = sandbox.add_handler(
        api_key,
        type="email",
        name=f"Night desk · {long_name}",
        settings={"email": "night.shift.escalations.for.payments@example.com"},
    )
    handler_get(connection=connection, handler_id=1)
    current = handler_get(connection=connection, handler_id=desk["id"])
    snooze_start(
        connection=connection,
        user=editor,
        current=current,
        until=timezone.now() + timedelta(days=1, hours=2),
    )
    setup = setup_create(
        team=connection.team,
        user=editor,
        name=long_name,
        type="telegram",
        settings={"telegram": "123456789:AAHlong-token", "telegram_chat_id": "-100123456"},
    )
    setup_handler_added(
        setup=setup,
        connection=connection,
        user=editor,
        name="Bot",
        type="telegram",
        settings=setup.settings,
    )
    setup_update(
        setup=setup,
        user=editor,
        name=setup.name,
        settings={"telegram": "", "telegram_chat_id": "-100999"},
    )
    sign_in(page, editor)
    page.context.add_cookies(
        [
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
        ]
    )
    page.goto(reverse("handler_list", args=[connection.pk]) + "?refresh=1")
    Api(sandbox.base_url, api_key).create(
        type="email", name="Made in Soclook", email="panel@example.com"
    )
    page.goto(reverse("handler_list", args=[connection.pk]) + "?refresh=1")
    pages = {
        "snooze": reverse("handler_snooze", args=[connection.pk, desk["id"]]),
        "list-snoozed": reverse("handler_list", args=[connection.pk]) + "?search=Night",
        "journal-outside": reverse("journal"),
        "setup-used": reverse("setup_used", args=[connection.team_id, setup.pk]),
    }
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in pages.items():
            page.goto(url)
            expect(page.locator("html")).to_have_attribute("lang", language)
            assert fits(page), f"{name} scrolls sideways at {width} px in {language}"
            screenshot(page, f"operate-{name}-{width}-{language}")
            # The journal page's own controls are not changed here; the other pages are new.
            if width == WIDTHS[-1] and name != "journal-outside":
                assert serious_violations(page) == [], name


@pytest.mark.parametrize("language", ["en", "ru"])
def test_replacing_an_address_everywhere_in_the_browser(
    page: Page, live_server, editor: User, connection: Connection, sandbox, api_key: str, language
) -> None:
    old, new = "anna.longname.on.call@example.com", "duty.rota.payments@example.com"
    made = sandbox.add_handler(api_key, type="email", name="Anna", settings={"email": old})
    sign_in(page, editor)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.goto(reverse("home"))
    page.locator(f"a[href='{reverse('replace_everywhere')}']").click()
    page.locator("#id_old").fill(old)
    page.locator("#id_new").fill(new)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert fits(page)
        screenshot(page, f"operate-replace-form-{width}-{language}")
    page.locator("button[name=find]").click()
    expect(page.locator("#found")).to_contain_text("Anna")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert fits(page)
        screenshot(page, f"operate-replace-found-{width}-{language}")
    assert serious_violations(page) == []
    page.locator("button[name=confirm]").click()
    expect(page.locator("#outcomes")).to_contain_text(connection.name)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert fits(page)
        screenshot(page, f"operate-replace-done-{width}-{language}")
    stored = next(h for h in sandbox.handlers(api_key) if h["id"] == made["id"])
    assert stored["settings"]["email"] == new


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_selection_is_snoozed_from_the_bulk_bar(
    page: Page, live_server, editor: User, connection: Connection, sandbox, api_key: str, language
) -> None:
    ids = [
        sandbox.add_handler(
            api_key, type="email", name=f"Night {n}", settings={"email": f"n{n}@example.com"}
        )["id"]
        for n in (1, 2)
    ]
    sign_in(page, editor)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.goto(reverse("handlers_snooze", args=[connection.pk]) + f"?ids={ids[0]},{ids[1]}")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert fits(page)
        screenshot(page, f"operate-snooze-many-{width}-{language}")
    assert serious_violations(page) == []
    page.locator("input[name=length][value='4h']").check()
    page.locator("main form button.btn-primary").click()
    expect(page).to_have_url(re.compile("/bulk/"))
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert fits(page)
        screenshot(page, f"operate-snooze-job-{width}-{language}")
    assert [h["is_enabled"] for h in sandbox.handlers(api_key) if h["id"] in ids] == [0, 0]
