"""The handler list in a real browser: paging, sorting, filtering, switching and deleting, with
JavaScript (htmx swaps only the table and keeps the address bar right) and without it."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import Page, expect

from handlers_app.models import Connection
from tests.helpers import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def showing(first: int, last: int, total: int) -> str:
    return f"Showing {first}\N{EN DASH}{last} of {total} handlers"


def open_list(page: Page, user: User, connection: Connection) -> str:
    url = reverse("handler_list", args=[connection.pk])
    sign_in(page, user)
    page.goto(url)
    expect(page.get_by_role("heading", name="Notification handlers")).to_be_visible()
    return url


def summary(page: Page):
    return page.locator("#handler-table-summary")


def row_names(page: Page) -> list[str]:
    return page.locator("#handler-table tbody th[scope=row]").all_inner_texts()


def stored(sandbox, api_key: str, handler_id: int) -> dict | None:
    return next((r for r in sandbox.handlers(api_key) if r["id"] == handler_id), None)


def test_paging_sorting_and_filtering_swap_the_table_and_keep_the_address(
    page: Page, editor: User, connection: Connection, sandbox
) -> None:
    url = open_list(page, editor, connection)
    # Survives only as long as the page is never reloaded: proof that htmx did the work.
    page.evaluate("window.notReloaded = true")

    page.get_by_role("link", name="Next page").click()
    expect(summary(page)).to_contain_text(showing(26, 40, 40))
    expect(page).to_have_url(re.compile(r"\?page=2$"))
    expect(page.locator("#page-next")).to_be_focused()

    per_page = page.get_by_label("Per page")
    per_page.focus()
    per_page.select_option("10")
    expect(summary(page)).to_contain_text(showing(1, 10, 40))
    expect(page).to_have_url(re.compile(r"results_per_page=10"))
    expect(per_page).to_be_focused()

    page.get_by_role("link", name="Last page").click()
    expect(summary(page)).to_contain_text(showing(31, 40, 40))

    page.get_by_role("link", name="Name", exact=True).click()
    expect(page).to_have_url(re.compile(r"order_by=name&order_type=ASC"))
    name_header = page.locator("th[aria-sort]")
    expect(name_header).to_have_attribute("aria-sort", "ascending")
    expect(summary(page)).to_contain_text(showing(1, 10, 40))
    names = row_names(page)
    assert names == sorted(names, key=str.casefold)

    page.get_by_role("link", name="Name", exact=True).click()
    expect(name_header).to_have_attribute("aria-sort", "descending")
    names = row_names(page)
    assert names == sorted(names, key=str.casefold, reverse=True)

    page.get_by_label("Type").select_option("email")
    expect(page).to_have_url(re.compile(r"type=email"))
    expect(page.locator("#handler-table tbody tr").first).to_contain_text("E-mail")
    types = page.locator("#handler-table tbody td:nth-child(2)").all_inner_texts()
    assert types and all("E-mail" in t for t in types)
    # The sort order survived the change of filter.
    expect(page).to_have_url(re.compile(r"order_by=name&order_type=DESC"))

    page.get_by_label("Name or destination contains").fill("no such handler")
    expect(page.get_by_text("No handlers match these filters.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"search=no\+such\+handler"))
    # Empty fields are left out of the address.
    assert "is_enabled" not in page.url
    assert page.evaluate("window.notReloaded") is True

    page.go_back()
    expect(page).to_have_url(re.compile(r"type=email"))
    expect(page).not_to_have_url(re.compile(r"search="))
    expect(page.get_by_label("Name or destination contains")).to_have_value("")
    expect(page.get_by_label("Type")).to_have_value("email")
    expect(page.locator("#handler-table tbody tr").first).to_be_visible()
    page.go_forward()
    expect(page.get_by_text("No handlers match these filters.")).to_be_visible()
    expect(page.get_by_label("Name or destination contains")).to_have_value("no such handler")

    page.get_by_role("link", name="Clear filters").click()
    expect(summary(page)).to_contain_text("of 40 handlers")
    expect(page.get_by_label("Type")).to_have_value("")
    expect(page.get_by_label("Name or destination contains")).to_have_value("")
    assert page.url == page.url.split("?")[0] + "?results_per_page=10&order_by=name&order_type=DESC"
    assert url in page.url


def test_the_switch_turns_a_handler_off_and_on_in_place(
    page: Page, editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[2]
    open_list(page, editor, connection)
    switch = page.get_by_role("button", name=f"Enable {handler['name']}", exact=True)
    expect(switch).to_have_attribute("aria-pressed", "true")

    switch.click()
    expect(page.locator("#toasts")).to_contain_text(f"“{handler['name']}” is off.")
    expect(switch).to_have_attribute("aria-pressed", "false")
    expect(page.locator(f"#handler-{handler['id']}")).to_contain_text("Disabled")
    expect(switch).to_be_focused()
    assert stored(sandbox, api_key, handler["id"])["is_enabled"] == 0

    switch.click()
    expect(page.locator(f"#handler-{handler['id']}")).to_contain_text("Enabled")
    expect(switch).to_have_attribute("aria-pressed", "true")
    assert stored(sandbox, api_key, handler["id"])["is_enabled"] == 1


def test_deleting_through_the_dialog_removes_the_row_and_updates_the_total(
    page: Page, editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[3]
    open_list(page, editor, connection)
    delete_link = page.get_by_role("link", name=f"Delete {handler['name']}", exact=True)

    delete_link.click()
    dialog = page.get_by_role("dialog", name=f"Delete “{handler['name']}”?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(delete_link).to_be_focused()

    delete_link.click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Delete").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(f"#handler-{handler['id']}")).to_have_count(0)
    expect(summary(page)).to_contain_text(showing(1, 25, 39))
    expect(page.locator("#toasts")).to_contain_text(f"Deleted “{handler['name']}”.")
    assert stored(sandbox, api_key, handler["id"]) is None


def test_every_flow_works_without_javascript(
    browser, live_server, editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    # Wide enough for the date columns, which sort the list by date.
    context = browser.new_context(
        java_script_enabled=False,
        base_url=live_server.url,
        viewport={"width": 1920, "height": 1000},
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        open_list(page, editor, connection)

        page.get_by_role("link", name="Next page").click()
        expect(page).to_have_url(re.compile(r"\?page=2$"))
        expect(summary(page)).to_contain_text(showing(26, 40, 40))

        page.get_by_label("Per page").select_option("10")
        page.get_by_role("button", name="Show").click()
        expect(summary(page)).to_contain_text(showing(1, 10, 40))

        page.get_by_role("link", name="Created").click()
        expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "descending")
        expect(page).to_have_url(re.compile(r"order_by=datetime&order_type=DESC"))

        page.get_by_label("Type").select_option("slack")
        page.get_by_role("button", name="Apply filters").click()
        expect(page).to_have_url(re.compile(r"type=slack"))
        expect(page).to_have_url(re.compile(r"order_by=datetime"))
        types = page.locator("#handler-table tbody td:nth-child(2)").all_inner_texts()
        assert types and all("Slack" in t for t in types)
        first_id = page.locator("#handler-table tbody tr").first.get_attribute("id")
        slack = stored(sandbox, api_key, int(first_id.removeprefix("handler-")))
        if slack["is_enabled"] == 0:
            page.get_by_role("button", name=f"Enable {slack['name']}", exact=True).click()
            expect(page.get_by_text(f"“{slack['name']}” is on.")).to_be_visible()

        page.get_by_role("button", name=f"Enable {slack['name']}", exact=True).click()
        expect(page.get_by_text(f"“{slack['name']}” is off.")).to_be_visible()
        expect(page).to_have_url(re.compile(r"type=slack"))
        assert stored(sandbox, api_key, slack["id"])["is_enabled"] == 0
        page.get_by_role("button", name=f"Enable {slack['name']}", exact=True).click()
        expect(page.get_by_text(f"“{slack['name']}” is on.")).to_be_visible()
        assert stored(sandbox, api_key, slack["id"])["is_enabled"] == 1

        page.get_by_role("link", name=f"Delete {slack['name']}", exact=True).click()
        expect(page.get_by_role("heading", name=f"Delete “{slack['name']}”?")).to_be_visible()
        page.get_by_role("button", name="Delete").click()
        expect(page.get_by_text(f"Deleted “{slack['name']}”.")).to_be_visible()
        expect(page).to_have_url(re.compile(r"type=slack"))
        assert stored(sandbox, api_key, slack["id"]) is None
    finally:
        context.close()


def test_the_list_works_in_russian(
    page: Page, editor: User, connection: Connection, sandbox
) -> None:
    open_list(page, editor, connection)
    page.get_by_label("Language").select_option("ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("heading", name="Обработчики уведомлений")).to_be_visible()
    expect(page.get_by_role("link", name="Добавить обработчик")).to_be_visible()
    expect(page.locator("#handler-table tbody tr")).to_have_count(25)
    page.locator("#page-next").click()
    expect(page).to_have_url(re.compile(r"\?page=2$"))
    expect(page.locator("#handler-table tbody tr")).to_have_count(15)


def test_screenshots_of_the_list_at_desktop_and_phone_width(
    page: Page, editor: User, connection: Connection, sandbox
) -> None:
    open_list(page, editor, connection)
    screenshot(page, "handler-list-1280")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("#handler-table tbody tr").first).to_be_visible()
    # The table scrolls inside its own box; the page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "handler-list-390")


def test_a_filter_chosen_while_an_answer_settles_still_swaps_only_the_table(
    page: Page, editor: User, connection: Connection, sandbox
) -> None:
    """A sort answer brings a new filter form that htmx takes over only once the answer settles;
    a type chosen in that moment is sent by htmx, not by the browser reloading the page."""
    open_list(page, editor, connection)
    page.evaluate("window.notReloaded = true")
    # Widen the moment between the swap and the settle so the choice surely falls inside it.
    page.evaluate("htmx.config.defaultSettleDelay = 3000")

    page.get_by_role("link", name="Name", exact=True).click()
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    page.get_by_label("Type").select_option("email")
    expect(page).to_have_url(re.compile(r"type=email"))
    expect(page.locator("#handler-table tbody td:nth-child(2)").first).to_contain_text("E-mail")
    assert page.evaluate("window.notReloaded") is True
    # The address is the one htmx pushes: empty fields left out, the sort kept.
    assert "is_enabled" not in page.url
    assert "order_by=name" in page.url
