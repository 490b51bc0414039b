"""Duplicating a handler and copying handlers to another connection, in a real browser, with
JavaScript and without, on a phone and a laptop, in English and Russian."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Page, expect

from handlers_app.models import Connection, Team
from handlers_app.sandbox import Sandbox
from tests.helpers import PASSWORD, screenshot, sign_in
from tests.sharing_support import BOT_TOKEN, add_chosen, add_connection, add_live_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_sandbox() -> Iterator[Sandbox]:
    with Sandbox() as server:
        yield server


@pytest.fixture
def live_key(live_sandbox: Sandbox) -> str:
    return add_live_account(live_sandbox)


@pytest.fixture
def live(team: Team, owner: User, live_sandbox: Sandbox, live_key: str) -> Connection:
    return add_connection(
        team, owner, name="Soclook live", base_url=live_sandbox.base_url, key=live_key
    )


@pytest.fixture
def chosen(sandbox: Sandbox, api_key: str) -> dict[str, int]:
    return add_chosen(sandbox, api_key)


def more_of(page: Page, name: str) -> Page:
    """The "More" actions of the handler called `name`: a dialog with JavaScript, a page of
    their own without."""
    row = page.locator("tbody tr").filter(has=page.get_by_text(name, exact=True))
    row.get_by_role("link", name=re.compile("^More")).click()
    page.get_by_role("heading", name=f"More for “{name}”").wait_for()
    width = page.viewport_size["width"] if page.viewport_size else 0
    screenshot(page, f"sharing-more-{width}")
    if page.get_by_role("dialog").count():  # axe runs in the page, so only with JavaScript
        assert serious_violations(page) == []
    return page


def all_rows(connection: Connection) -> str:
    return connection.get_absolute_url() + "?results_per_page=100"


def fits_the_width(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def serious_violations(page) -> list[str]:
    return [
        f"{v['id']}: {v['help']}"
        for v in Axe().run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_an_editor_duplicates_a_handler(
    browser,
    live_server,
    javascript: bool,
    editor: User,
    connection: Connection,
    chosen: dict[str, int],
    sandbox: Sandbox,
    api_key: str,
) -> None:
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", java_script_enabled=javascript
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, editor)
    page.goto(all_rows(connection))

    more_of(page, "On-call bot").get_by_role("link", name="Duplicate").click()
    expect(page.get_by_label("Name")).to_have_value("Copy of On-call bot")
    expect(page.locator("#copied-secrets")).to_contain_text("copied from “On-call bot”")
    assert BOT_TOKEN not in page.content()
    page.get_by_label("Name").fill("On-call bot, project B")
    page.get_by_role("button", name="Add handler").click()
    # The copy sends where its original does: the form asks first, keeping what was typed.
    expect(page.locator("#same-place")).to_contain_text("“On-call bot” already sends")
    expect(page.get_by_label("Name")).to_have_value("On-call bot, project B")
    page.get_by_role("button", name="Add it anyway").click()

    expect(
        page.get_by_text("Added “On-call bot, project B”, a copy of “On-call bot”.")
    ).to_be_visible()
    copy = next(h for h in sandbox.handlers(api_key) if h["name"] == "On-call bot, project B")
    assert copy["settings"]["telegram"] == BOT_TOKEN
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_an_editor_copies_handlers_after_the_preview(
    browser,
    live_server,
    javascript: bool,
    editor: User,
    connection: Connection,
    live: Connection,
    chosen: dict[str, int],
    live_sandbox: Sandbox,
    live_key: str,
) -> None:
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", java_script_enabled=javascript
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, editor)
    page.goto(all_rows(connection))

    more_of(page, "On-call bot").get_by_role("link", name="Copy to another connection").click()
    expect(page.get_by_role("heading", name="1 handler selected")).to_be_visible()
    page.get_by_label("Copy to the connection").select_option(label="Soclook live (Support)")
    page.get_by_role("button", name="Show what will be copied").click()
    expect(page.locator("#copy-to-create")).to_contain_text("On-call bot")
    assert live_sandbox.handlers(live_key)[-1]["name"] == "Ops mail (live)"
    page.get_by_role("button", name="Copy 1 handler").click()

    expect(page.locator("#copy-done")).to_contain_text("1 handler was added to “Soclook live”.")
    copy = next(h for h in live_sandbox.handlers(live_key) if h["name"] == "On-call bot")
    assert copy["settings"]["telegram"] == BOT_TOKEN
    page.get_by_role("link", name="Open “Soclook live”").click()
    expect(page.get_by_role("link", name="Edit On-call bot")).to_be_visible()
    context.close()


@pytest.mark.parametrize("locale", ["en-US", "ru-RU"])
@pytest.mark.parametrize("width", [390, 1366])
def test_the_sharing_pages_fit_a_phone_and_a_laptop(
    browser,
    live_server,
    locale: str,
    width: int,
    editor: User,
    connection: Connection,
    live: Connection,
    chosen: dict[str, int],
) -> None:
    context = browser.new_context(
        base_url=live_server.url, locale=locale, viewport={"width": width, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(reverse("login"))
    page.locator("#id_username").fill(editor.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button.btn-primary").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    name = f"sharing-{locale[:2]}-{width}"
    copy_url = reverse("handlers_copy", args=[connection.pk])
    ids = ",".join(str(i) for i in chosen.values())
    fits: dict[str, bool] = {}
    violations: dict[str, list[str]] = {}

    page.goto(reverse("handler_duplicate", args=[connection.pk, chosen["bot"]]))
    fits["duplicate"] = fits_the_width(page)
    violations["duplicate"] = serious_violations(page)
    screenshot(page, f"{name}-1-duplicate")
    page.goto(f"{copy_url}?ids={ids}")
    fits["choose"] = fits_the_width(page)
    screenshot(page, f"{name}-2-copy-choose")
    page.locator("#copy-preview-button").click()
    expect(page.locator("#copy-preview")).to_be_visible()
    fits["preview"] = fits_the_width(page)
    violations["preview"] = serious_violations(page)
    screenshot(page, f"{name}-3-copy-preview")
    page.locator("#copy-submit").click()
    expect(page.locator("#copy-done")).to_be_visible()
    fits["done"] = fits_the_width(page)
    violations["done"] = serious_violations(page)
    screenshot(page, f"{name}-4-copy-done")
    context.close()

    assert fits == dict.fromkeys(fits, True)
    assert violations == {key: [] for key in violations}


def test_an_editor_copies_a_whole_list_in_the_background_and_watches_it(
    page: Page,
    editor: User,
    connection: Connection,
    live: Connection,
    chosen: dict[str, int],
    sandbox: Sandbox,
    api_key: str,
    live_sandbox: Sandbox,
    live_key: str,
) -> None:
    selected = len(sandbox.handlers(api_key))
    sign_in(page, editor)
    page.goto(connection.get_absolute_url())

    page.locator("#bulk-all").check()
    page.locator("#bulk-copy").click()
    expect(page.get_by_role("heading", name=f"{selected} handlers selected")).to_be_visible()
    page.get_by_label("Copy to the connection").select_option(label="Soclook live (Support)")
    page.get_by_role("button", name="Show what will be copied").click()
    expect(page.locator("#copy-in-background")).to_be_visible()
    expect(page.locator("#copy-to-skip")).to_contain_text("Ops mail")
    page.locator("#copy-submit").click()
    expect(page.get_by_role("heading", name="Copy to “Soclook live”")).to_be_visible()
    expect(page.locator("#bulk-status")).to_contain_text("Waiting to start.")
    assert len(live_sandbox.handlers(live_key)) == 1

    # The background worker picks it up; the page follows by itself.
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    expect(page.locator("#bulk-status")).to_contain_text("Finished:")
    status = page.locator("#bulk-status").inner_text()
    counts = re.findall(r"(\d+) added, (\d+) skipped as already there, .* (\d+) refused", status)
    added, skipped, refused = map(int, counts[0])
    # Some of the seeded handlers are ones Soclook would not accept today: refused, with why.
    assert skipped >= 1 and added + skipped + refused == selected, status
    assert len(live_sandbox.handlers(live_key)) == 1 + added
    expect(page.locator(f"#bulk-item-{chosen['mail']}")).to_contain_text(
        "Already there as “Ops mail (live)”."
    )
    expect(page.locator(f"#bulk-item-{chosen['bot']}")).to_contain_text("Added")
    expect(page.locator("#bulk-bar")).to_have_attribute("value", str(selected))
    assert BOT_TOKEN not in page.content()
    assert serious_violations(page) == []
    page.set_viewport_size({"width": 360, "height": 800})
    assert fits_the_width(page)
    screenshot(page, "sharing-background-copy-en-360")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_label("Language").select_option("ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.set_viewport_size({"width": 360, "height": 800})
    assert fits_the_width(page)
    screenshot(page, "sharing-background-copy-ru-360")

    page.get_by_role("link", name="Открыть «Soclook live»").click()
    expect(page).to_have_url(re.compile(re.escape(live.get_absolute_url()) + "$"))
