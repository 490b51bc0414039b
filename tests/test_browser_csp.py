"""Under the strict Content Security Policy the list works without a single violation, and a
reload of the table shows one indicator, not one per row."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import ConsoleMessage, Page, expect

from handlers_app.models import Connection
from tests.helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every violation the page sees, also those the console would not show.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
});
"""


def test_filtering_sorting_paging_switching_and_deleting_break_no_csp_rule(
    page: Page, editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    console: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            console.append(message.text)

    page.on("console", keep)
    page.add_init_script(RECORD_VIOLATIONS)
    handler = sandbox.handlers(api_key)[3]
    sign_in(page, editor)
    page.goto(reverse("handler_list", args=[connection.pk]))
    summary = page.locator("#handler-table-summary")
    switch = page.get_by_role("button", name=f"Enable {handler['name']}", exact=True)
    switch.click()
    expect(switch).to_have_attribute("aria-pressed", "false")
    page.get_by_role("link", name=f"Delete {handler['name']}", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator(f"#handler-{handler['id']}")).to_have_count(0)

    page.get_by_label("Type").select_option("slack")
    expect(summary).to_contain_text("type:")
    page.get_by_role("link", name="Clear filters").click()
    expect(summary).not_to_contain_text("type:")
    page.get_by_role("link", name="Name", exact=True).click()
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    page.get_by_role("link", name="Next page").click()
    expect(summary).to_contain_text("Showing 26")
    page.get_by_role("link", name="First page").click()
    expect(summary).to_contain_text("Showing 1")

    assert page.evaluate("window.cspViolations") == []

    # The other pages, each with its own scripts and swaps.
    for url in (
        reverse("home"),
        reverse("handler_new", args=[connection.pk]),
        reverse("handler_edit", args=[connection.pk, sandbox.handlers(api_key)[0]["id"]]),
        reverse("journal"),
        reverse("team_detail", args=[connection.team_id]),
        reverse("handler_import", args=[connection.pk]),
    ):
        page.goto(url)
        expect(page.locator("h1")).to_be_visible()
        assert page.evaluate("window.cspViolations") == [], url
    assert [text for text in console if "Content Security Policy" in text] == []


def test_a_reload_of_the_table_shows_one_indicator(
    page: Page, editor: User, connection: Connection, sandbox
) -> None:
    sign_in(page, editor)
    page.goto(reverse("handler_list", args=[connection.pk]))
    # Hold the answer back, to look at the page while it waits.
    release: list = []
    page.route("**/handlers/?page=2", lambda route: release.append(route))
    page.get_by_role("link", name="Next page").click()
    page.wait_for_function("document.querySelector('#handler-table.htmx-request') !== null")
    visible_indicators = page.evaluate(
        """() => [...document.querySelectorAll(".htmx-indicator, .spinner-border")]
              .filter((el) => getComputedStyle(el).opacity !== "0"
                              && getComputedStyle(el).display !== "none").length"""
    )
    assert visible_indicators == 1
    release[0].continue_()
    expect(page.locator("#handler-table-summary")).to_contain_text("Showing 26")


def test_a_swapped_row_or_filter_form_does_not_carry_over_an_empty_inline_style(
    page: Page, editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    """A script (Bootstrap's, a browser extension's) may leave `style=""` on an element through
    the style object, which the policy allows; htmx must not write it back as an attribute
    when it swaps in the element's new version, which the policy refuses."""
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(RECORD_VIOLATIONS)
    handler = sandbox.handlers(api_key)[2]
    sign_in(page, editor)
    page.goto(reverse("handler_list", args=[connection.pk]))
    leave_empty_style = """(selector) => {
      const el = document.querySelector(selector);
      el.style.color = "red";
      el.style.color = "";
    }"""
    page.evaluate(leave_empty_style, f"#handler-{handler['id']}")
    switch = page.get_by_role("button", name=f"Enable {handler['name']}", exact=True)
    switch.click()
    expect(switch).to_have_attribute("aria-pressed", "false")
    page.evaluate(leave_empty_style, "#filter-type")
    page.evaluate(leave_empty_style, "#handler-table")
    page.get_by_role("link", name="Next page").click()
    expect(page.locator("#handler-table-summary")).to_contain_text("Showing 26")
    page.get_by_role("link", name="Name", exact=True).click()
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    page.evaluate(leave_empty_style, "#sort-select")
    page.get_by_label("Sort by").select_option("status:ASC")
    expect(page.locator("th[aria-sort]")).to_contain_text("Status")
    assert page.evaluate("window.cspViolations") == []
    assert [text for text in console if "Content Security Policy" in text] == []
