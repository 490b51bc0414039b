from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from handlers_app.models import Connection, Membership, Role, Team
from tests.helpers import client_for, make_user


def test_home_lists_the_teams_connections(owner: User, connection: Connection) -> None:
    response = client_for(owner).get("/")
    assert response.status_code == 200
    assert "Soclook main" in response.text
    assert reverse("handler_list", args=[connection.pk]) in response.text


def test_home_shows_only_the_persons_own_teams(stranger: User, connection: Connection) -> None:
    response = client_for(stranger).get("/")
    assert "Soclook main" not in response.text


def test_adding_a_connection_checks_the_key_and_stores_it_encrypted(
    owner: User, sandbox, api_key: str
) -> None:
    response = client_for(owner).post(
        "/connections/new/",
        {"name": "Production", "base_url": sandbox.base_url, "api_key": api_key},
    )
    connection = Connection.objects.get(name="Production")
    assert response.status_code == 302
    assert response["Location"] == reverse("handler_list", args=[connection.pk])
    assert connection.api_key == api_key
    assert api_key not in connection.api_key_encrypted
    assert connection.last_check_ok is True
    assert [r.path for r in sandbox.requests] == ["/api/notification-handlers/"]


def test_a_wrong_key_is_refused_with_a_clear_message_and_the_form_kept(
    owner: User, sandbox
) -> None:
    sandbox.add_account(seed=3)
    response = client_for(owner).post(
        "/connections/new/",
        {"name": "Production", "base_url": sandbox.base_url, "api_key": "wrong-key-1234"},
    )
    assert response.status_code == 200
    assert "did not accept this API key" in response.text
    assert 'value="Production"' in response.text
    assert "wrong-key-1234" not in response.text
    assert not Connection.objects.exists()


def test_an_address_that_is_not_the_api_is_explained(owner: User, live_server) -> None:
    response = client_for(owner).post(
        "/connections/new/",
        {"name": "Typo", "base_url": live_server.url + "/nothing/", "api_key": "k" * 20},
    )
    assert response.status_code == 200
    assert "No Soclook-compatible API answered at this address" in response.text


def test_no_page_ever_shows_the_saved_key(owner: User, connection: Connection) -> None:
    client = client_for(owner)
    for url in [
        "/",
        f"/connections/{connection.pk}/edit/",
        f"/connections/{connection.pk}/delete/",
    ]:
        response = client.get(url)
        assert response.status_code == 200
        assert connection.api_key not in response.text
    assert connection.masked_key in client.get(f"/connections/{connection.pk}/edit/").text


def test_editing_with_an_empty_key_keeps_the_stored_key(
    owner: User, connection: Connection, api_key: str, sandbox
) -> None:
    response = client_for(owner).post(
        f"/connections/{connection.pk}/edit/",
        {"name": "Renamed", "base_url": sandbox.base_url, "api_key": ""},
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.name == "Renamed"
    assert connection.api_key == api_key


def test_removing_a_connection_leaves_the_soclook_account_untouched(
    owner: User, connection: Connection, sandbox, api_key: str
) -> None:
    before = sandbox.handlers(api_key)
    response = client_for(owner).post(f"/connections/{connection.pk}/delete/")
    assert response.status_code == 302
    assert not Connection.objects.exists()
    assert sandbox.handlers(api_key) == before


@pytest.mark.parametrize("path", ["edit", "delete"])
def test_an_unknown_or_foreign_connection_is_not_found(
    stranger: User, connection: Connection, sandbox, path: str
) -> None:
    client = client_for(stranger)
    assert client.get(f"/connections/{connection.pk}/{path}/").status_code == 404
    assert client.get(f"/connections/999999/{path}/").status_code == 404
    assert sandbox.requests == []


@pytest.mark.parametrize("path", ["edit", "delete"])
def test_an_editor_cannot_change_connections(
    editor: User, connection: Connection, sandbox, path: str
) -> None:
    assert client_for(editor).post(f"/connections/{connection.pk}/{path}/").status_code == 403
    assert Connection.objects.filter(pk=connection.pk).exists()


def test_a_person_without_a_team_gets_one_with_their_first_connection(
    db: None, sandbox, api_key: str
) -> None:
    user = make_user("newcomer")
    response = client_for(user).post(
        "/connections/new/",
        {"name": "Mine", "base_url": sandbox.base_url, "api_key": api_key},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER
    assert Connection.objects.get(name="Mine").team == membership.team


def test_an_owner_of_several_teams_chooses_the_team(owner: User, sandbox, api_key: str) -> None:
    second = Team.objects.create(name="Marketing")
    Membership.objects.create(user=owner, team=second, role=Role.OWNER)
    client = client_for(owner)
    assert 'name="team"' in client.get("/connections/new/").text
    client.post(
        "/connections/new/",
        {"name": "Mkt", "base_url": sandbox.base_url, "api_key": api_key, "team": second.pk},
    )
    assert Connection.objects.get(name="Mkt").team == second
