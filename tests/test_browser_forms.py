"""Adding and editing handlers in a real browser, with JavaScript and without."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.urls import reverse

from handlers_app.models import Connection
from handlers_app.sandbox import Fault, Sandbox
from handlers_app.soclook.types import HANDLER_TYPES, FieldKind, HandlerType
from tests.helpers import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE_BY_KIND = {
    FieldKind.EMAIL: "new-alerts@example.com",
    FieldKind.URL: "https://hooks.example.com/{name}/Br0wserS3cret",
    FieldKind.TOKEN: "tok-{name}-Pw7Lq2",
    FieldKind.CHAT_ID: "-1002223334445",
}
# Fields whose values have the shape of one service (the registry recognises other pastes).
SAMPLE_BY_FIELD = {
    "slack": "https://hooks.slack.com/services/T0/slack/Br0wserS3cret",
    "discord": "https://discord.com/api/webhooks/42/Br0wserS3cret",
    "telegram": "4242:tok-telegram-Pw7Lq2",
}
TELEGRAM = {"telegram": "555000:AAHbrowserStoredToken4321", "telegram_chat_id": "-1009998887776"}


def typed_settings(handler_type: HandlerType) -> dict[str, str]:
    return {
        spec.name: SAMPLE_BY_FIELD.get(spec.name)
        or SAMPLE_BY_KIND[spec.kind].format(name=spec.name)
        for spec in handler_type.fields
    }


def list_path(connection: Connection) -> str:
    return reverse("handler_list", kwargs={"connection_id": connection.pk})


def new_path(connection: Connection) -> str:
    return reverse("handler_new", args=[connection.pk])


def edit_path(connection: Connection, handler_id: int) -> str:
    return reverse("handler_edit", args=[connection.pk, handler_id])


def on_list(connection: Connection) -> re.Pattern[str]:
    return re.compile(re.escape(list_path(connection)) + r"(\?.*)?$")


def stored(sandbox: Sandbox, api_key: str, handler_id: int) -> dict:
    return next(h for h in sandbox.handlers(api_key) if h["id"] == handler_id)


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def editor_page(page, editor: User, connection: Connection):
    sign_in(page, editor)
    return page


@pytest.fixture
def no_js_page(browser, live_server, editor: User, connection: Connection) -> Iterator[object]:
    context = browser.new_context(
        java_script_enabled=False, base_url=live_server.url, locale="en-US"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, editor)
    yield page
    context.close()


@pytest.fixture
def telegram(sandbox: Sandbox, api_key: str) -> dict:
    return sandbox.add_handler(api_key, type="telegram", name="Duty bot", settings=TELEGRAM)


def test_editor_adds_one_handler_of_every_type_through_the_picker(
    editor_page, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    page = editor_page
    for slug, handler_type in HANDLER_TYPES.items():
        before = {h["id"] for h in sandbox.handlers(api_key)}
        page.goto(new_path(connection))
        page.get_by_label("Name").fill(f"Browser {slug}")
        page.locator(f"label[for='id_type_{slug}']").click()
        first = handler_type.fields[0].name
        page.locator(f"#type-fields [name='{first}']").wait_for()
        assert page.get_by_label("Name").input_value() == f"Browser {slug}"
        for name, value in typed_settings(handler_type).items():
            page.locator(f"[name='{name}']").fill(value)
        page.get_by_role("button", name="Add handler").click()
        page.wait_for_url(on_list(connection))

        (created,) = [h for h in sandbox.handlers(api_key) if h["id"] not in before]
        assert (created["name"], created["type"]) == (f"Browser {slug}", slug)
        for name, value in typed_settings(handler_type).items():
            assert created["settings"][name] == value


def test_the_type_picker_works_from_the_keyboard(editor_page, connection: Connection) -> None:
    page = editor_page
    page.goto(new_path(connection))
    page.get_by_label("Name").fill("Keys only")

    page.locator("#id_type_email").focus()
    page.keyboard.press("Space")
    page.locator("#type-fields [name='email']").wait_for()
    page.keyboard.press("ArrowRight")
    page.locator("#type-fields [name='webhook']").wait_for()

    assert page.locator("#type-fields [name='email']").count() == 0
    assert page.get_by_label("Name").input_value() == "Keys only"


def test_a_mistake_is_shown_next_to_the_field_and_in_the_summary(
    editor_page, connection: Connection, sandbox: Sandbox
) -> None:
    page = editor_page
    page.goto(new_path(connection) + "?type=webhook")
    page.get_by_label("Name").fill("Hooks")
    page.locator("[name='webhook']").fill("ftp://files.example.com/in")
    sandbox.clear_requests()

    page.get_by_role("button", name="Add handler").click()

    page.get_by_text("Please correct the following:").wait_for()
    assert (
        page.evaluate("document.activeElement.textContent")
        .strip()
        .startswith("Please correct the following:")
    ), "the summary takes the focus, so a screen reader reads it first"
    summary = page.get_by_role("alert").filter(has_text="Please correct the following:")
    assert "Webhook" in summary.inner_text(), summary.inner_text()
    page.locator("#id_webhook.is-invalid").wait_for()
    assert page.locator("#id_webhook").input_value() == "ftp://files.example.com/in"
    assert page.get_by_label("Name").input_value() == "Hooks"
    assert [r for r in sandbox.requests if r.method == "POST"] == []


@pytest.mark.parametrize("fault", ["plan_limit", "rate_limit", "slow"])
def test_when_soclook_refuses_everything_typed_stays(
    editor_page, connection: Connection, sandbox: Sandbox, api_key: str, settings, fault: str
) -> None:
    expected = {
        "plan_limit": "Вы достигли лимита обработчиков этого типа на вашем тарифе.",
        "rate_limit": "try again in",
        "slow": "may or may not have been saved",
    }[fault]
    if fault == "plan_limit":
        sandbox.set_plan_limit(api_key, "discord", 0)
    else:
        settings.SOCLOOK_TIMEOUT = 0.5
        sandbox.add_fault(Fault(fault, method="POST"))
    page = editor_page
    url = "https://discord.com/api/webhooks/1/KeepMe"
    page.goto(new_path(connection) + "?type=discord")
    page.get_by_label("Name").fill("Gamers")
    page.locator("[name='discord']").fill(url)

    page.get_by_role("button", name="Add handler").click()

    page.get_by_role("alert").filter(has_text=expected).wait_for()
    assert page.get_by_label("Name").input_value() == "Gamers"
    assert page.locator("[name='discord']").input_value() == url
    assert page.get_by_role("button", name="Add handler").is_enabled()


def test_editing_with_the_secret_left_empty_keeps_it(
    editor_page, connection: Connection, sandbox: Sandbox, api_key: str, telegram: dict
) -> None:
    page = editor_page
    page.goto(edit_path(connection, telegram["id"]))
    token = page.locator("[name='telegram']")
    assert token.input_value() == ""
    assert "Set, ends in ••••4321" in page.content()
    assert TELEGRAM["telegram"] not in page.content()

    page.get_by_label("Name").fill("Duty bot, nights")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(on_list(connection))

    record = stored(sandbox, api_key, telegram["id"])
    assert (record["name"], record["type"]) == ("Duty bot, nights", "telegram")
    assert record["settings"] == TELEGRAM


def test_changing_the_type_while_editing_swaps_the_fields_and_saves_the_new_type(
    editor_page, connection: Connection, sandbox: Sandbox, api_key: str, telegram: dict
) -> None:
    page = editor_page
    page.goto(edit_path(connection, telegram["id"]))

    page.locator("label[for='id_type_webhook']").click()
    page.locator("#type-fields [name='webhook']").fill("https://example.com/incoming/abc")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(on_list(connection))

    record = stored(sandbox, api_key, telegram["id"])
    assert (record["name"], record["type"]) == ("Duty bot", "webhook")
    assert record["settings"] == {"webhook": "https://example.com/incoming/abc"}


def test_without_javascript_a_handler_can_be_added_and_edited(
    no_js_page, connection: Connection, sandbox: Sandbox, api_key: str, telegram: dict
) -> None:
    page = no_js_page
    page.goto(new_path(connection))
    page.get_by_label("Name").fill("Plain HTML")
    page.locator("label[for='id_type_telegram']").click()
    page.get_by_role("button", name="Continue with this type").click()
    assert page.get_by_label("Name").input_value() == "Plain HTML"
    page.locator("[name='telegram']").fill("123:AAHnoJsToken")
    page.locator("[name='telegram_chat_id']").fill("-100111")
    page.get_by_role("button", name="Add handler").click()
    page.wait_for_url(on_list(connection))
    created = sandbox.handlers(api_key)[-1]
    assert (created["name"], created["type"]) == ("Plain HTML", "telegram")
    assert created["settings"] == {"telegram": "123:AAHnoJsToken", "telegram_chat_id": "-100111"}

    page.goto(edit_path(connection, telegram["id"]))
    page.get_by_label("Name").fill("Renamed without JS")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(on_list(connection))
    record = stored(sandbox, api_key, telegram["id"])
    assert record["name"] == "Renamed without JS"
    assert record["settings"] == TELEGRAM


def test_without_javascript_a_mistake_keeps_what_was_typed(
    no_js_page, connection: Connection
) -> None:
    page = no_js_page
    page.goto(new_path(connection) + "?type=email")
    page.get_by_label("Name").fill("Boss")
    page.locator("[name='email']").fill("boss-at-example")

    page.get_by_role("button", name="Add handler").click()

    page.get_by_text("Please correct the following:").wait_for()
    assert page.locator("[name='email']").input_value() == "boss-at-example"
    assert page.get_by_label("Name").input_value() == "Boss"


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_the_create_and_edit_pages_fit_desktop_and_phone_and_pass_axe(
    editor_page, connection: Connection, telegram: dict, width: int, height: int
) -> None:
    page = editor_page
    page.set_viewport_size({"width": width, "height": height})

    page.goto(new_path(connection) + "?type=telegram")
    page.get_by_label("Name").fill("Duty bot")
    create_violations = serious_violations(page)
    screenshot(page, f"handler-create-{width}")
    page.goto(edit_path(connection, telegram["id"]))
    edit_violations = serious_violations(page)
    screenshot(page, f"handler-edit-{width}")

    assert create_violations == []
    assert edit_violations == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
