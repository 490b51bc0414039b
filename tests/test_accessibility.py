"""axe-core finds no serious or critical problem on the handler pages."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import Page, expect

from handlers_app.models import Connection
from tests.helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKING = {"serious", "critical"}


def serious_violations(page: Page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
        if v["impact"] in BLOCKING
    ]


def test_the_list_page(page: Page, editor: User, connection: Connection, sandbox) -> None:
    sign_in(page, editor)
    page.goto(reverse("handler_list", args=[connection.pk]) + "?order_by=name&type=email")
    expect(page.locator("#handler-table tbody tr").first).to_be_visible()
    assert serious_violations(page) == []


def test_the_list_page_on_a_phone(
    page: Page, viewer: User, connection: Connection, sandbox
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, viewer)
    page.goto(reverse("handler_list", args=[connection.pk]))
    expect(page.locator("#handler-table tbody tr").first).to_be_visible()
    assert serious_violations(page) == []


def test_the_empty_and_no_match_states(
    page: Page, editor: User, connection: Connection, sandbox
) -> None:
    sign_in(page, editor)
    page.goto(reverse("handler_list", args=[connection.pk]) + "?search=nothing+like+this")
    expect(page.get_by_text("No handlers match these filters.")).to_be_visible()
    assert serious_violations(page) == []

    connection.set_api_key(sandbox.add_account(seed=0))
    connection.save()
    page.goto(reverse("handler_list", args=[connection.pk]))
    expect(page.get_by_text("No notification handlers yet")).to_be_visible()
    assert serious_violations(page) == []


def test_the_delete_dialog_and_page(
    page: Page, editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[0]
    sign_in(page, editor)
    page.goto(reverse("handler_list", args=[connection.pk]))
    page.get_by_role("link", name=f"Delete {handler['name']}", exact=True).click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert serious_violations(page) == []

    page.goto(reverse("handler_delete", args=[connection.pk, handler["id"]]))
    expect(page.get_by_role("heading", name=f"Delete “{handler['name']}”?")).to_be_visible()
    assert serious_violations(page) == []


def test_the_create_page(page: Page, editor: User, connection: Connection, sandbox) -> None:
    sign_in(page, editor)
    page.goto(reverse("handler_new", args=[connection.pk]) + "?type=telegram")
    expect(page.locator("form#handler-form")).to_be_visible()
    assert serious_violations(page) == []


def test_the_edit_page(
    page: Page, editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[6]
    sign_in(page, editor)
    page.goto(reverse("handler_edit", args=[connection.pk, handler["id"]]))
    expect(page.locator("form#handler-form")).to_be_visible()
    assert serious_violations(page) == []
