"""Who may create a team: TEAM_CREATION=anyone (the default) or staff only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from handlers_app.models import Connection, Team
from tests.helpers import client_for, make_user
from tests.test_production import production_env, run_manage

REFUSED = "Only staff can create teams here. Ask a team owner for an invitation link."


@pytest.fixture
def staff_only(settings) -> None:
    settings.TEAM_CREATION = "staff"


def test_by_default_anyone_signed_in_creates_a_team(owner: User) -> None:
    client = client_for(owner)
    assert reverse("team_new") in client.get("/").text

    response = client.post(reverse("team_new"), {"name": "Night shift"})

    team = Team.objects.get(name="Night shift")
    assert response["Location"] == reverse("team_detail", args=[team.pk])


@pytest.mark.usefixtures("staff_only")
def test_with_staff_only_a_person_is_refused_plainly_and_no_team_is_made(owner: User) -> None:
    client = client_for(owner)
    teams_before = Team.objects.count()

    for response in (
        client.get(reverse("team_new"), follow=True),
        client.post(reverse("team_new"), {"name": "Night shift"}, follow=True),
    ):
        assert response.redirect_chain == [(reverse("home"), 302)]
        assert REFUSED in response.text

    assert Team.objects.count() == teams_before


@pytest.mark.usefixtures("staff_only")
def test_with_staff_only_the_new_team_button_is_not_shown(owner: User, team: Team) -> None:
    client = client_for(owner)
    for url in ("/", reverse("team_detail", args=[team.pk])):
        response = client.get(url)
        assert response.status_code == 200
        assert reverse("team_new") not in response.text


@pytest.mark.usefixtures("staff_only")
def test_with_staff_only_staff_still_create_teams(owner: User) -> None:
    owner.is_staff = True
    owner.save()
    client = client_for(owner)
    assert reverse("team_new") in client.get("/").text

    client.post(reverse("team_new"), {"name": "Night shift"})

    assert Team.objects.filter(name="Night shift").exists()


@pytest.mark.usefixtures("staff_only")
def test_with_staff_only_a_person_without_a_team_cannot_make_one_through_a_connection(
    db: None, sandbox, api_key: str
) -> None:
    client = client_for(make_user("newcomer"))
    home = client.get("/").text
    assert reverse("connection_new") not in home
    assert "Ask a team owner for an invitation link." in home

    response = client.post(
        reverse("connection_new"),
        {"name": "Mine", "base_url": sandbox.base_url, "api_key": api_key},
        follow=True,
    )

    assert REFUSED in response.text
    assert not Team.objects.exists()
    assert not Connection.objects.exists()
    assert sandbox.requests == []


def test_an_unknown_team_creation_setting_stops_start_up() -> None:
    result = run_manage("check", env=production_env(TEAM_CREATION="everyone"))
    assert result.returncode != 0
    assert "TEAM_CREATION must be 'anyone' or 'staff'" in result.stderr
