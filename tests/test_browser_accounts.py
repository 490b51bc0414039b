"""In a real browser: "Forgot password?" → the e-mail → its link → the new password signs in;
and the account pages (sign-in, reset, the invitation with its e-mail option, joining) as a
phone and a laptop show them, in English and Russian, saved to test-artifacts/ for review."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse
from playwright.sync_api import Page, expect

from handlers_app.models import Team
from tests.helpers import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-fresh-and-unusual-passphrase-77"


def link_in(body: str) -> str:
    found = re.search(r"https?://\S+", body)
    assert found, body
    return found.group(0)


def test_a_forgotten_password_is_reset_through_the_emailed_link(page: Page, owner: User) -> None:
    User.objects.filter(pk=owner.pk).update(email="olga@example.com")

    page.goto(reverse("login"))
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("E-mail address").fill("olga@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    (message,) = mail.outbox
    page.goto(link_in(message.body))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("heading", name="Your new password is set")).to_be_visible()

    page.get_by_role("link", name="Sign in").last.click()
    page.get_by_label("Username").fill("olga")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("button", name=re.compile("Sign out|olga"))).to_be_visible()


@pytest.mark.parametrize("locale", ["en-US", "ru-RU"])
@pytest.mark.parametrize("width", [390, 1366])
def test_the_account_pages_on_a_phone_and_a_laptop(
    browser, live_server, owner: User, team: Team, locale: str, width: int
) -> None:
    User.objects.filter(pk=owner.pk).update(email="olga@example.com")
    context = browser.new_context(
        base_url=live_server.url, locale=locale, viewport={"width": width, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    name = f"accounts-{locale[:2]}-{width}"

    page.goto(reverse("login"))
    screenshot(page, f"{name}-1-sign-in")
    page.goto(reverse("password_reset"))
    screenshot(page, f"{name}-2-reset")
    page.locator("#id_email").fill("olga@example.com")
    page.locator("main form button.btn-primary").click()
    page.wait_for_url(re.compile("/done/$"))
    screenshot(page, f"{name}-3-reset-sent")
    page.goto(link_in(mail.outbox[-1].body))
    screenshot(page, f"{name}-4-new-password")
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.locator("main form button.btn-primary").click()
    page.wait_for_url(re.compile("/reset/done/$"))
    screenshot(page, f"{name}-5-password-set")
    page.goto(reverse("password_reset_confirm", args=["MQ", "not-a-token"]))
    screenshot(page, f"{name}-6-link-does-not-work")

    sign_in_page = context.new_page()
    sign_in_page.goto(reverse("login"))
    sign_in_page.locator("#id_username").fill("olga")
    sign_in_page.locator("#id_password").fill(NEW_PASSWORD)
    sign_in_page.locator("main form button.btn-primary").click()
    sign_in_page.wait_for_url(lambda url: "/accounts/login/" not in url)
    sign_in_page.goto(reverse("team_detail", args=[team.pk]))
    sign_in_page.locator("#id_email").fill("nina@example.com")
    sign_in_page.locator("#invitations form button[type=submit]").click()
    expect(sign_in_page.locator("#new-invitation-link")).to_be_visible()
    sign_in_page.locator("#invitations").scroll_into_view_if_needed()
    screenshot(sign_in_page, f"{name}-7-invitation-emailed")

    visitor = browser.new_context(
        base_url=live_server.url, locale=locale, viewport={"width": width, "height": 900}
    )
    joining = visitor.new_page()
    joining.goto(link_in(mail.outbox[-1].body))
    expect(joining.locator("#id_email")).to_be_visible()
    screenshot(joining, f"{name}-8-join")
    visitor.close()
    context.close()
