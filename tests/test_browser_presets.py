"""Saved set-ups in a real browser: saved from the list and added to two connections without
JavaScript, and their pages at phone and desktop widths in both languages."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import Page, expect

from handlers_app.models import Connection, SavedSetup, Team
from handlers_app.presets import setup_create
from tests.helpers import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 1366)


def second_connection(team: Team, sandbox) -> tuple[Connection, str]:
    api_key = sandbox.add_account(seed=2)
    connection = Connection(team=team, name="Staging", base_url=sandbox.base_url)
    connection.set_api_key(api_key)
    connection.save()
    return connection, api_key


def test_a_setup_is_saved_applied_and_used_without_javascript(
    browser, live_server, editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    staging, staging_key = second_connection(connection.team, sandbox)
    telegram = next(h for h in sandbox.handlers(api_key) if h["type"] == "telegram")
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, editor)
        page.goto(reverse("handler_list", args=[connection.pk]))
        row = page.locator("tbody tr").filter(has=page.get_by_text(telegram["name"], exact=True))
        row.get_by_role("link", name=re.compile("^More")).click()
        page.get_by_role("link", name="Save as a set-up").click()
        page.get_by_label("Name of the set-up").fill("On-call bot")
        page.get_by_role("button", name="Save the set-up").click()
        # Back on the list it was saved from, which says so.
        expect(page.get_by_text("Saved “On-call bot” as a set-up of")).to_be_visible()
        expect(page.locator("#handler-table")).to_be_visible()
        page.goto(reverse("setup_list", args=[connection.team_id]))
        expect(page.get_by_role("heading", name="On-call bot")).to_be_visible()
        assert telegram["settings"]["telegram"] not in page.content()

        page.get_by_role("link", name="Add to connections · On-call bot").click()
        page.get_by_label("Soclook main").check()
        page.get_by_label("Staging").check()
        page.get_by_role("button", name="Show what will be added").click()
        plan = page.locator("#apply-plan li")
        expect(plan.filter(has_text="Soclook main")).to_contain_text("Skipped")
        expect(plan.filter(has_text="Soclook main")).to_contain_text(telegram["name"])
        expect(plan.filter(has_text="Staging")).to_contain_text("Will be added")
        page.get_by_role("button", name="Add to 1 connection").click()
        expect(page.get_by_role("heading", name="Added to 1 of 2 connections")).to_be_visible()
        expect(page.locator("#outcomes")).to_contain_text("skipped, nothing sent")

        page.goto(reverse("handler_new", args=[staging.pk]))
        page.get_by_label("Add from a saved set-up").select_option(label="On-call bot · Telegram")
        page.get_by_role("button", name="Fill in from it").click()
        page.locator("#id_name").fill("Bot, second copy")
        page.get_by_role("button", name="Add handler").click()
        # Staging already has the set-up (added above): the form asks first.
        expect(page.locator("#same-place")).to_contain_text("“On-call bot” already sends")
        page.get_by_role("button", name="Add it anyway").click()
        expect(page.get_by_text("Added “Bot, second copy”.")).to_be_visible()
    finally:
        context.close()

    assert [h for h in sandbox.handlers(api_key) if h["name"] == "On-call bot"] == []
    copies = [h for h in sandbox.handlers(staging_key) if h["name"] == "On-call bot"]
    assert [c["settings"]["telegram"] for c in copies] == [telegram["settings"]["telegram"]]
    (second,) = [h for h in sandbox.handlers(staging_key) if h["name"] == "Bot, second copy"]
    assert second["settings"]["telegram"] == telegram["settings"]["telegram"]


def fits(page: Page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_setup_pages_never_scroll_sideways(
    page: Page, live_server, editor: User, connection: Connection, sandbox, language: str
) -> None:
    team = connection.team
    long_name = (
        "Дежурная смена поддержки, Telegram-бот для срочных уведомлений при сбоях платежей"
        if language == "ru"
        else "Support on-call rota, the Telegram bot for urgent payment failure alerts"
    )
    setups: list[SavedSetup] = [
        setup_create(
            team=team,
            user=editor,
            name=long_name,
            type="telegram",
            settings={"telegram": "123456789:AAHlong-token", "telegram_chat_id": "-100123456"},
        ),
        setup_create(
            team=team,
            user=editor,
            name="Escalation e-mail",
            type="email",
            settings={"email": "very.long.escalation.address.for.the.night.shift@example.com"},
        ),
    ]
    second_connection(team, sandbox)
    sign_in(page, editor)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    pages = {
        "setups": reverse("setup_list", args=[team.pk]),
        "setup-apply": reverse("setup_apply", args=[team.pk, setups[0].pk]),
        "setup-edit": reverse("setup_edit", args=[team.pk, setups[0].pk]),
        "handler-new-from-setup": reverse("handler_new", args=[connection.pk])
        + f"?setup={setups[0].pk}",
        "setup-save-many": reverse("setup_save_many", args=[connection.pk]) + "?ids=1,3,5,9",
    }
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in pages.items():
            page.goto(url)
            expect(page.locator("html")).to_have_attribute("lang", language)
            assert fits(page), f"{name} scrolls sideways at {width} px in {language}"
            screenshot(page, f"{name}-{width}-{language}")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_apply_preview_and_outcome_never_scroll_sideways(
    page: Page, live_server, editor: User, connection: Connection, sandbox, language: str
) -> None:
    team = connection.team
    long_name = (
        "Дежурная смена поддержки, Telegram-бот для срочных уведомлений при сбоях платежей"
        if language == "ru"
        else "Support on-call rota, the Telegram bot for urgent payment failure alerts"
    )
    _staging, staging_key = second_connection(team, sandbox)
    chat = "-1009876543210"
    sandbox.add_handler(
        staging_key,
        type="telegram",
        name=long_name,
        settings={"telegram": "111:already-there", "telegram_chat_id": chat},
    )
    setup = setup_create(
        team=team,
        user=editor,
        name=long_name,
        type="telegram",
        settings={"telegram": "123456789:AAHlong-token", "telegram_chat_id": chat},
    )
    sign_in(page, editor)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    url = reverse("setup_apply", args=[team.pk, setup.pk])
    widths = (360, 1920)
    for width in widths:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        page.locator("input[name=connections]").first.check()
        page.locator("input[name=connections]").last.check()
        page.locator("#apply-preview-button").click()
        expect(page.locator("#apply-plan li")).to_have_count(2)
        assert fits(page), f"the preview scrolls sideways at {width} px in {language}"
        screenshot(page, f"setup-apply-preview-{width}-{language}")
    page.locator("button[name=confirm]").click()
    expect(page.locator("#outcomes li")).to_have_count(2)
    for width in widths:
        page.set_viewport_size({"width": width, "height": 900})
        assert fits(page), f"the outcome scrolls sideways at {width} px in {language}"
        screenshot(page, f"setup-apply-outcome-{width}-{language}")
    assert len([h for h in sandbox.handlers(staging_key) if h["name"] == long_name]) == 1
