"""Adding and editing a handler: the per-type form, its validation, and what reaches Soclook."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from handlers_app.models import Connection
from handlers_app.sandbox import Fault, Sandbox
from handlers_app.soclook.types import HANDLER_TYPES, FieldKind, FieldSpec, HandlerType
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}

SAMPLE_BY_KIND = {
    FieldKind.EMAIL: "new-alerts@example.com",
    FieldKind.URL: "https://hooks.example.com/services/T0KEN/{name}/s3cr3tpath",
    FieldKind.TOKEN: "tok-{name}-Zq8xW2vY7",
    FieldKind.CHAT_ID: "-1001234567890",
    FieldKind.TEXT: "some text",
}
# Fields whose values have the shape of one service (the registry recognises other pastes).
SAMPLE_BY_FIELD = {
    "slack": "https://hooks.slack.com/services/T0KEN/slack/s3cr3tpath",
    "discord": "https://discord.com/api/webhooks/42/s3cr3tpath",
    "telegram": "4242:tok-telegram-Zq8xW2vY7",
}


def sample(spec: FieldSpec) -> str:
    return SAMPLE_BY_FIELD.get(spec.name) or SAMPLE_BY_KIND[spec.kind].format(name=spec.name)


def typed_settings(handler_type: HandlerType) -> dict[str, str]:
    return {spec.name: sample(spec) for spec in handler_type.fields}


def new_url(connection: Connection) -> str:
    return reverse("handler_new", args=[connection.pk])


def edit_url(connection: Connection, handler_id: int) -> str:
    return reverse("handler_edit", args=[connection.pk, handler_id])


def list_url(connection: Connection) -> str:
    return reverse("handler_list", kwargs={"connection_id": connection.pk})


def checked_type(html: str) -> str | None:
    """The type the picker shows as chosen."""
    for radio in re.findall(r'<input[^>]*name="type"[^>]*>', html):
        if re.search(r"\schecked\b", radio):
            return re.search(r'value="([^"]*)"', radio)[1]
    return None


def messages_of(response: HttpResponse) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def stored(sandbox: Sandbox, api_key: str, handler_id: int) -> dict:
    return next(h for h in sandbox.handlers(api_key) if h["id"] == handler_id)


def settings_of(record: dict) -> dict[str, str]:
    """The settings a person sets (the service adds state such as email_is_confirmed)."""
    fields = HANDLER_TYPES[record["type"]].field_names
    return {key: value for key, value in record["settings"].items() if key in fields}


@pytest.fixture
def client(editor: User, connection: Connection) -> Client:
    return client_for(editor)


# --- adding ------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", list(HANDLER_TYPES))
def test_editor_adds_a_handler_of_every_type(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, slug: str
) -> None:
    typed = {"name": f"Team {slug}", "type": slug, **typed_settings(HANDLER_TYPES[slug])}
    before = {h["id"] for h in sandbox.handlers(api_key)}

    response = client.post(new_url(connection), typed)

    assert response.status_code == 302
    (created,) = [h for h in sandbox.handlers(api_key) if h["id"] not in before]
    # The 41st handler: on page 2, marked.
    assert response["Location"] == f"{list_url(connection)}?page=2&highlight={created['id']}"
    assert messages_of(response) == [f"Added “Team {slug}”."]
    assert created["name"] == f"Team {slug}"
    assert created["type"] == slug
    assert settings_of(created) == typed_settings(HANDLER_TYPES[slug])


def test_the_type_in_the_address_is_preselected_and_its_fields_shown(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    sandbox.clear_requests()

    response = client.get(new_url(connection) + "?type=telegram")

    html = response.content.decode()
    assert response.status_code == 200
    assert checked_type(html) == "telegram"
    assert 'name="telegram"' in html
    assert 'name="telegram_chat_id"' in html
    assert "@BotFather" in html
    assert sandbox.requests == []


def test_without_a_type_the_picker_shows_every_type_and_no_settings_fields(
    client: Client, connection: Connection
) -> None:
    response = client.get(new_url(connection))

    html = response.content.decode()
    for handler_type in HANDLER_TYPES.values():
        assert f'value="{handler_type.slug}"' in html
        assert str(handler_type.description) in html
        assert f"bi-{handler_type.icon}" in html
    assert "Choose a type above" in html
    assert 'name="webhook"' not in html


def test_adding_without_a_type_asks_for_one(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    sandbox.clear_requests()

    response = client.post(new_url(connection), {"name": "Ops"})

    assert response.status_code == 200
    assert "Choose where the notifications should go." in response.content.decode()
    assert sandbox.requests == []


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ({"type": "email", "email": "not-an-address"}, "Enter a full e-mail address"),
        ({"type": "webhook", "webhook": "ftp://files.example.com/in"}, "starts with https://"),
        ({"type": "slack", "slack": "https://"}, "starts with https://"),
        (
            {"type": "telegram", "telegram": "123:ABC", "telegram_chat_id": "my chat"},
            "Enter a numeric chat ID",
        ),
        ({"type": "webhook", "name": "n" * 129, "webhook": "https://example.com/h"}, "128"),
        ({"type": "discord", "discord": "https://discord.com/" + "a" * 494}, "at most 512"),
        ({"type": "x", "x_consumer_key": "key", "x_consumer_secret": ""}, "required"),
        ({"type": "webhook", "name": "   ", "webhook": "https://example.com/h"}, "required"),
    ],
)
def test_invalid_input_is_explained_next_to_the_field_without_asking_soclook(
    client: Client, connection: Connection, sandbox: Sandbox, typed: dict, message: str
) -> None:
    sandbox.clear_requests()

    response = client.post(new_url(connection), {"name": "Ops", **typed})

    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "is-invalid" in html
    assert "Please correct the following:" in html
    assert sandbox.requests == []


def test_a_negative_chat_id_is_accepted(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    typed = {"telegram": "123456:AAHtoken", "telegram_chat_id": "-100987654321"}

    response = client.post(new_url(connection), {"name": "Group", "type": "telegram", **typed})

    assert response.status_code == 302
    assert settings_of(sandbox.handlers(api_key)[-1]) == typed


def test_a_refusal_by_soclook_keeps_everything_typed_and_shows_its_title(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    sandbox.set_plan_limit(api_key, "slack", 0)
    url = "https://hooks.slack.com/services/T0/B0/planlimit99"

    response = client.post(new_url(connection), {"name": "Sales", "type": "slack", "slack": url})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Вы достигли лимита обработчиков этого типа на вашем тарифе." in html
    assert 'value="Sales"' in html
    assert f'value="{url}"' in html
    assert checked_type(html) == "slack"


def test_the_rate_limit_keeps_everything_typed_and_says_when_to_retry(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    sandbox.add_fault(Fault("rate_limit", method="POST"))
    email = "oncall@example.com"

    response = client.post(new_url(connection), {"name": "Ops", "type": "email", "email": email})

    html = response.content.decode()
    assert response.status_code == 200
    assert "try again in" in html
    assert 'value="Ops"' in html
    assert f'value="{email}"' in html


def test_a_timeout_keeps_everything_typed_and_warns_the_handler_may_exist(
    client: Client, connection: Connection, sandbox: Sandbox, settings
) -> None:
    settings.SOCLOOK_TIMEOUT = 0.5
    sandbox.add_fault(Fault("slow", method="POST"))
    token = "push-subscriber-7788"

    response = client.post(
        new_url(connection),
        {"name": "Phone", "type": "push_subscriber_id", **{"push_subscriber_id": token}},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "may or may not have been saved" in html
    assert 'value="Phone"' in html
    assert f'value="{token}"' in html


def test_soclook_being_down_is_a_message_not_an_error_page(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    sandbox.add_fault(Fault("503", method="POST"))

    response = client.post(
        new_url(connection), {"name": "Ops", "type": "webhook", "webhook": "https://e.com/h"}
    )

    assert response.status_code == 200
    assert "not responding properly" in response.content.decode()


def test_through_htmx_errors_re_render_only_the_form(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    response = client.post(
        new_url(connection), {"name": "Ops", "type": "email", "email": "nope"}, headers=HX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="handler-form"')
    assert "<html" not in html


def test_through_htmx_success_sends_the_browser_to_the_list(
    client: Client, connection: Connection
) -> None:
    response = client.post(
        new_url(connection), {"name": "Ops", "type": "email", "email": "a@example.com"}, headers=HX
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{list_url(connection)}?page=2&highlight=41"


def test_changing_the_type_without_javascript_keeps_the_name_and_saves_nothing(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    sandbox.clear_requests()

    response = client.post(
        new_url(connection), {"name": "Night shift", "type": "discord", "_change_type": "1"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Night shift"' in html
    assert 'name="discord"' in html
    assert "is-invalid" not in html
    assert sandbox.requests == []


def test_the_fields_swap_returns_only_the_chosen_type_fields(
    client: Client, connection: Connection, sandbox: Sandbox
) -> None:
    sandbox.clear_requests()

    response = client.get(reverse("handler_fields", args=[connection.pk]) + "?type=x", headers=HX)

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="type-fields"')
    for name in HANDLER_TYPES["x"].field_names:
        assert f'name="{name}"' in html
    assert 'name="name"' not in html
    assert sandbox.requests == []


# --- editing -----------------------------------------------------------------------------------

SLACK_URL = "https://hooks.slack.com/services/T0AAA/B0BBB/storedSecretXyZ1234"


@pytest.fixture
def slack(sandbox: Sandbox, api_key: str) -> dict:
    return sandbox.add_handler(api_key, type="slack", name="Sales", settings={"slack": SLACK_URL})


@pytest.fixture
def telegram(sandbox: Sandbox, api_key: str) -> dict:
    settings = {"telegram": "777000:AAHstoredBotToken9876", "telegram_chat_id": "-1005550001"}
    return sandbox.add_handler(api_key, type="telegram", name="Duty bot", settings=settings)


def test_the_edit_page_is_prefilled_and_shows_only_the_end_of_secrets(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, telegram: dict
) -> None:
    email = sandbox.add_handler(
        api_key, type="email", name="Boss", settings={"email": "boss@example.com"}
    )

    telegram_html = client.get(edit_url(connection, telegram["id"])).content.decode()
    email_html = client.get(edit_url(connection, email["id"])).content.decode()

    assert 'value="Duty bot"' in telegram_html
    assert "Set, ends in ••••9876; leave empty to keep it." in telegram_html
    # A chat ID is not a secret: staff see which chat the bot posts to.
    assert 'value="-1005550001"' in telegram_html
    assert 'value="boss@example.com"' in email_html


@pytest.mark.parametrize("slug", list(HANDLER_TYPES))
def test_a_stored_secret_never_reaches_the_edit_page(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, slug: str
) -> None:
    handler_type = HANDLER_TYPES[slug]
    secrets = {spec.name: f"STORED-{spec.name}-Secret" for spec in handler_type.fields}
    handler = sandbox.add_handler(api_key, type=slug, name="Kept", settings=secrets)
    fields_url = reverse("handler_edit_fields", args=[connection.pk, handler["id"]])

    pages = [
        client.get(edit_url(connection, handler["id"])),
        client.post(edit_url(connection, handler["id"]), {"name": "", "type": slug}),
        client.get(f"{fields_url}?type={slug}&stored_type={slug}", headers=HX),
    ]

    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        for spec in handler_type.fields:
            if spec.secret:
                assert secrets[spec.name] not in html


def test_an_empty_secret_keeps_the_stored_value(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, telegram: dict
) -> None:
    response = client.post(
        edit_url(connection, telegram["id"]),
        {
            "name": "Duty bot (night)",
            "type": "telegram",
            "telegram": "",
            "telegram_chat_id": telegram["settings"]["telegram_chat_id"],
        },
    )

    assert response.status_code == 302
    assert messages_of(response) == ["Saved “Duty bot (night)”."]
    record = stored(sandbox, api_key, telegram["id"])
    assert record["name"] == "Duty bot (night)"
    assert record["type"] == "telegram"
    assert record["settings"] == telegram["settings"]


def test_a_changed_secret_is_saved_and_the_others_kept(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, telegram: dict
) -> None:
    response = client.post(
        edit_url(connection, telegram["id"]),
        {
            "name": "Duty bot",
            "type": "telegram",
            "telegram": "888111:AAHnewToken",
            "telegram_chat_id": telegram["settings"]["telegram_chat_id"],
        },
    )

    assert response.status_code == 302
    record = stored(sandbox, api_key, telegram["id"])
    assert record["type"] == "telegram"
    assert record["settings"] == {
        "telegram": "888111:AAHnewToken",
        "telegram_chat_id": telegram["settings"]["telegram_chat_id"],
    }


def test_changing_the_type_needs_the_new_type_fields_then_saves_the_whole_record(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, slack: dict
) -> None:
    url = edit_url(connection, slack["id"])
    sandbox.clear_requests()

    refused = client.post(url, {"name": "Sales", "type": "discord", "discord": ""})
    saved = client.post(
        url,
        {
            "name": "Sales chat",
            "type": "discord",
            "discord": "https://discord.com/api/webhooks/1/x",
        },
    )

    assert refused.status_code == 200
    assert "This field is required." in refused.content.decode()
    assert [r.method for r in sandbox.requests].count("POST") == 1
    assert saved.status_code == 302
    record = stored(sandbox, api_key, slack["id"])
    assert (record["name"], record["type"]) == ("Sales chat", "discord")
    assert settings_of(record) == {"discord": "https://discord.com/api/webhooks/1/x"}


def test_changing_the_type_without_javascript_shows_the_new_fields_empty(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, slack: dict
) -> None:
    response = client.post(
        edit_url(connection, slack["id"]),
        {"name": "Renamed", "type": "webhook", "_change_type": "1"},
    )

    html = response.content.decode()
    assert 'value="Renamed"' in html
    assert 'name="webhook"' in html
    assert 'name="slack"' not in html
    assert stored(sandbox, api_key, slack["id"]) == slack


def test_switching_back_to_the_stored_type_shows_its_notes_again(
    client: Client, connection: Connection, sandbox: Sandbox, slack: dict
) -> None:
    fields_url = reverse("handler_edit_fields", args=[connection.pk, slack["id"]])
    sandbox.clear_requests()

    other = client.get(f"{fields_url}?stored_type=slack&type=email", headers=HX)
    asked_for_other = len(sandbox.requests)
    back = client.get(f"{fields_url}?stored_type=slack&type=slack", headers=HX)

    assert asked_for_other == 0
    assert 'name="email"' in other.content.decode()
    assert "Set, an address at hooks.slack.com; leave empty to keep it." in back.content.decode()


def test_a_handler_of_an_unknown_type_can_be_renamed_and_keeps_its_settings(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    settings = {"twilio": "+79991234567"}
    handler = sandbox.add_handler(api_key, type="twilio", name="SMS", settings=settings)

    page = client.get(edit_url(connection, handler["id"])).content.decode()
    response = client.post(edit_url(connection, handler["id"]), {"name": "SMS duty"})

    assert "Twilio SMS" in page and "Phone number" in page
    assert "••••4567" in page
    assert "+79991234567" not in page
    assert 'name="type"' not in page
    assert response.status_code == 302
    record = stored(sandbox, api_key, handler["id"])
    assert (record["name"], record["type"], record["settings"]) == ("SMS duty", "twilio", settings)


def test_a_refusal_while_editing_keeps_the_typed_name_but_not_typed_secrets(
    client: Client, connection: Connection, sandbox: Sandbox, slack: dict
) -> None:
    sandbox.add_fault(Fault("rate_limit", method="POST"))
    new_url_value = "https://hooks.slack.com/services/T0/B0/typedNewSecret"

    response = client.post(
        edit_url(connection, slack["id"]),
        {"name": "Sales 2", "type": "slack", "slack": new_url_value},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was changed:" in html
    assert "try again in" in html
    assert 'value="Sales 2"' in html
    assert new_url_value not in html
    assert SLACK_URL not in html
    assert "What you typed here is not shown again: type it again." in html


def test_a_secret_typed_into_an_edit_with_a_mistake_is_asked_for_again(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, slack: dict
) -> None:
    typed = "https://hooks.slack.com/services/T0/B0/typedAgain"

    response = client.post(
        edit_url(connection, slack["id"]), {"name": "", "type": "slack", "slack": typed}
    )

    html = response.content.decode()
    assert "This field is required." in html
    assert typed not in html
    assert "What you typed here is not shown again: type it again." in html
    assert "Set, an address at hooks.slack.com; leave empty to keep it." in html
    assert stored(sandbox, api_key, slack["id"]) == slack


def test_editing_a_handler_deleted_elsewhere_says_it_no_longer_exists(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    missing = 999_999

    shown = client.get(edit_url(connection, missing))
    saved = client.post(edit_url(connection, missing), {"name": "X", "type": "email"})

    for response in (shown, saved):
        assert response.status_code == 302
        assert response["Location"] == list_url(connection)
        assert "no longer exists" in messages_of(response)[0]


def test_when_the_handler_cannot_be_loaded_the_page_says_why(
    client: Client, connection: Connection, sandbox: Sandbox, slack: dict
) -> None:
    sandbox.add_fault(Fault("rate_limit", method="GET"))

    response = client.get(edit_url(connection, slack["id"]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "could not be loaded" in html
    assert "try again in" in html


def test_when_the_read_before_saving_fails_the_typed_name_stays(
    client: Client, connection: Connection, sandbox: Sandbox, slack: dict
) -> None:
    sandbox.add_fault(Fault("503", method="GET", count=3))

    response = client.post(
        edit_url(connection, slack["id"]), {"name": "Sales 3", "type": "slack", "slack": ""}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "not responding properly" in html
    assert 'value="Sales 3"' in html


# --- who may --------------------------------------------------------------------------------------


def _all_requests(connection: Connection) -> list[tuple[str, str, dict]]:
    fields = reverse("handler_fields", args=[connection.pk]) + "?type=email"
    edit_fields = reverse("handler_edit_fields", args=[connection.pk, 1]) + "?type=email"
    typed = {"name": "X", "type": "email", "email": "a@example.com"}
    return [
        ("get", new_url(connection), {}),
        ("post", new_url(connection), typed),
        ("get", edit_url(connection, 1), {}),
        ("post", edit_url(connection, 1), typed),
        ("get", fields, {}),
        ("get", edit_fields + "&stored_type=email", {}),
    ]


def test_a_viewer_may_not_add_or_edit(
    viewer: User, connection: Connection, sandbox: Sandbox
) -> None:
    browser = client_for(viewer)
    sandbox.clear_requests()

    for method, url, data in _all_requests(connection):
        assert getattr(browser, method)(url, data).status_code == 403, url
    assert sandbox.requests == []


def test_a_stranger_does_not_learn_the_connection_exists(
    stranger: User, connection: Connection, sandbox: Sandbox
) -> None:
    browser = client_for(stranger)
    sandbox.clear_requests()

    for method, url, data in _all_requests(connection):
        assert getattr(browser, method)(url, data).status_code == 404, url
    assert sandbox.requests == []


def test_signed_out_visitors_are_sent_to_sign_in(connection: Connection) -> None:
    response = Client().get(new_url(connection))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
