"""Adding, editing and cancelling keep the person's place in the list: its page, filters and
order come back, and the saved handler is marked."""

# ruff: noqa: RUF001
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from handlers_app.models import Connection
from tests.helpers import client_for

# The second page of the enabled handlers, ten a page, by name.
PLACE = {"is_enabled": "1", "order_by": "name", "order_type": "ASC", "results_per_page": "10"}


@pytest.fixture
def client(editor: User, connection: Connection) -> Client:
    return client_for(editor)


def list_url(connection: Connection) -> str:
    return reverse("handler_list", args=[connection.pk])


def place_url(connection: Connection, page: int = 2) -> str:
    state = "results_per_page=10&is_enabled=1&order_by=name&order_type=ASC"
    return f"{list_url(connection)}?page={page}&{state}"


def row_ids(text: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="handler-(\d+)"', text)]


def marked_rows(text: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="handler-(\d+)" class="[^"]*row-saved', text)]


def messages_of(response: HttpResponse) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def from_the_list(connection: Connection) -> dict[str, str]:
    """What a browser sends on following a link of the list at place_url(): the list's address."""
    return {"referer": f"http://testserver{place_url(connection)}"}


def edit_link(text: str, connection: Connection, handler_id: int) -> str:
    """The row's Edit address, which is relative to the list's own."""
    found = re.search(rf'href="((?:[^"]*/)?{handler_id}/edit/[^"]*)"', text)
    assert found is not None, "the row has no Edit link"
    return urljoin(list_url(connection), html.unescape(found.group(1)))


def stored(sandbox, api_key: str, handler_id: int) -> dict:
    return next(h for h in sandbox.handlers(api_key) if h["id"] == handler_id)


def test_edit_from_a_filtered_second_page_returns_there_with_the_row_marked(
    client: Client, connection: Connection, sandbox, api_key: str
) -> None:
    listed = client.get(list_url(connection), {**PLACE, "page": "2"}).text
    handler_id = row_ids(listed)[3]

    form = client.get(
        edit_link(listed, connection, handler_id), headers=from_the_list(connection)
    ).text
    assert f'name="next" value="{html.escape(place_url(connection))}"' in form
    name = re.search(r'name="name" value="([^"]*)"', form).group(1)
    response = client.post(
        reverse("handler_edit", args=[connection.pk, handler_id]),
        {
            "name": f"{html.unescape(name)} (renamed)",
            "type": stored(sandbox, api_key, handler_id)["type"],
            **stored(sandbox, api_key, handler_id)["settings"],
            "next": place_url(connection),
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"{place_url(connection)}&highlight={handler_id}"
    shown = client.get(response["Location"]).text
    assert 'aria-current="page"><span class="visually-hidden">Page </span>2<' in shown
    assert marked_rows(shown) == [handler_id]
    assert "(renamed)" in shown


def test_cancel_and_the_breadcrumb_go_back_to_the_list_as_it_was(
    client: Client, connection: Connection
) -> None:
    listed = client.get(list_url(connection), {**PLACE, "page": "2"}).text
    form = client.get(
        edit_link(listed, connection, row_ids(listed)[0]), headers=from_the_list(connection)
    ).text

    cancel = re.search(r'<a class="btn btn-link" href="([^"]*)">Cancel</a>', form).group(1)
    assert html.unescape(cancel) == place_url(connection)
    assert f'<a href="{cancel}">Soclook main</a>' in form


@pytest.mark.parametrize(
    "referer",
    [
        None,
        "https://elsewhere.example/connections/1/handlers/?page=2",
        "http://testserver/journal/",
    ],
    ids=["none", "another-site", "another-page"],
)
def test_without_the_list_as_referer_edit_and_delete_go_back_to_the_plain_list(
    client: Client, connection: Connection, referer: str | None
) -> None:
    listed = client.get(list_url(connection), {**PLACE, "page": "2"}).text
    handler_id = row_ids(listed)[0]
    headers = {"referer": referer} if referer else {}

    form = client.get(edit_link(listed, connection, handler_id), headers=headers).text
    dialog = client.get(
        reverse("handler_delete", args=[connection.pk, handler_id]), headers=headers
    ).text

    assert f'name="next" value="{list_url(connection)}"' in form
    assert f'name="next" value="{list_url(connection)}"' in dialog


def test_delete_from_a_filtered_second_page_returns_there(
    client: Client, connection: Connection
) -> None:
    listed = client.get(list_url(connection), {**PLACE, "page": "2"}).text
    handler_id = row_ids(listed)[0]

    dialog = client.get(
        reverse("handler_delete", args=[connection.pk, handler_id]),
        headers=from_the_list(connection),
    ).text

    assert f'name="next" value="{html.escape(place_url(connection))}"' in dialog


def test_an_added_handler_is_shown_on_the_page_that_holds_it_marked(
    client: Client, connection: Connection, sandbox, api_key: str
) -> None:
    listed = client.get(list_url(connection)).text
    add = html.unescape(re.search(r'id="add-handler" href="([^"]*)"', listed).group(1))
    assert parse_qs(urlsplit(add).query)["next"] == [list_url(connection)]

    response = client.post(
        add, {"name": "Night shift", "type": "email", "email": "night@example.com"}
    )

    new_id = sandbox.handlers(api_key)[-1]["id"]
    assert response["Location"] == f"{list_url(connection)}?page=2&highlight={new_id}"
    shown = client.get(response["Location"]).text
    assert marked_rows(shown) == [new_id]
    assert "Night shift" in shown


def test_an_added_handler_the_filters_hide_is_announced_with_a_link_to_it(
    client: Client, connection: Connection, sandbox, api_key: str
) -> None:
    emails = f"{list_url(connection)}?type=email"
    response = client.post(
        reverse("handler_new", args=[connection.pk]),
        {
            "name": "Ops hook",
            "type": "webhook",
            "webhook": "https://ops.example.com/hook/t0ken",
            "next": emails,
        },
        HTTP_ACCEPT_LANGUAGE="ru",
    )

    new_id = sandbox.handlers(api_key)[-1]["id"]
    assert response["Location"] == emails
    (message,) = messages_of(response)
    link = f"{list_url(connection)}?page=2&amp;highlight={new_id}"
    assert message == (
        f"Обработчик «Ops hook» добавлен. Действующие фильтры его скрывают: "
        f'<a href="{link}">показать его</a>.'
    )
    shown = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="ru").text
    assert f'<a href="{link}">показать его</a>' in shown


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/connections/1/handlers/?page=2",
        "//evil.example/connections/1/handlers/",
        "/journal/?page=2",
        "/connections/999/handlers/?page=2",
    ],
)
def test_a_next_address_that_is_not_this_list_brings_back_the_plain_list(
    client: Client, connection: Connection, sandbox, api_key: str, next_url: str
) -> None:
    handler_id = next(h["id"] for h in sandbox.handlers(api_key) if h["type"] == "webhook")
    response = client.post(
        reverse("handler_edit", args=[connection.pk, handler_id]),
        {"name": "Renamed", "type": "webhook", "next": next_url},
    )

    assert response["Location"] == f"{list_url(connection)}?highlight={handler_id}"
    form = client.get(
        reverse("handler_edit", args=[connection.pk, handler_id]), {"next": next_url}
    ).text
    assert f'<a class="btn btn-link" href="{list_url(connection)}">Cancel</a>' in form
    assert f'name="next" value="{list_url(connection)}"' in form


def test_markup_in_the_name_of_an_added_handler_the_filters_hide_is_shown_escaped(
    client: Client, connection: Connection
) -> None:
    response = client.post(
        reverse("handler_new", args=[connection.pk]),
        {
            "name": "<script>alert(1)</script>",
            "type": "webhook",
            "webhook": "https://ops.example.com/hook/t0ken",
            "next": f"{list_url(connection)}?type=email",
        },
        follow=True,
    )

    assert "<script>alert(1)</script>" not in response.text
    assert "Added “&lt;script&gt;alert(1)&lt;/script&gt;”. The filters in force hide it" in (
        response.text
    )
