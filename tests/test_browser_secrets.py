"""Secrets are typed into password boxes that can be shown on request; a Telegram chat ID is not
a secret and stays in view."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import Page, expect

from handlers_app.models import Connection
from handlers_app.sandbox import Sandbox
from handlers_app.soclook.types import HANDLER_TYPES
from tests.helpers import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TELEGRAM = {"telegram": "555000:AAHbrowserStoredToken4321", "telegram_chat_id": "-1009998887776"}


def test_every_secret_field_is_a_password_box_with_a_show_button(
    page: Page, editor: User, connection: Connection, sandbox
) -> None:
    sign_in(page, editor)
    page.goto(reverse("handler_new", args=[connection.pk]))
    for handler_type in HANDLER_TYPES.values():
        page.locator(f"label[for=id_type_{handler_type.slug}]").click()
        for spec in handler_type.fields:
            box = page.locator(f"#id_{spec.name}")
            expect(box).to_be_visible()
            expected = "password" if spec.secret else ("email" if spec.name == "email" else "text")
            expect(box).to_have_attribute("type", expected)
        if handler_type.slug == "x":
            box = page.locator("#id_x_access_token")
            box.fill("1234567890-abcdefghijkl")
            # The label names the box alone; the button says what it does, and for which field.
            expect(page.get_by_label("Access token").locator("xpath=self::button")).to_have_count(0)
            show = page.locator("button[aria-controls=id_x_access_token]")
            expect(show).to_have_accessible_name("Show the secret")
            expect(show).to_have_accessible_description(re.compile(r"^Access token\b"))
            show.click()
            expect(box).to_have_attribute("type", "text")
            expect(box).to_have_value("1234567890-abcdefghijkl")
            screenshot(page, "secrets-x-form")
            expect(show).to_have_accessible_name("Hide the secret")
            show.click()
            expect(box).to_have_attribute("type", "password")


def test_the_chat_id_shows_in_full_on_the_list_and_the_edit_form_and_the_token_does_not(
    page: Page, editor: User, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    bot = sandbox.add_handler(api_key, type="telegram", name="Duty bot", settings=TELEGRAM)
    sign_in(page, editor)
    page.goto(reverse("handler_list", args=[connection.pk]) + "?search=Duty")
    expect(page.locator(f"#handler-{bot['id']}")).to_contain_text("-1009998887776")

    page.goto(reverse("handler_edit", args=[connection.pk, bot["id"]]))
    expect(page.get_by_label("Chat ID")).to_have_value("-1009998887776")
    token = page.locator("#id_telegram")
    expect(token).to_have_attribute("type", "password")
    expect(token).to_have_value("")
    assert "AAHbrowserStoredToken" not in page.content()
