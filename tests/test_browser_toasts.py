"""Messages pop up as toasts: news goes by itself, an error stays until it is closed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import Page, expect

from handlers_app.models import Connection
from handlers_app.sandbox import Fault
from tests.helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_error_toast_stays_until_closed_while_news_goes_by_itself(
    page: Page, editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[2]
    page.clock.install()
    sign_in(page, editor)
    page.goto(reverse("handler_list", args=[connection.pk]))
    switch = page.get_by_role("button", name=f"Enable {handler['name']}", exact=True)

    switch.click()
    news = page.locator("#toasts .toast[role=status]")
    expect(news).to_contain_text("is off.")
    page.clock.run_for(60_000)
    expect(news).to_have_count(0)

    sandbox.add_fault(Fault("rate_limit", method="POST"))
    switch.click()
    error = page.locator("#toasts .toast[role=alert]")
    expect(error).to_contain_text("try again in")
    page.clock.run_for(60_000)
    expect(error).to_be_visible()
    error.get_by_role("button", name="Close").click()
    page.clock.run_for(1_000)
    expect(error).to_have_count(0)
