"""A big account in a real browser: the list says how much of it is read, follows the reading
by itself, and once it is whole finds a handler by its destination."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import Page, expect

from handlers_app.accountcopy.store import copy_for, copy_read_page
from handlers_app.models import Connection
from tests.helpers import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BIG = 2500


@pytest.fixture
def big(team, owner: User, sandbox) -> Connection:
    key = sandbox.add_account(seed=BIG - 1)
    sandbox.add_handler(
        key, type="email", name="Night desk", settings={"email": "night@zebra.example"}
    )
    connection = Connection(team=team, name="Big", base_url=sandbox.base_url)
    connection.set_api_key(key)
    connection.created_by = owner
    connection.save()
    return connection


def read_the_rest(connection: Connection) -> None:
    copy = copy_for(connection)
    number = copy.pages_read + 1
    while not copy_read_page(copy, connection=connection, number=number):
        number += 1


def test_the_list_follows_the_reading_and_then_finds_a_destination(
    page: Page, editor: User, big: Connection
) -> None:
    sign_in(page, editor)
    page.goto(reverse("handler_list", args=[big.pk]) + "?search=zebra")
    expect(page.locator("#list-coverage")).to_contain_text("Read 1000 of 2500 handlers so far.")
    expect(page.locator("#search-not-covered")).to_contain_text(
        "No handler\N{RIGHT SINGLE QUOTATION MARK}s name contains “zebra”."
    )
    screenshot(page, "big-account-reading-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "big-account-reading-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    read_the_rest(big)

    expect(page.locator("#list-coverage")).to_contain_text(
        "All 2500 handlers are read", timeout=15_000
    )
    expect(page.locator("#handler-table tbody th[scope=row]")).to_have_text(["Night desk"])
    expect(page).to_have_url(f"{page.url.split('?')[0]}?search=zebra")
    screenshot(page, "big-account-read-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    screenshot(page, "big-account-read-1366")


def test_the_reading_line_and_the_empty_search_in_russian(
    page: Page, editor: User, big: Connection
) -> None:
    sign_in(page, editor)
    page.goto(reverse("handler_list", args=[big.pk]))
    page.get_by_label("Language").select_option("ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.goto(reverse("handler_list", args=[big.pk]) + "?search=zebra")
    expect(page.locator("#list-coverage")).to_contain_text("Прочитано обработчиков: 1000 из 2500.")
    expect(page.locator("#search-not-covered")).to_contain_text("Ни в одном названии нет «zebra».")
    screenshot(page, "big-account-reading-ru-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "big-account-reading-ru-390")

    read_the_rest(big)

    expect(page.locator("#list-coverage")).to_contain_text(
        "Прочитаны все обработчики (2500)", timeout=15_000
    )
    screenshot(page, "big-account-read-ru-390")
