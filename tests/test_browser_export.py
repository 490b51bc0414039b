"""The export page in a real browser: without JavaScript an owner is warned and then downloads
the file with its secrets; the page and its warning fit a phone and a desktop in both
languages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import expect

from handlers_app.models import Connection, JournalAction, JournalEntry
from handlers_app.sandbox import Sandbox
from tests.helpers import PASSWORD, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BOT_TOKEN = "7000000003:AAHexportedBrowserToken42"
LONG_NAME = "Escalation-" + "x" * 117


@pytest.fixture
def set_up(sandbox: Sandbox, api_key: str) -> None:
    sandbox.add_handler(
        api_key,
        type="telegram",
        name=LONG_NAME,
        settings={"telegram": BOT_TOKEN, "telegram_chat_id": "-1001234567890"},
    )


def sign_in_any_language(page, user: User) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def context_for(browser, live_server, *, language: str, width: int, javascript: bool = True):
    context = browser.new_context(
        base_url=live_server.url,
        locale=language,
        viewport={"width": width, "height": 900},
        java_script_enabled=javascript,
    )
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def no_js_page(browser, live_server) -> Iterator[object]:
    context = context_for(browser, live_server, language="en-US", width=1280, javascript=False)
    yield context.new_page()
    context.close()


def test_without_javascript_an_owner_is_warned_then_downloads_the_secrets(
    no_js_page, owner: User, connection: Connection, set_up: None
) -> None:
    page = no_js_page
    sign_in(page, owner)
    page.goto(reverse("handler_list", args=[connection.pk]) + "?type=telegram")

    page.locator("#export-link").click()
    expect(page.locator("#export-scope")).to_contain_text("matching the list's filter")
    page.get_by_label("CSV: one column per setting").check()
    page.get_by_label("Include secrets").check()
    page.get_by_role("button", name="Download", exact=True).click()

    expect(page.get_by_role("heading", name="This file will hold the secrets")).to_be_visible()
    assert BOT_TOKEN not in page.content()
    assert not JournalEntry.objects.exists()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download with the secrets").click()
    content = download_info.value.path().read_text(encoding="utf-8-sig")

    assert content.startswith('"Type","Name","On",')
    assert BOT_TOKEN in content
    assert JournalEntry.objects.get().action == JournalAction.HANDLERS_EXPORTED_WITH_SECRETS


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_export_page_and_its_warning_fit_without_scrolling_sideways(
    browser,
    live_server,
    language: str,
    width: int,
    owner: User,
    connection: Connection,
    set_up: None,
) -> None:
    context = context_for(browser, live_server, language=language, width=width)
    page = context.new_page()
    try:
        sign_in_any_language(page, owner)
        page.goto(reverse("handler_export", args=[connection.pk]) + "?search=Escalation")
        page.locator("#export-handlers summary").click()
        expect(page.locator("#export-handlers")).to_contain_text(LONG_NAME)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"export-{language}-{width}")

        page.locator("#id_include_secrets").check()
        page.locator("#export-download").click()
        expect(page.locator("#export-confirm")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"export-warning-{language}-{width}")
    finally:
        context.close()
