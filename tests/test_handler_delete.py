from __future__ import annotations

import json

from django.contrib.auth.models import User
from django.urls import reverse

from handlers_app.models import Connection
from handlers_app.sandbox import Fault
from tests.helpers import client_for

HTMX = {"HTTP_HX_REQUEST": "true"}


def showing(first: int, last: int, total: int) -> str:
    return f"Showing {first}\N{EN DASH}{last} of {total} handlers"


def delete_url(connection: Connection, handler_id: int) -> str:
    return reverse("handler_delete", args=[connection.pk, handler_id])


def list_url(connection: Connection) -> str:
    return reverse("handler_list", args=[connection.pk])


def ids(sandbox, api_key: str) -> list[int]:
    return [r["id"] for r in sandbox.handlers(api_key)]


def client_events(response) -> dict:
    return json.loads(response.get("HX-Trigger", "{}"))


def test_the_confirmation_page_names_the_handler_and_its_destination(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[2]
    response = client_for(editor).get(delete_url(connection, handler["id"]))

    assert response.status_code == 200
    assert "<html" in response.text
    assert f"Delete “{handler['name']}”?" in response.text
    assert "hooks.slack.com" in response.text
    assert handler["settings"]["slack"] not in response.text
    assert 'class="btn-close"' not in response.text


def test_with_htmx_the_confirmation_is_a_dialog(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[0]
    back = list_url(connection) + "?page=2"
    response = client_for(editor).get(delete_url(connection, handler["id"]), {"next": back}, **HTMX)

    assert response.text.lstrip().startswith('<div class="modal-dialog')
    assert "<html" not in response.text
    assert f"Delete “{handler['name']}”?" in response.text
    assert 'name="next" value="/connections/' in response.text and "?page=2" in response.text


def test_deleting_removes_the_handler_from_soclook_and_the_table(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[3]
    response = client_for(editor).post(
        delete_url(connection, handler["id"]), {"next": list_url(connection)}, **HTMX
    )

    assert response.status_code == 200
    assert handler["id"] not in ids(sandbox, api_key)
    assert response.text.lstrip().startswith('<div id="handler-table"')
    assert f'id="handler-{handler["id"]}"' not in response.text
    assert showing(1, 25, 39) in response.text
    assert f"Deleted “{handler['name']}”." in response.text
    assert "closeModal" in client_events(response)


def test_deleting_without_javascript_returns_to_the_same_list_page(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[30]
    back = list_url(connection) + "?page=2"
    response = client_for(editor).post(
        delete_url(connection, handler["id"]), {"next": back}, follow=True
    )

    assert response.redirect_chain == [(back, 302)]
    assert handler["id"] not in ids(sandbox, api_key)
    assert f"Deleted “{handler['name']}”." in response.text
    assert showing(26, 39, 39) in response.text


def test_deleting_the_only_handler_on_the_last_page_shows_the_page_before(
    editor: User, connection: Connection, sandbox
) -> None:
    small_key = sandbox.add_account(seed=11)
    connection.set_api_key(small_key)
    connection.save()
    last = sandbox.handlers(small_key)[-1]
    back = list_url(connection) + "?page=2&results_per_page=10"
    response = client_for(editor).post(delete_url(connection, last["id"]), {"next": back}, **HTMX)

    assert showing(1, 10, 10) in response.text
    assert response["HX-Replace-Url"] == list_url(connection) + "?results_per_page=10"


def test_a_handler_already_deleted_elsewhere_gives_a_clear_message(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[0]
    client = client_for(editor)
    client.post(delete_url(connection, handler["id"]))
    response = client.post(
        delete_url(connection, handler["id"]), {"next": list_url(connection)}, **HTMX
    )

    assert response.status_code == 200
    assert "This handler no longer exists in Soclook" in response.text
    assert response.text.lstrip().startswith('<div id="handler-table"')
    assert "closeModal" in client_events(response)


def test_asking_to_delete_a_handler_that_is_gone_refreshes_the_list(
    editor: User, connection: Connection, sandbox
) -> None:
    client = client_for(editor)
    response = client.get(delete_url(connection, 999_999), **HTMX)
    assert response["HX-Retarget"] == "#handler-table"
    assert response.text.lstrip().startswith('<div id="handler-table"')
    assert "no longer exists in Soclook" in response.text

    page = client.get(delete_url(connection, 999_999), follow=True)
    assert page.redirect_chain == [(list_url(connection), 302)]
    assert "no longer exists in Soclook" in page.text


def test_a_failed_delete_says_why_and_keeps_the_handler(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[0]
    sandbox.add_fault(Fault("rate_limit", method="DELETE"))
    response = client_for(editor).post(delete_url(connection, handler["id"]), **HTMX)

    assert response.status_code == 200
    assert response["HX-Reswap"] == "none"
    assert "The handler was not deleted" in response.text and "try again in" in response.text
    assert handler["id"] in ids(sandbox, api_key)


def test_a_confirmation_that_cannot_load_offers_to_try_again(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[0]
    sandbox.add_fault(Fault("rate_limit", method="GET"))
    response = client_for(editor).get(delete_url(connection, handler["id"]), **HTMX)

    assert response.status_code == 200
    assert "could not be loaded" in response.text and "try again in" in response.text
    assert "Try again" in response.text
    assert 'type="submit"' not in response.text


def test_a_viewer_cannot_delete(
    viewer: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[0]
    client = client_for(viewer)

    assert client.get(delete_url(connection, handler["id"])).status_code == 403
    assert client.post(delete_url(connection, handler["id"])).status_code == 403
    assert sandbox.requests == []
    assert handler["id"] in ids(sandbox, api_key)


def test_a_stranger_gets_not_found(
    stranger: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[0]
    client = client_for(stranger)

    assert client.get(delete_url(connection, handler["id"])).status_code == 404
    assert client.post(delete_url(connection, handler["id"])).status_code == 404
    assert sandbox.requests == []
