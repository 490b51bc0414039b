"""Keeping one's place in the list, in a real browser: htmx swaps the table, the form posts
through htmx, and the save comes back to the same page of the same filtered list."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import Page, expect

from handlers_app.models import Connection
from tests.helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_save_from_page_two_of_a_filtered_list_comes_back_there_with_the_row_marked(
    page: Page, editor: User, connection: Connection
) -> None:
    sign_in(page, editor)
    page.goto(reverse("handler_list", args=[connection.pk]))
    page.get_by_label("Per page").select_option("10")
    expect(page).to_have_url(re.compile(r"results_per_page=10"))
    page.get_by_label("Status").select_option(label="Enabled")
    expect(page).to_have_url(re.compile(r"is_enabled=1"))
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    listed = page.url

    row = page.locator("#handler-table tbody tr").nth(2)
    row_id = row.get_attribute("id")
    row.get_by_role("link", name=re.compile("^Edit")).click()
    expect(page.get_by_role("heading", name="Edit handler")).to_be_visible()
    name = page.get_by_label("Name")
    name.fill(f"{name.input_value()} (night)")
    page.get_by_role("button", name="Save changes").click()

    expect(page).to_have_url(re.compile(r"highlight="))
    assert page.url.startswith(f"{listed}&")
    expect(page.get_by_label("Status")).to_have_value("1")
    expect(page.locator("#page-2")).to_have_attribute("aria-current", "page")
    marked = page.locator("#handler-table tr.row-saved")
    expect(marked).to_have_count(1)
    expect(marked).to_have_attribute("id", row_id)
    expect(marked).to_contain_text("(night)")
