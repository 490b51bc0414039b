"""The pages fit the screen: no sideways scrolling of the page or of a table from a phone to a wide
monitor, in English and in Russian, every row's actions in view, and no CSP violation on the way."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from handlers_app.models import Connection, JournalAction, JournalEntry
from tests.helpers import ARTIFACTS, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [390, 1024, 1280, 1920]
LANGUAGES = ["en", "ru"]

# Every element that could scroll sideways: the page itself and each table with its wrapper.
OVERFLOWS = """() => {
  const wide = [];
  const root = document.documentElement;
  [root, ...document.querySelectorAll("table, .table-responsive")].forEach((el) => {
    if (el.scrollWidth > el.clientWidth) {
      wide.push(`${el.tagName}.${el.className} ${el.scrollWidth} > ${el.clientWidth}`);
    }
  });
  return wide;
}"""

# The interactive elements of each row that lie (even in part) outside the window.
ACTIONS_OUT_OF_VIEW = """() => {
  const out = [];
  document.querySelectorAll("#handler-table tbody tr[id^=handler-]").forEach((row) => {
    row.querySelectorAll("a, button:not(.js-hidden), input[role=switch]").forEach((el) => {
      const box = el.getBoundingClientRect();
      if (box.width && (box.left < 0 || box.right > window.innerWidth)) {
        out.push(`${row.id} ${el.textContent.trim() || el.id}`);
      }
    });
  });
  return out;
}"""


def set_language(page: Page, language: str) -> None:
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": page.url}]
    )


@pytest.fixture
def journal_entries(connection: Connection, editor: User, sandbox, api_key: str) -> None:
    for handler in sandbox.handlers(api_key)[:5]:
        JournalEntry.objects.create(
            team=connection.team,
            connection=connection,
            connection_name=connection.name,
            user=editor,
            user_name=editor.username,
            created_at=timezone.now(),
            action=JournalAction.HANDLER_CHANGED,
            handler_id=handler["id"],
            handler_name=handler["name"],
            handler_type=handler["type"],
            changes=[
                {
                    "field": "name",
                    "before": handler["name"],
                    "after": handler["name"] + " — the renamed and rather long handler name",
                },
                {
                    "field": "url",
                    "setting": True,
                    "before": "https://hooks.example.com/a/very/long/path/that/goes/on/and/on",
                    "after": "https://hooks.example.com/another/very/long/path/that/goes/on",
                },
            ],
        )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("width", WIDTHS)
def test_the_list_and_journal_fit_the_window(
    page: Page,
    editor: User,
    connection: Connection,
    sandbox,
    journal_entries: None,
    width: int,
    language: str,
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, editor)
    set_language(page, language)

    page.goto(reverse("handler_list", args=[connection.pk]))
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#handler-table tbody tr").first).to_be_visible()
    screenshot(page, f"layout-list-{width}-{language}")
    page.screenshot(path=str(ARTIFACTS / f"layout-list-{width}-{language}-top.png"))
    assert page.evaluate(OVERFLOWS) == []
    assert page.evaluate(ACTIONS_OUT_OF_VIEW) == []

    # A row's "More" opens its actions in a dialog that fits too.
    page.locator("#handler-table tbody tr a.more").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("link").first).to_be_visible()
    screenshot(page, f"layout-more-{width}-{language}")
    assert page.evaluate(OVERFLOWS) == []
    box = dialog.locator(".modal-content").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width

    page.goto(reverse("journal"))
    expect(page.locator("#journal-table tbody tr").first).to_be_visible()
    screenshot(page, f"layout-journal-{width}-{language}")
    assert page.evaluate(OVERFLOWS) == []
