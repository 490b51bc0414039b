"""Handler types people can read: the platform's types the dashboard cannot create are named and
shown with their icons, and the list's type filter offers every type the account holds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from handlers_app.journal.diff import change_lines
from handlers_app.models import Connection, Team
from handlers_app.soclook.types import (
    DISPLAY_ONLY_TYPES,
    HANDLER_TYPES,
    generic_type_for,
    get_handler_type,
)
from tests.helpers import client_for

RU = {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9"}


def list_url(connection: Connection) -> str:
    return reverse("handler_list", args=[connection.pk])


def filter_options(html: str) -> dict[str, str]:
    select = re.search(r'<select id="filter-type".*?</select>', html, re.S)
    assert select is not None
    return dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>', select.group(0)))


def list_requests(sandbox) -> list:
    return [r for r in sandbox.requests if r.path == "/api/notification-handlers/"]


@pytest.mark.parametrize(
    ("slug", "label", "icon"),
    [
        ("twilio", "Twilio SMS", "chat-left-text"),
        ("twilio_call", "Twilio call", "telephone-outbound"),
        ("whatsapp", "WhatsApp", "whatsapp"),
        ("google_chat", "Google Chat", "google"),
        ("internal_notification", "Internal notification", "app-indicator"),
    ],
)
def test_the_platform_types_have_names_and_icons_but_stay_read_only(
    slug: str, label: str, icon: str
) -> None:
    handler_type = get_handler_type(slug, settings_keys=[slug])

    assert (str(handler_type.label), handler_type.icon) == (label, icon)
    assert handler_type.is_known is False
    assert slug not in HANDLER_TYPES


def test_the_list_names_the_platform_types_in_both_languages(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    records = sandbox.handlers(api_key)
    twilio = next(r for r in records if r["type"] == "twilio")
    chat = next(r for r in records if r["type"] == "google_chat")
    client = client_for(editor)

    english = client.get(list_url(connection)).text
    russian = client.get(list_url(connection), **RU).text

    assert '<td class="type bi-chat-left-text">Twilio SMS</td>' in english
    assert '<td class="type bi-google">Google Chat</td>' in english
    assert "bi-question-circle" not in english
    assert '<td class="type bi-chat-left-text">twilio</td>' not in english
    assert "Phone number ••••" + twilio["settings"]["twilio"][-4:] in english
    assert '<td class="type bi-chat-left-text">SMS через Twilio</td>' in russian
    assert "Номер телефона ••••" + twilio["settings"]["twilio"][-4:] in russian
    assert chat["settings"]["google_chat"] not in english + russian


def test_the_type_filter_lists_every_type_the_account_holds_without_asking_again(
    owner: User, connection: Connection, sandbox, api_key: str
) -> None:
    pigeon = sandbox.add_handler(
        api_key, type="carrier_pigeon", name="Loft", settings={"pigeon": "Bertha"}
    )
    sandbox.clear_requests()
    client = client_for(owner)

    options = filter_options(client.get(list_url(connection)).text)
    russian = filter_options(client.get(list_url(connection), **RU).text)

    assert len(list_requests(sandbox)) == 1
    assert list(options)[: len(HANDLER_TYPES)] == list(HANDLER_TYPES)
    assert options["twilio"] == "Twilio SMS"
    assert options["google_chat"] == "Google Chat"
    assert options["carrier_pigeon"] == "carrier_pigeon"
    # Only the types the account holds: it has no WhatsApp handler.
    assert "whatsapp" not in options
    assert russian["twilio"] == "SMS через Twilio"
    assert russian["push_subscriber_id"] == "Push-уведомление"

    chosen = client.get(list_url(connection), {"type": "carrier_pigeon"}).text

    assert re.findall(r'<tr id="handler-(\d+)"', chosen) == [str(pigeon["id"])]
    assert "type: <strong>carrier_pigeon</strong>" in chosen
    assert len(list_requests(sandbox)) == 1


def test_filtering_by_a_platform_type_shows_its_readable_name(
    owner: User, connection: Connection, sandbox, api_key: str
) -> None:
    twilio = [r["id"] for r in sandbox.handlers(api_key) if r["type"] == "twilio"]

    text = client_for(owner).get(list_url(connection), {"type": "twilio"}).text

    assert [int(i) for i in re.findall(r'<tr id="handler-(\d+)"', text)] == twilio
    assert "type: <strong>Twilio SMS</strong>" in text
    assert '<option value="twilio" selected>Twilio SMS</option>' in text


def test_a_large_account_is_filtered_by_every_type_the_registry_names(
    owner: User, team: Team, sandbox
) -> None:
    large = Connection(team=team, name="Large", base_url=sandbox.base_url)
    large.set_api_key(sandbox.add_account(seed=1001))
    large.save()

    options = filter_options(client_for(owner).get(list_url(large)).text)

    assert list(options) == [*HANDLER_TYPES, *DISPLAY_ONLY_TYPES]
    assert options["whatsapp"] == "WhatsApp"
    assert options["internal_notification"] == "Internal notification"


def test_the_edit_page_of_a_platform_type_names_it_and_its_setting(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.add_handler(
        api_key, type="whatsapp", name="Night duty", settings={"whatsapp": "+79991234567"}
    )
    url = reverse("handler_edit", args=[connection.pk, handler["id"]])

    english = client_for(editor).get(url).text
    russian = client_for(editor).get(url, **RU).text

    assert 'bi-whatsapp" aria-hidden="true"></i> WhatsApp</p>' in english
    assert "Soclook cannot create handlers of this type" in english
    assert "Phone number" in english and "••••4567" in english
    assert "+79991234567" not in english
    assert "Soclook не создаёт обработчики этого типа" in russian
    assert "Номер телефона" in russian


def test_the_journal_names_a_platform_types_setting_as_people_call_it() -> None:
    changes = [{"field": "google_chat", "setting": True, "before": "", "after": "https://chat"}]

    assert [str(line) for line in change_lines(changes)] == [
        "Google Chat webhook URL: — → https://chat"
    ]


def test_every_type_icon_is_drawn_without_a_name_of_its_own() -> None:
    """A list row draws its type's icon on the cell (app.css): each icon of the registry needs a
    rule there with Bootstrap Icons' own glyph and an empty alternative text, or a screen reader
    would read a private-use character before the type's name."""
    static = Path(__file__).resolve().parent.parent / "static"
    app_css = (static / "css" / "app.css").read_text()
    icons_css = (static / "vendor" / "bootstrap-icons" / "bootstrap-icons.min.css").read_text()
    icons = {t.icon for t in HANDLER_TYPES.values()}
    icons |= {t.icon for t in DISPLAY_ONLY_TYPES.values()}
    icons.add(generic_type_for("not-a-known-type", []).icon)

    for icon in sorted(icons):
        glyph = re.search(rf'\.bi-{re.escape(icon)}::before\{{content:"([^"]+)"\}}', icons_css)
        assert glyph is not None, f"Bootstrap Icons has no {icon}"
        rule = f'.table-handlers .type.bi-{icon}::before {{ content: "{glyph[1]}" / ""; }}'
        assert rule in app_css, f"app.css lacks: {rule}"
