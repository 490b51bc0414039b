"""Nothing on the list moves once it is drawn: the controls shown only with JavaScript take
their room from the first paint, and icons theirs before their font arrives (Lighthouse's
layout shift, measured here the way browsers report it)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import Page, expect

from handlers_app.models import Connection
from tests.helpers import sign_in
from tests.test_browser_layout import set_language

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every layout shift of the page from its start, as the browser keeps them.
RECORD_SHIFTS = """
window.layoutShifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) {
      const moved = entry.sources.map((s) => s.node && (s.node.id || s.node.className));
      window.layoutShifts.push([entry.value, moved.join(" ")]);
    }
  }
}).observe({ type: "layout-shift", buffered: true });
"""


@pytest.mark.parametrize("width", [1350, 390])
def test_the_list_does_not_move_after_it_is_drawn(
    page: Page, editor: User, connection: Connection, sandbox, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 940})
    sign_in(page, editor)
    page.add_init_script(RECORD_SHIFTS)
    # Slow down the icons' font, as a first visit over a real network would.
    page.route(
        "**/bootstrap-icons.woff2*",
        lambda route: (page.wait_for_timeout(600), route.continue_()),
    )
    page.goto(reverse("handler_list", args=[connection.pk]))
    expect(page.locator("#bulk-count")).to_have_text("Selected: 0")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    shifts = page.evaluate("window.layoutShifts")
    assert sum(value for value, _moved in shifts) < 0.1, shifts


@pytest.mark.parametrize("language", ["en", "ru"])
def test_rows_drawn_as_they_arrive_over_a_slow_link_move_nothing(
    page: Page, editor: User, connection: Connection, sandbox, language: str
) -> None:
    """Over a slow link the browser draws the table before its last rows have come; the rows
    that come later must not widen or narrow the columns, nor a scrollbar push the page aside."""
    page.set_viewport_size({"width": 1350, "height": 940})
    sign_in(page, editor)
    set_language(page, language)
    url = reverse("handler_list", args=[connection.pk])
    page.goto(url)  # the stylesheets, scripts and fonts are in the browser's cache from here on
    page.add_init_script(RECORD_SHIFTS)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": 25_000, "uploadThroughput": -1},
    )
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    shifts = page.evaluate("window.layoutShifts")
    assert sum(value for value, _moved in shifts) < 0.1, shifts
