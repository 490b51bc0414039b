"""Sending a test from the create form and from a row of the list, in a real browser.

Nothing leaves this machine: the webhook is a local server, Telegram is answered at the HTTP
level behind the guard (tests/fake_destinations.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import expect

from handlers_app.models import Connection
from handlers_app.sandbox import Sandbox
from tests.fake_destinations import Destination, Reply, Services, allow_local, running_destination
from tests.helpers import PASSWORD, screenshot, sign_in
from tests.test_browser_forms import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TELEGRAM = {"telegram": "555000:AAHbrowserStoredToken4321", "telegram_chat_id": "-1009998887776"}
CHAT_NOT_FOUND = Reply(
    400, '{"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}'
)


@pytest.fixture
def destination(settings) -> Iterator[Destination]:
    with running_destination() as running:
        allow_local(settings, running)
        yield running


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Services:
    return Services(monkeypatch)


@pytest.fixture
def duty_bot(sandbox: Sandbox, api_key: str) -> dict:
    return sandbox.add_handler(api_key, type="telegram", name="Duty bot", settings=TELEGRAM)


def new_path(connection: Connection) -> str:
    return reverse("handler_new", args=[connection.pk])


def fill_webhook_form(page, connection: Connection, url: str) -> None:
    page.goto(new_path(connection))
    page.locator("#id_name").fill("Night shift")
    page.locator("label[for='id_type_webhook']").click()
    page.locator("#type-fields [name='webhook']").fill(url)


def test_a_test_from_the_create_form_shows_delivery_and_keeps_what_is_typed(
    page, editor: User, connection: Connection, destination: Destination
) -> None:
    sign_in(page, editor)
    fill_webhook_form(page, connection, destination.url("/night"))

    page.get_by_role("button", name="Send a test").click()

    outcome = page.locator("#test-outcome")
    outcome.wait_for()
    page.locator("#test-send-button:enabled").wait_for()
    assert outcome.inner_text().strip() == "Delivered. 127.0.0.1 accepted the test (HTTP 200)."
    assert page.url.endswith(new_path(connection))
    assert page.get_by_label("Name").input_value() == "Night shift"
    assert page.locator("[name='webhook']").input_value() == destination.url("/night")
    (received,) = destination.received
    assert received.json()["handler"] == "Night shift"
    page.wait_for_function("!document.querySelector('.htmx-request')")
    assert serious_violations(page) == []


def test_without_javascript_the_forms_test_is_a_plain_post_that_keeps_what_is_typed(
    browser, live_server, editor: User, connection: Connection, destination: Destination
) -> None:
    context = browser.new_context(
        java_script_enabled=False, base_url=live_server.url, locale="en-US"
    )
    page = context.new_page()
    try:
        sign_in(page, editor)
        page.goto(new_path(connection) + "?type=webhook")
        page.get_by_label("Name").fill("Night shift")
        page.locator("[name='webhook']").fill(destination.url("/plain"))
        page.get_by_role("button", name="Send a test").click()

        page.locator("#test-outcome").wait_for()
        assert "Delivered." in page.locator("#test-outcome").inner_text()
        assert page.get_by_label("Name").input_value() == "Night shift"
        assert page.locator("[name='webhook']").input_value() == destination.url("/plain")
        assert [r.path for r in destination.received] == ["/plain"]
    finally:
        context.close()


def test_a_test_from_a_row_explains_the_failure_in_place(
    page, editor: User, connection: Connection, services: Services, duty_bot: dict
) -> None:
    services.answer(CHAT_NOT_FOUND)
    sign_in(page, editor)
    page.goto(connection.get_absolute_url() + "?search=Duty")

    page.get_by_role("button", name="Send a test to Duty bot").click()

    row = page.locator(f"#handler-{duty_bot['id']}")
    row.get_by_text("last test failed: chat not found").wait_for()
    explanation = page.locator(f"#test-outcome-{duty_bot['id']}").inner_text().strip()
    assert explanation.startswith("Not delivered. Telegram does not know this chat")
    assert explanation.endswith("Its answer: Bad Request: chat not found")
    # Checked once the request is over: while it runs, the table is dimmed on purpose.
    page.wait_for_function("!document.querySelector('.htmx-request')")
    assert serious_violations(page) == []
    (request,) = services.received
    assert request.url.endswith("/bot555000:AAHbrowserStoredToken4321/sendMessage")

    page.get_by_role("button", name="Send a test to Duty bot").click()
    page.get_by_text("A test was sent to this handler moments ago.").wait_for()
    assert page.locator(".test-outcome-row").count() == 1, "the earlier result made way"
    assert len(services.received) == 1

    page.reload()
    row.get_by_text("last test failed: chat not found").wait_for()
    assert page.locator(".test-outcome-row").count() == 0


@pytest.mark.parametrize("language", ["en", "ru"])
def test_test_results_read_well_on_a_phone_and_a_desktop(
    browser,
    live_server,
    language: str,
    editor: User,
    connection: Connection,
    services: Services,
    sandbox: Sandbox,
    api_key: str,
) -> None:
    """Screenshots of the form and the list with a result, for review (test-artifacts/)."""
    # A bot of its own for each width: one handler takes a test every ten seconds.
    bots = {
        width: sandbox.add_handler(
            api_key, type="telegram", name=f"Duty bot {width}", settings=TELEGRAM
        )
        for width in (390, 1366)
    }
    for width, height in ((390, 844), (1366, 900)):
        bot = bots[width]
        context = browser.new_context(
            base_url=live_server.url,
            locale="ru-RU" if language == "ru" else "en-US",
            viewport={"width": width, "height": height},
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            sign_in_as(page, editor, language)
            services.answer(Reply(200, "ok"))
            fill_webhook_form(page, connection, f"https://hooks.example.com/{language}/{width}")
            page.locator("#test-send-button").click()
            page.locator("#test-outcome").wait_for()
            page.locator("#test-send-button:enabled").wait_for()
            page.locator("#test-send").scroll_into_view_if_needed()
            screenshot(page, f"testsend-form-{language}-{width}")
            assert page.evaluate("document.documentElement.scrollWidth") <= width

            services.answer(CHAT_NOT_FOUND)
            page.goto(connection.get_absolute_url() + "?search=Duty")
            test_button = page.locator(f"button[formaction='{bot['id']}/test/']")
            test_button.click()
            page.locator(f"#test-outcome-{bot['id']}").wait_for()
            # The row comes back with the result; the focus stays on its Test button.
            expect(test_button).to_be_focused()
            screenshot(page, f"testsend-list-{language}-{width}")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            # The table fits too: the result under a row reads without scrolling sideways.
            table = page.locator("#handler-table table")
            assert table.evaluate("el => el.scrollWidth <= el.clientWidth")
        finally:
            context.close()


def sign_in_as(page, user: User, language: str) -> None:
    """Sign in through the sign-in page in the person's language."""
    if language == "en":
        sign_in(page, user)
        return
    page.goto("/accounts/login/")
    page.get_by_label("Имя пользователя").fill(user.username)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
