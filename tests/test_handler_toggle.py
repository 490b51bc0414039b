from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from handlers_app.models import Connection
from handlers_app.sandbox import Fault
from tests.helpers import client_for

HTMX = {"HTTP_HX_REQUEST": "true"}
# Seeded accounts start with one handler of each type, two foreign types, then these two.
PENDING, DISABLED = 10, 11


def toggle_url(connection: Connection, handler_id: int) -> str:
    return reverse("handler_toggle", args=[connection.pk, handler_id])


def stored(sandbox, api_key: str, handler_id: int) -> dict:
    return next(r for r in sandbox.handlers(api_key) if r["id"] == handler_id)


def switch_is_on(html: str, handler_id: int) -> bool:
    tag = re.search(rf'<button formaction="{handler_id}/toggle/"[^>]*>', html, re.S)
    assert tag is not None, "the row has no switch"
    return 'aria-pressed="true"' in tag.group(0)


def test_switching_a_handler_off_changes_it_in_soclook_and_re_renders_its_row(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[2]
    response = client_for(editor).post(
        toggle_url(connection, handler["id"]), {"is_enabled": "0"}, **HTMX
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="handler-{handler["id"]}"')
    assert not switch_is_on(response.text, handler["id"])
    assert "is off." in response.text
    record = stored(sandbox, api_key, handler["id"])
    assert record["is_enabled"] == 0
    assert record["type"] == handler["type"] and record["settings"] == handler["settings"]
    write = next(r for r in sandbox.requests if r.method == "POST")
    assert write.form["type"] == handler["type"] and write.form["name"] == handler["name"]


def test_switching_a_handler_on_changes_it_in_soclook_and_re_renders_its_row(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[DISABLED]
    assert handler["is_enabled"] == 0
    response = client_for(editor).post(
        toggle_url(connection, handler["id"]), {"is_enabled": ["0", "1"]}, **HTMX
    )

    assert switch_is_on(response.text, handler["id"])
    assert "Enabled" in response.text
    assert stored(sandbox, api_key, handler["id"])["is_enabled"] == 1


def test_a_handler_waiting_for_e_mail_confirmation_says_so_after_switching_on(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[PENDING]
    client = client_for(editor)
    client.post(toggle_url(connection, handler["id"]), {"is_enabled": "0"}, **HTMX)
    response = client.post(toggle_url(connection, handler["id"]), {"is_enabled": "1"}, **HTMX)

    assert switch_is_on(response.text, handler["id"])
    assert "Waiting for confirmation" in response.text
    assert stored(sandbox, api_key, handler["id"])["is_enabled"] == 2


def test_asking_for_the_state_a_handler_is_already_in_writes_nothing(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[0]
    response = client_for(editor).post(
        toggle_url(connection, handler["id"]), {"is_enabled": "1"}, **HTMX
    )

    assert switch_is_on(response.text, handler["id"])
    assert [r.method for r in sandbox.requests if r.method != "GET"] == []


def test_without_javascript_the_switch_returns_to_the_same_list_page(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[1]
    back = reverse("handler_list", args=[connection.pk]) + "?page=2&type=webhook&bogus=1"
    response = client_for(editor).post(
        toggle_url(connection, handler["id"]), {"is_enabled": "0", "next": back}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("handler_list", args=[connection.pk]) + (
        "?page=2&type=webhook"
    )
    assert stored(sandbox, api_key, handler["id"])["is_enabled"] == 0


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/connections/1/handlers/", "/admin/", ""],
)
def test_a_return_address_elsewhere_is_ignored(
    editor: User, connection: Connection, sandbox, api_key: str, next_url: str
) -> None:
    handler = sandbox.handlers(api_key)[1]
    response = client_for(editor).post(
        toggle_url(connection, handler["id"]), {"is_enabled": "0", "next": next_url}
    )
    assert response["Location"] == reverse("handler_list", args=[connection.pk])


def test_when_the_update_fails_the_switch_shows_the_true_state_and_why(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[2]
    sandbox.add_fault(Fault("rate_limit", method="POST"))
    response = client_for(editor).post(
        toggle_url(connection, handler["id"]), {"is_enabled": "0"}, **HTMX
    )

    assert response.status_code == 200
    assert switch_is_on(response.text, handler["id"])
    assert "try again in" in response.text
    assert 'role="alert"' in response.text
    assert stored(sandbox, api_key, handler["id"])["is_enabled"] == 1


def test_when_the_handler_cannot_be_read_the_switch_goes_back_to_how_it_was(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[DISABLED]
    sandbox.add_fault(Fault("html_500", method="GET"))
    response = client_for(editor).post(
        toggle_url(connection, handler["id"]), {"is_enabled": ["0", "1"]}, **HTMX
    )

    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#status-{handler['id']}"
    assert response.text.lstrip().startswith(f'<td id="status-{handler["id"]}"')
    assert not switch_is_on(response.text, handler["id"])
    assert "Soclook is not responding properly" in response.text
    assert stored(sandbox, api_key, handler["id"])["is_enabled"] == 0


def test_a_failure_without_javascript_is_explained_on_the_list(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[2]
    sandbox.add_fault(Fault("json_500", method="POST"))
    response = client_for(editor).post(
        toggle_url(connection, handler["id"]), {"is_enabled": "0"}, follow=True
    )

    assert response.status_code == 200
    assert "Soclook is not responding properly" in response.text
    assert switch_is_on(response.text, handler["id"])


def test_a_handler_deleted_elsewhere_leaves_the_list_with_a_clear_message(
    editor: User, connection: Connection, sandbox
) -> None:
    response = client_for(editor).post(toggle_url(connection, 999_999), {"is_enabled": "0"}, **HTMX)

    assert response.status_code == 200
    assert "<tr" not in response.text
    assert "no longer exists in Soclook" in response.text


def test_a_viewer_cannot_toggle(
    viewer: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[0]
    response = client_for(viewer).post(toggle_url(connection, handler["id"]), {"is_enabled": "0"})

    assert response.status_code == 403
    assert sandbox.requests == []


def test_a_stranger_gets_not_found(
    stranger: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.handlers(api_key)[0]
    response = client_for(stranger).post(toggle_url(connection, handler["id"]), {"is_enabled": "0"})

    assert response.status_code == 404
    assert sandbox.requests == []


def test_toggling_needs_a_post(editor: User, connection: Connection, sandbox, api_key: str) -> None:
    handler = sandbox.handlers(api_key)[0]
    assert client_for(editor).get(toggle_url(connection, handler["id"])).status_code == 405
    assert sandbox.requests == []
