"""Importing handlers from a file in a real browser: upload, preview, confirm, and the job page
following the background worker until it is done."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from handlers_app.models import Connection
from handlers_app.sandbox import Sandbox
from tests.helpers import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILE = (
    "type;name;email;telegram;telegram_chat_id\n"
    "email;Duty inbox;duty@example.com;;\n"
    "telegram;Night bot;;7000000002:AAHbrowserImportToken99;-1004445556667\n"
    "telegram;Broken bot;;has spaces in it;-100\n"
)


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_an_editor_imports_a_file_and_watches_it_finish(
    page, editor: User, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    sign_in(page, editor)
    page.goto(reverse("handler_list", args=[connection.pk]))

    page.get_by_role("link", name="Import from a file").click()
    screenshot(page, "import-upload")
    page.get_by_label("CSV file").set_input_files(
        {"name": "team.csv", "mimeType": "text/csv", "buffer": FILE.encode()}
    )
    page.get_by_role("button", name="Check the file").click()

    expect(page.locator("#import-summary")).to_contain_text("2 of 3 rows are ready to import.")
    expect(page.locator("#import-row-4")).to_contain_text("Bot token (telegram): Remove the spaces")
    expect(page.locator("#import-row-3")).to_contain_text("Chat ID -1004445556667")
    assert "AAHbrowserImportToken99" not in page.content()
    assert serious_violations(page) == []
    screenshot(page, "import-preview")

    page.get_by_role("button", name="Import 2 handlers").click()
    expect(page.locator("#import-status")).to_contain_text("Waiting to start.")

    # The background worker picks it up; the page follows by itself.
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    expect(page.locator("#import-status")).to_contain_text(
        "Finished: 2 created, 0 refused by Soclook, 0 unknown, 1 left out for problems."
    )
    expect(page.locator("#import-row-2")).to_contain_text("Created")
    expect(page.get_by_role("button", name="Stop the import")).to_have_count(0)
    screenshot(page, "import-finished")

    page.get_by_role("link", name="Open the list of handlers").click()
    expect(page.locator("#handler-table-summary")).to_contain_text("of 42 handlers")
    assert {"Duty inbox", "Night bot"} <= {h["name"] for h in sandbox.handlers(api_key)}
