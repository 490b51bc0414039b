"""In a real browser: an owner invites a colleague, the colleague deletes a handler, the owner
finds it in the journal and restores it."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import Page, expect

from handlers_app.models import Connection, JournalAction, JournalEntry, Membership, Role
from tests.helpers import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def test_an_invited_editor_deletes_a_handler_and_the_owner_restores_it_from_the_journal(
    page: Page,
    browser,
    live_server,
    owner: User,
    connection: Connection,
    sandbox,
    api_key: str,
) -> None:
    telegram = next(h for h in sandbox.handlers(api_key) if h["type"] == "telegram")
    team_url = reverse("team_detail", args=[connection.team_id])

    # The owner makes a one-time link for an editor.
    sign_in(page, owner)
    page.goto(team_url)
    invitations = page.locator("#invitations")
    invitations.get_by_label("Role").select_option("editor")
    invitations.get_by_role("button", name="Create a link").click()
    link_field = page.get_by_label("Invitation link")
    expect(link_field).to_have_value(re.compile(r"/invitations/[\w-]+/$"))
    link = link_field.input_value()
    screenshot(page, "team-invitation-link")

    # The colleague opens it in a browser of their own and signs up.
    colleague_context = browser.new_context(base_url=live_server.url, locale="en-US")
    colleague_context.set_default_timeout(10_000)
    colleague = colleague_context.new_page()
    colleague.goto(link)
    expect(colleague.get_by_role("heading", name="Join “Support”")).to_be_visible()
    colleague.get_by_label("Username").fill("nina")
    colleague.get_by_label("E-mail address").fill("nina@example.com")
    colleague.locator("#id_password1").fill(NEW_PASSWORD)
    colleague.locator("#id_password2").fill(NEW_PASSWORD)
    colleague.get_by_role("button", name="Create account and join").click()
    expect(colleague).to_have_url(re.compile(re.escape(team_url) + "$"))
    expect(colleague.locator("#members")).to_contain_text("nina")
    nina = User.objects.get(username="nina")
    assert Membership.objects.get(user=nina, team=connection.team).role == Role.EDITOR

    # The colleague deletes a handler through the list's dialog.
    colleague.goto(reverse("handler_list", args=[connection.pk]))
    row = colleague.locator(f"#handler-{telegram['id']}")
    row.get_by_role("link", name="Delete").click()
    dialog = colleague.locator("#modal")
    expect(dialog).to_contain_text(telegram["name"])
    dialog.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    assert telegram["id"] not in [h["id"] for h in sandbox.handlers(api_key)]
    colleague_context.close()

    # The owner sees it in the journal and restores it.
    page.goto(reverse("journal"))
    deleted_row = page.locator("#journal-table tbody tr", has_text="Handler deleted")
    expect(deleted_row).to_contain_text("nina")
    expect(deleted_row).to_contain_text(f"{telegram['name']} (#{telegram['id']})")
    screenshot(page, "journal")
    deleted_row.get_by_role("link", name="Bring it back").click()
    expect(page.get_by_role("heading", name=f"Restore “{telegram['name']}”?")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Bot token")
    screenshot(page, "journal-restore")
    # The bot token is a secret; the chat ID is shown on purpose.
    assert telegram["settings"]["telegram"] not in page.content()
    page.get_by_role("button", name="Create it again").click()
    expect(page.locator("#toasts")).to_contain_text("is back")

    restored = JournalEntry.objects.filter(action=JournalAction.HANDLER_RESTORED).get()
    assert (restored.user, restored.previous_handler_id) == (owner, telegram["id"])
    expect(page).to_have_url(
        re.compile(re.escape(reverse("handler_journal", args=[connection.pk, restored.handler_id])))
    )
    expect(page.locator("#journal-table")).to_contain_text(f"was #{telegram['id']}")
    again = next(h for h in sandbox.handlers(api_key) if h["id"] == restored.handler_id)
    assert (again["name"], again["type"], again["settings"]) == (
        telegram["name"],
        telegram["type"],
        telegram["settings"],
    )
