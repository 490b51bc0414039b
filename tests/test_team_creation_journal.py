"""Every way a team, its first owner, a member or a connection comes to be leaves a journal entry:
the team page, a person's first connection, the first-run page and the operator's commands."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from handlers_app.models import Connection, JournalAction, JournalEntry, Membership, Role, Team
from tests.helpers import client_for, make_user
from tests.test_first_run import start_up


def entries(team: Team) -> list[tuple[str, str, str]]:
    """The team's journal, oldest first: (change, person, member concerned)."""
    return list(
        JournalEntry.objects.filter(team=team)
        .order_by("pk")
        .values_list("action", "user_name", "subject")
    )


def add_connection(*args: str, api_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCLOOK_API_KEY", api_key)
    call_command("add_connection", *args, stdout=io.StringIO())


def test_a_team_made_on_the_team_page_is_journalled(db: None) -> None:
    client_for(make_user("nina")).post(reverse("team_new"), {"name": "Night shift"})

    team = Team.objects.get(name="Night shift")
    assert entries(team) == [(JournalAction.TEAM_CREATED, "nina", "")]


def test_the_team_made_for_a_first_connection_is_journalled(
    db: None, sandbox, api_key: str
) -> None:
    client_for(make_user("newcomer")).post(
        reverse("connection_new"),
        {"name": "Mine", "base_url": sandbox.base_url, "api_key": api_key},
    )

    team = Team.objects.get()
    assert team.name == "newcomer's team"
    assert entries(team) == [
        (JournalAction.TEAM_CREATED, "newcomer", ""),
        (JournalAction.CONNECTION_ADDED, "newcomer", ""),
    ]


def test_the_first_administrators_team_is_journalled(db: None, caplog) -> None:
    Client().post(
        "/setup/",
        {
            "setup_code": start_up(caplog),
            "username": "admin",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "team_name": "Support",
        },
    )

    team = Team.objects.get(name="Support")
    assert Membership.objects.get(team=team).user.username == "admin"
    assert entries(team) == [(JournalAction.TEAM_CREATED, "admin", "")]


def test_a_team_and_connection_made_from_the_shell_are_journalled(
    db: None, sandbox, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_connection(
        *("--team", "Ops", "--owner", "ops-admin", "--name", "Main"),
        *("--base-url", sandbox.base_url),
        api_key=api_key,
        monkeypatch=monkeypatch,
    )

    team = Team.objects.get(name="Ops")
    assert entries(team) == [
        (JournalAction.TEAM_CREATED, "", ""),
        (JournalAction.CONNECTION_ADDED, "ops-admin", ""),
    ]


def test_a_connection_saved_from_the_shell_without_a_check_is_journalled_and_not_tried(
    db: None, sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_connection(
        *("--team", "Ops", "--owner", "ops-admin", "--name", "Main"),
        *("--base-url", sandbox.base_url, "--no-check"),
        api_key="not-tried-yet",
        monkeypatch=monkeypatch,
    )

    connection = Connection.objects.get(name="Main")
    assert connection.api_key == "not-tried-yet"
    assert connection.last_checked_at is None
    assert sandbox.requests == []
    assert entries(connection.team) == [
        (JournalAction.TEAM_CREATED, "", ""),
        (JournalAction.CONNECTION_ADDED, "ops-admin", ""),
    ]


def test_an_account_made_by_add_connection_cannot_sign_in_until_given_a_password(
    db: None, sandbox, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_connection(
        *("--team", "Ops", "--owner", "ops-admin", "--name", "Main"),
        *("--base-url", sandbox.base_url),
        api_key=api_key,
        monkeypatch=monkeypatch,
    )

    assert not User.objects.get(username="ops-admin").has_usable_password()


def test_add_connection_refuses_a_user_name_the_sign_up_page_would_refuse(
    db: None, sandbox, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(CommandError, match="Enter a valid username"):
        add_connection(
            *("--team", "Ops", "--owner", "ops admin/with slash", "--name", "Main"),
            *("--base-url", sandbox.base_url),
            api_key=api_key,
            monkeypatch=monkeypatch,
        )

    assert not User.objects.exists()
    assert not Team.objects.exists()


def test_add_connection_journals_making_a_member_the_owner_of_an_existing_team(
    team: Team, sandbox, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    Membership.objects.create(user=make_user("vera"), team=team, role=Role.VIEWER)

    add_connection(
        *("--team", team.name, "--owner", "vera", "--name", "Main"),
        *("--base-url", sandbox.base_url),
        api_key=api_key,
        monkeypatch=monkeypatch,
    )

    assert Membership.objects.get(team=team, user__username="vera").role == Role.OWNER
    assert entries(team) == [
        (JournalAction.MEMBER_ROLE_CHANGED, "", "vera"),
        (JournalAction.CONNECTION_ADDED, "vera", ""),
    ]


def test_add_connection_journals_a_new_owner_joining_an_existing_team(
    team: Team, sandbox, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_connection(
        *("--team", team.name, "--owner", "ops-admin", "--name", "Main"),
        *("--base-url", sandbox.base_url),
        api_key=api_key,
        monkeypatch=monkeypatch,
    )

    assert Membership.objects.get(team=team, user__username="ops-admin").role == Role.OWNER
    assert entries(team) == [
        (JournalAction.MEMBER_JOINED, "", "ops-admin"),
        (JournalAction.CONNECTION_ADDED, "ops-admin", ""),
    ]


def test_a_member_added_from_the_shell_with_a_new_account_is_journalled(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_MEMBER_PASSWORD", "a-long-unusual-passphrase")
    call_command(
        "add_member",
        "--team",
        team.name,
        "--username",
        "pavel",
        "--role",
        "editor",
        stdout=io.StringIO(),
    )

    signed_in = Client().post(
        "/accounts/login/", {"username": "pavel", "password": "a-long-unusual-passphrase"}
    )
    assert signed_in.status_code == 302
    assert entries(team) == [(JournalAction.MEMBER_JOINED, "", "pavel")]


def test_add_member_refuses_a_user_name_the_sign_up_page_would_refuse(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_MEMBER_PASSWORD", "a-long-unusual-passphrase")
    with pytest.raises(CommandError, match="Enter a valid username"):
        call_command(
            "add_member",
            "--team",
            team.name,
            "--username",
            "pa vel/x",
            "--role",
            "editor",
            stdout=io.StringIO(),
        )

    assert not User.objects.exists()
    assert entries(team) == []
