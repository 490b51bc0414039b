"""Small things a person notices on the pages: the icon, the delete dialog's wording, the key
hint on the home page, labelled row actions, one status for an e-mail awaiting confirmation and
machine-readable times a validator accepts."""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.urls import reverse

from handlers_app.models import Connection, JournalAction, JournalEntry, Team
from tests.helpers import client_for

PENDING = 10  # the seeded e-mail handler waiting for confirmation (sandbox.add_account)


def list_url(connection: Connection) -> str:
    return reverse("handler_list", args=[connection.pk])


def test_favicon_ico_is_served(client) -> None:
    response = client.get("/favicon.ico", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain and response.redirect_chain[0][1] == 301
    assert b"<svg" in b"".join(response.streaming_content)


def test_every_page_names_its_icon(owner: User, connection: Connection, sandbox) -> None:
    text = client_for(owner).get(reverse("home")).text

    assert '<link rel="icon" href="/static/favicon.svg"' in text


def test_the_delete_dialog_says_each_thing_once_and_its_button_starts_with_its_label(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[0]
    url = reverse("handler_delete", args=[connection.pk, handler["id"]])
    text = client_for(editor).get(url, HTTP_HX_REQUEST="true").text

    assert text.count("Soclook will stop sending") == 1
    assert "Soclook stops sending" not in text
    assert re.search(
        r'<button type="submit" class="btn btn-danger"><span [^>]*></span>Delete</button>', text
    )


def test_a_short_key_shows_as_set_on_the_home_page(owner: User, team: Team, sandbox) -> None:
    connection = Connection(team=team, name="Short", base_url=sandbox.base_url)
    connection.set_api_key("demo-key")
    connection.save()

    text = client_for(owner).get(reverse("home")).text
    assert "key set" in text
    assert "-key" not in text.replace("api-key", "")
    edit = client_for(owner).get(reverse("connection_edit", args=[connection.pk])).text
    assert "Set. Leave empty to keep it." in edit


def test_a_long_key_shows_its_last_four_characters(owner: User, team: Team, sandbox) -> None:
    connection = Connection(team=team, name="Long", base_url=sandbox.base_url)
    connection.set_api_key("sk-live-0123456789abcdef")
    connection.save()

    assert "key ••••cdef" in client_for(owner).get(reverse("home")).text


def test_the_history_button_of_a_row_has_a_visible_label(
    viewer: User, connection: Connection, sandbox, api_key: str
) -> None:
    first = sandbox.handlers(api_key)[0]
    text = client_for(viewer).get(list_url(connection)).text

    link = f'<a href="{first["id"]}/journal/" aria-labelledby="l-history n-{first["id"]}">'
    assert link + "History</a>" in text
    assert '<span id="l-history" hidden>History of</span>' in text


def test_an_e_mail_awaiting_confirmation_shows_one_status_and_what_to_do(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    pending = sandbox.handlers(api_key)[PENDING]
    assert pending["is_enabled"] == 2
    text = client_for(editor).get(list_url(connection)).text
    cell = re.search(rf'<td id="status-{pending["id"]}".*?</td>', text, re.S)[0]

    assert "Waiting for confirmation" in cell
    assert "Enabled" not in cell and "e-mail confirmation" not in cell
    assert "Soclook sent a confirmation link to this address" in cell


def test_times_carry_at_most_seconds(
    owner: User, connection: Connection, sandbox, api_key: str
) -> None:
    JournalEntry.objects.create(
        team=connection.team,
        connection=connection,
        action=JournalAction.HANDLER_ENABLED,
        handler_id=1,
        handler_name="A",
    )
    client = client_for(owner)
    for url in (list_url(connection), reverse("journal")):
        times = re.findall(r'<time datetime="([^"]+)"', client.get(url).text)
        assert times, url
        for value in times:
            assert re.fullmatch(
                r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?[+-]\d\d:?\d\d", value
            ), value
