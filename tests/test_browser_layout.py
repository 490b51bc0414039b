"""The pages fit the screen: no sideways scrolling of the page or of a table from a phone to a wide
monitor, in English and in Russian, every row's actions in view, and no CSP violation on the way."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from handlers_app.models import Connection, JournalAction, JournalEntry, SavedSetup
from tests.helpers import ARTIFACTS, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [360, 390, 768, 1024, 1366, 1920]
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


# Every control a person can reach with Tab that lies (even in part) outside the window.
FOCUSABLE_OUT_OF_VIEW = """() => {
  const out = [];
  const controls = "a[href], button, input:not([type=hidden]), select, textarea, [tabindex='0']";
  document.querySelectorAll(controls).forEach((el) => {
    if (el.disabled || el.closest("[hidden], .modal:not(.show), .collapse:not(.show)")) return;
    const box = el.getBoundingClientRect();
    if (!el.getClientRects().length || el.matches(".visually-hidden-focusable")) return;
    if (box.left < -1 || box.right > window.innerWidth + 1) {
      out.push(`${el.tagName}#${el.id} ${el.textContent.trim().slice(0, 30)} ${box.left}`);
    }
  });
  return out;
}"""


# On a phone, the list's controls a finger aims at that are smaller than 44 by 44 px.
SMALL_TOUCH_TARGETS = """() => {
  const small = [];
  const targets = ".pagination .page-link, #handler-table tbody .actions > *,"
    + " #handler-table tbody [id^=status-] > button, .bulk-bar .btn, #sort-select,"
    + " #handler-table tbody input[name=ids]";
  document.querySelectorAll(targets).forEach((el) => {
    const box = el.getBoundingClientRect();
    if (box.width && (box.width < 44 || box.height < 44)) {
      small.push(`${el.id || el.textContent.trim() || el.name} ${box.width}x${box.height}`);
    }
  });
  return small;
}"""


# The points of a 44 by 44 px square around each row's checkbox (on a phone) where a tap would not
# reach it: what the finger meets there is some other element.
CHECKBOX_TAP_MISSES = """() => {
  const misses = [];
  document.querySelectorAll("#handler-table tbody input[name=ids]").forEach((box, i) => {
    if (i > 2) return;
    box.scrollIntoView({ block: "center", behavior: "instant" });
    const r = box.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    for (const dx of [-21, -11, 0, 11, 21]) {
      for (const dy of [-21, -11, 0, 11, 21]) {
        const hit = document.elementFromPoint(x + dx, y + dy);
        if (hit !== box) misses.push(`${box.value} ${dx},${dy}: ${hit && (hit.id || hit.tagName)}`);
      }
    }
  });
  return misses;
}"""


# A file whose preview holds long words and long problems: a name without spaces, an address
# without a break, an unknown type (its problem lists every type), and columns a type leaves empty.
IMPORT_FILE = (
    "type;name;email;telegram;telegram_chat_id;webhook\n"
    "email;Duty inbox;duty@example.com;;;\n"
    "telegram;Night bot;;7000000002:AAHlayoutImportToken99;-1004445556667;\n"
    "telegram;Broken bot;;has spaces in it;-100;\n"
    "pager;Paging the whole team;;;;\n"
    "webhook;The-night-shift-escalation-webhook-for-the-payments-platform;;;;"
    "https://hooks.example.com/a/very/long/path/that/goes/on/and/on/without/a/single/break\n"
    "email;Mail with extras;ops@example.com;7000000003:AAHextraLayoutToken;-1001234567890;\n"
)


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


@pytest.fixture
def saved_setup(connection: Connection, owner: User) -> SavedSetup:
    setup = SavedSetup(
        team=connection.team, name="Duty bot for the night shift", type="telegram", created_by=owner
    )
    setup.set_settings({"telegram": "123:AAHlayout", "telegram_chat_id": "-1001234567890"})
    setup.save()
    return setup


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_the_window_for_a_staff_account(
    page: Page,
    owner: User,
    editor: User,
    viewer: User,
    connection: Connection,
    sandbox,
    api_key: str,
    journal_entries: None,
    saved_setup: SavedSetup,
    width: int,
    language: str,
) -> None:
    """The top bar (with Operations and Admin), the list, the forms, the journal, the team with
    its members, the set-ups, the import and its preview: no sideways scrolling, no control out
    of view, the language switcher showing its words, and the list's order chosen on every width
    (on a phone, the rows' checkboxes answering a finger)."""
    owner.is_staff = True
    owner.save()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, owner)
    set_language(page, language)
    handler_id = sandbox.handlers(api_key)[0]["id"]
    pages = {
        "home": reverse("home"),
        "list": reverse("handler_list", args=[connection.pk]),
        "new": reverse("handler_new", args=[connection.pk]),
        "edit": reverse("handler_edit", args=[connection.pk, handler_id]),
        "journal": reverse("journal"),
        "team": reverse("team_detail", args=[connection.team_id]),
        "setups": reverse("setup_list", args=[connection.team_id]),
        "ops": reverse("ops"),
        "connection": reverse("connection_edit", args=[connection.pk]),
        "import": reverse("handler_import", args=[connection.pk]),
    }
    for name, url in pages.items():
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert page.evaluate(OVERFLOWS) == [], name
        assert page.evaluate(FOCUSABLE_OUT_OF_VIEW) == [], name
        switcher = page.locator("#language-select")
        if switcher.is_visible():
            box = switcher.bounding_box()
            assert box is not None and box["width"] >= 80, (name, box)
        if name in ("list", "team") and width in (390, 1366):
            screenshot(page, f"layout-staff-{name}-{width}-{language}")
        if name == "list":
            expect(page.locator("#sort-select")).to_be_visible()
            if width <= 390:
                assert page.evaluate(SMALL_TOUCH_TARGETS) == []
                assert page.evaluate(CHECKBOX_TAP_MISSES) == []
                # A tap near the corner of that square ticks the row, and a second one unticks it.
                checkbox = page.locator("#handler-table tbody input[name=ids]").first
                # In the middle of the window: the bulk bar that sticks to its top once a row is
                # ticked does not cover it.
                checkbox.evaluate("el => el.scrollIntoView({block: 'center', behavior: 'instant'})")
                box = checkbox.bounding_box()
                assert box is not None
                corner = (box["x"] + box["width"] / 2 - 20, box["y"] + box["height"] / 2 + 20)
                page.mouse.click(*corner)
                expect(checkbox).to_be_checked()
                page.mouse.click(*corner)
                expect(checkbox).not_to_be_checked()
    # The preview of an import (uploaded from the last page): its rows and their problems.
    page.locator("input[type=file]").set_input_files(
        {"name": "layout.csv", "mimeType": "text/csv", "buffer": IMPORT_FILE.encode()}
    )
    page.locator("#import-check").click()
    expect(page.locator("#import-summary")).to_be_visible()
    expect(page.locator("#import-rows tbody tr")).to_have_count(6)
    if width in (390, 1366):
        screenshot(page, f"layout-import-preview-{width}-{language}")
    assert page.evaluate(OVERFLOWS) == [], "import preview"
    assert page.evaluate(FOCUSABLE_OUT_OF_VIEW) == [], "import preview"
    # The top bar opened on a narrow screen fits too.
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        expect(page.locator("#main-nav")).to_be_visible()
        assert page.evaluate(OVERFLOWS) == []
        assert page.evaluate(FOCUSABLE_OUT_OF_VIEW) == []
        box = page.locator("#language-select").bounding_box()
        assert box is not None and box["width"] >= 80, box
