"""A bulk switch-off in a real browser: tick rows, confirm how many will change, and follow the
background job's progress until every handler reports its outcome."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from handlers_app.models import Connection
from handlers_app.sandbox import Sandbox
from tests.helpers import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COUNT = 7


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def fits(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_an_editor_switches_off_several_handlers_and_watches_the_progress(
    page, editor: User, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    sign_in(page, editor)
    page.goto(reverse("handler_list", args=[connection.pk]))

    rows = page.locator("tbody tr").filter(has=page.locator("button[aria-pressed=true]"))
    ticked = []
    for index in range(COUNT):
        box = rows.nth(index).locator("input[name=ids]")
        box.check()
        ticked.append(int(box.get_attribute("value")))
    expect(page.locator("#bulk-count")).to_have_text(f"Selected: {COUNT}")
    page.get_by_role("button", name="Switch off", exact=True).click()

    expect(page.locator("#bulk-summary")).to_contain_text(f"{COUNT} handlers will be switched off.")
    assert serious_violations(page) == []
    screenshot(page, "bulk-confirm")
    page.get_by_role("button", name=f"Switch off {COUNT} handlers").click()
    expect(page.locator("#bulk-status")).to_contain_text("Waiting to start.")
    expect(page.get_by_role("button", name="Cancel the rest")).to_be_visible()

    # The background worker picks it up; the page follows by itself.
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    expect(page.locator("#bulk-status")).to_contain_text(f"Finished: {COUNT} done")
    expect(page.locator("#bulk-bar")).to_have_attribute("value", str(COUNT))
    for handler_id in ticked:
        expect(page.locator(f"#bulk-item-{handler_id}")).to_contain_text("Done")
    expect(page.get_by_role("button", name="Cancel the rest")).to_have_count(0)
    assert serious_violations(page) == []
    screenshot(page, "bulk-finished")

    page.reload()
    expect(page.locator("#bulk-status")).to_contain_text(f"Finished: {COUNT} done")
    states = {h["id"]: h["is_enabled"] for h in sandbox.handlers(api_key)}
    assert [states[i] for i in ticked] == [0] * COUNT

    page.get_by_role("link", name="Open the list of handlers").click()
    for handler_id in ticked:
        switch = page.locator(f"#status-{handler_id} > button")
        expect(switch).to_have_attribute("aria-pressed", "false")


def test_select_this_page_ticks_every_row_and_survives_a_page_change(
    page, editor: User, connection: Connection, sandbox: Sandbox
) -> None:
    sign_in(page, editor)
    page.goto(reverse("handler_list", args=[connection.pk]))

    page.get_by_label("Select this page").check()

    boxes = page.locator("input[name=ids]")
    expect(boxes).to_have_count(25)
    for index in range(25):
        expect(boxes.nth(index)).to_be_checked()
    expect(page.locator("#bulk-count")).to_have_text("Selected: 25")

    page.locator("#page-next").click()
    expect(page.locator("input[name=ids]")).to_have_count(15)
    expect(page.locator("#bulk-count")).to_have_text("Selected: 0")
    expect(page.get_by_label("Select this page")).not_to_be_checked()
    page.locator("input[name=ids]").first.check()
    expect(page.locator("#bulk-count")).to_have_text("Selected: 1")

    # "Select all" chooses every handler of the list, and the bar says so.
    page.locator("#bulk-all").check()
    expect(page.locator("#bulk-count")).to_have_text("Selected: all 40")
    page.locator("#bulk-all").uncheck()
    expect(page.locator("#bulk-count")).to_have_text("Selected: 1")


def test_the_bulk_bar_stays_in_view_while_rows_further_down_are_ticked(
    page, editor: User, connection: Connection, sandbox: Sandbox
) -> None:
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, editor)
    page.goto(reverse("handler_list", args=[connection.pk]))
    row = page.locator("input[name=ids]").nth(15)
    row.check()
    bar = page.locator("#bulk-form").bounding_box()
    assert bar is not None and 0 <= bar["y"] < 800, bar
    expect(page.locator("#bulk-count")).to_be_in_viewport()
    expect(page.locator("#bulk-disable")).to_be_in_viewport()


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("width", [360, 1920])
def test_the_bulk_bar_and_pages_fit_the_screen_in_both_languages(
    page, editor: User, connection: Connection, sandbox: Sandbox, width: int, language: str
) -> None:
    sign_in(page, editor)
    page.goto(reverse("handler_list", args=[connection.pk]))
    if language != "en":
        # Chosen at desktop width: on a phone the switcher sits in the folded menu.
        page.get_by_label("Language").select_option(language)
        expect(page.locator("html")).to_have_attribute("lang", language)
    page.set_viewport_size({"width": width, "height": 900})
    expect(page.locator("#bulk-form")).to_be_visible()
    assert fits(page, width)

    page.locator("#bulk-all").check()
    page.locator("#bulk-disable").click()
    expect(page.locator("#bulk-confirm")).to_be_visible()
    assert fits(page, width)
    screenshot(page, f"bulk-confirm-{width}-{language}")

    page.locator("#bulk-confirm").click()
    expect(page.locator("#bulk-progress")).to_be_visible()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    page.reload()
    expect(page.locator("#bulk-to-list")).to_be_visible()
    assert fits(page, width)
    screenshot(page, f"bulk-job-{width}-{language}")
