"""Teams: the team page, new teams, roles, invitations, and the add_member command."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from handlers_app.models import Invitation, JournalAction, JournalEntry, Membership, Role, Team
from tests.helpers import PASSWORD, client_for, make_user

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"
JOIN = reverse("invitation_join")


def invite(owner: User, team: Team, role: str = "editor") -> str:
    response = client_for(owner).post(
        reverse("invitation_new", args=[team.pk]), {"role": role, "valid_for": 7}
    )
    assert response.status_code == 200
    link = re.search(r'value="(http[^"]+/invitations/[^"]+/)"', response.text)
    assert link is not None
    return link.group(1).removeprefix("http://testserver")


def opened(link: str, client: Client | None = None) -> Client:
    """A visitor who opened the link: the token is now in their session."""
    client = client or Client()
    assert client.get(link)["Location"] == JOIN
    return client


def membership(user: User, team: Team) -> Membership | None:
    return Membership.objects.filter(user=user, team=team).first()


# --- the team page -------------------------------------------------------------------------------


def test_the_team_page_shows_connections_members_and_an_owners_controls(
    owner: User, editor: User, viewer: User, connection
) -> None:
    response = client_for(owner).get(reverse("team_detail", args=[connection.team_id]))
    assert response.status_code == 200
    for text in ("Soclook main", "olga", "egor", "vera", "Create a link", 'name="role"'):
        assert text in response.text


def test_a_viewer_sees_the_team_but_not_the_owners_controls(
    owner: User, viewer: User, team: Team
) -> None:
    response = client_for(viewer).get(reverse("team_detail", args=[team.pk]))
    assert response.status_code == 200
    assert "olga" in response.text
    assert "Create a link" not in response.text
    assert reverse("member_role", args=[team.pk, membership(owner, team).pk]) not in response.text
    assert "Leave the team" in response.text


def test_someone_in_two_teams_finds_both_on_home_with_their_team_pages(
    owner: User, team: Team
) -> None:
    other = Team.objects.create(name="Billing")
    Membership.objects.create(user=owner, team=other, role=Role.VIEWER)
    response = client_for(owner).get("/")
    for t in (team, other):
        assert t.name in response.text
        assert reverse("team_detail", args=[t.pk]) in response.text


def test_anyone_signed_in_can_create_a_team_and_owns_it(stranger: User) -> None:
    response = client_for(stranger).post(reverse("team_new"), {"name": "Night shift"})
    team = Team.objects.get(name="Night shift")
    assert response["Location"] == reverse("team_detail", args=[team.pk])
    assert membership(stranger, team).role == Role.OWNER
    assert JournalEntry.objects.get(team=team).action == JournalAction.TEAM_CREATED


def test_an_owner_renames_the_team_and_the_journal_says_so(owner: User, team: Team) -> None:
    client_for(owner).post(reverse("team_edit", args=[team.pk]), {"name": "Customer care"})
    team.refresh_from_db()
    assert team.name == "Customer care"
    entry = JournalEntry.objects.get(action=JournalAction.TEAM_RENAMED)
    assert entry.changes == [{"field": "name", "before": "Support", "after": "Customer care"}]


# --- roles and members ---------------------------------------------------------------------------


def test_an_owner_changes_a_role_through_htmx_and_gets_the_members_table_back(
    owner: User, viewer: User, team: Team
) -> None:
    target = membership(viewer, team)
    response = client_for(owner).post(
        reverse("member_role", args=[team.pk, target.pk]),
        {"role": "editor"},
        headers={"HX-Request": "true"},
    )
    target.refresh_from_db()
    assert target.role == Role.EDITOR
    assert response.text.lstrip().startswith('<section id="members"')
    assert "vera is now: Editor." in response.text
    entry = JournalEntry.objects.get()
    assert (entry.action, entry.subject, entry.user) == (
        JournalAction.MEMBER_ROLE_CHANGED,
        "vera",
        owner,
    )


def test_the_last_owner_cannot_be_demoted(owner: User, team: Team) -> None:
    mine = membership(owner, team)
    response = client_for(owner).post(
        reverse("member_role", args=[team.pk, mine.pk]), {"role": "viewer"}, follow=True
    )
    mine.refresh_from_db()
    assert mine.role == Role.OWNER
    assert "only owner" in response.text
    assert not JournalEntry.objects.exists()


def test_the_last_owner_cannot_be_removed_or_leave(owner: User, team: Team) -> None:
    mine = membership(owner, team)
    response = client_for(owner).post(
        reverse("member_remove", args=[team.pk, mine.pk]), follow=True
    )
    assert membership(owner, team) is not None
    assert "only owner" in response.text


def test_an_owner_may_step_down_when_another_owner_remains(owner: User, team: Team) -> None:
    second = make_user("oleg")
    Membership.objects.create(user=second, team=team, role=Role.OWNER)
    mine = membership(owner, team)
    response = client_for(owner).post(
        reverse("member_role", args=[team.pk, mine.pk]),
        {"role": "editor"},
        headers={"HX-Request": "true"},
    )
    assert membership(owner, team).role == Role.EDITOR
    assert response["HX-Redirect"] == reverse("team_detail", args=[team.pk])


def test_an_owner_removes_a_member_after_confirming(
    owner: User, editor: User, team: Team, sandbox
) -> None:
    url = reverse("member_remove", args=[team.pk, membership(editor, team).pk])
    client = client_for(owner)
    assert "Remove egor from “Support”?" in client.get(url).text
    response = client.post(url)
    assert response["Location"] == reverse("team_detail", args=[team.pk])
    assert membership(editor, team) is None
    assert JournalEntry.objects.get().action == JournalAction.MEMBER_REMOVED
    assert client_for(editor).get(reverse("team_detail", args=[team.pk])).status_code == 404
    assert sandbox.requests == []


def test_a_member_may_leave_a_team(viewer: User, owner: User, team: Team) -> None:
    response = client_for(viewer).post(
        reverse("member_remove", args=[team.pk, membership(viewer, team).pk])
    )
    assert response["Location"] == reverse("home")
    assert membership(viewer, team) is None


def test_a_member_cannot_remove_someone_else(editor: User, viewer: User, team: Team) -> None:
    response = client_for(editor).post(
        reverse("member_remove", args=[team.pk, membership(viewer, team).pk])
    )
    assert response.status_code == 403
    assert membership(viewer, team) is not None


# --- invitations ---------------------------------------------------------------------------------


def test_an_invitation_link_is_shown_once_and_only_its_hash_is_stored(
    owner: User, team: Team
) -> None:
    link = invite(owner, team, role="viewer")
    token = link.rstrip("/").rsplit("/", 1)[-1]
    invitation = Invitation.objects.get()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(Invitation.objects.values_list())
    assert invitation.role == Role.VIEWER
    assert invitation.expires_at > timezone.now() + timedelta(days=6)
    assert token not in client_for(owner).get(reverse("team_detail", args=[team.pk])).text
    assert JournalEntry.objects.get().action == JournalAction.INVITATION_CREATED


def test_a_new_colleague_signs_up_through_the_link_and_joins_with_the_role(
    owner: User, team: Team
) -> None:
    link = invite(owner, team, role="editor")
    visitor = opened(link)
    page = visitor.get(JOIN)
    assert page.status_code == 200
    assert "Join “Support”" in page.text and "Editor" in page.text

    response = visitor.post(
        JOIN,
        {
            "username": "nina",
            "email": "nina@example.com",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )

    nina = User.objects.get(username="nina")
    assert response["Location"] == reverse("team_detail", args=[team.pk])
    assert membership(nina, team).role == Role.EDITOR
    assert visitor.get(reverse("team_detail", args=[team.pk])).status_code == 200
    invitation = Invitation.objects.get()
    assert (invitation.accepted_by, invitation.is_usable) == (nina, False)
    joined = JournalEntry.objects.get(action=JournalAction.MEMBER_JOINED)
    assert (joined.user, joined.subject) == (nina, "nina")


def test_signing_up_applies_the_password_rules(owner: User, team: Team) -> None:
    link = invite(owner, team)
    response = opened(link).post(
        JOIN,
        {"username": "nina", "email": "nina@example.com", "password1": "123", "password2": "123"},
    )
    assert response.status_code == 200
    assert "too short" in response.text
    assert not User.objects.filter(username="nina").exists()
    assert Invitation.objects.get().is_usable


def test_a_link_works_only_once(owner: User, team: Team) -> None:
    link = invite(owner, team)
    opened(link).post(
        JOIN,
        {
            "username": "nina",
            "email": "nina@example.com",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    response = opened(link).get(JOIN)
    assert response.status_code == 410
    assert "already been used" in response.text


def test_an_expired_link_says_so(owner: User, team: Team) -> None:
    link = invite(owner, team)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = opened(link).post(
        JOIN,
        {
            "username": "nina",
            "email": "nina@example.com",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 410
    assert "expired" in response.text
    assert not User.objects.filter(username="nina").exists()


def test_an_unknown_link_is_not_found(db: None) -> None:
    response = opened(reverse("invitation_accept", args=["not-a-real-token"])).get(JOIN)
    assert response.status_code == 404


def test_someone_with_an_account_signs_in_and_joins(
    owner: User, stranger: User, team: Team
) -> None:
    link = invite(owner, team, role="viewer")
    page = opened(link).get(JOIN)
    assert f"{reverse('login')}?next={JOIN}" in page.text.replace("%2F", "/")
    client = opened(link, client_for(stranger))
    assert "Join as stas" in client.get(JOIN).text
    response = client.post(JOIN)
    assert response["Location"] == reverse("team_detail", args=[team.pk])
    assert membership(stranger, team).role == Role.VIEWER


def test_a_member_opening_an_invitation_is_told_and_the_link_stays_unused(
    owner: User, editor: User, team: Team
) -> None:
    link = invite(owner, team, role="owner")
    client = opened(link, client_for(editor))
    assert "already a member" in client.get(JOIN).text
    client.post(JOIN)
    assert membership(editor, team).role == Role.EDITOR
    assert Invitation.objects.get().is_usable


def test_an_owner_withdraws_an_open_invitation(owner: User, team: Team) -> None:
    link = invite(owner, team)
    invitation = Invitation.objects.get()
    response = client_for(owner).post(
        reverse("invitation_withdraw", args=[team.pk, invitation.pk]),
        headers={"HX-Request": "true"},
    )
    assert response.text.lstrip().startswith('<section id="invitations"')
    assert not Invitation.objects.exists()
    assert opened(link).get(JOIN).status_code == 404
    assert JournalEntry.objects.first().action == JournalAction.INVITATION_REVOKED


def test_an_invitation_form_error_is_shown_in_place(owner: User, team: Team) -> None:
    response = client_for(owner).post(
        reverse("invitation_new", args=[team.pk]),
        {"role": "admin", "valid_for": 7},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "admin is not one of the available choices" in response.text
    assert not Invitation.objects.exists()


# --- signing in, for htmx too --------------------------------------------------------------------


def test_an_htmx_request_without_a_session_is_sent_to_the_sign_in_page_as_a_whole(
    team: Team,
) -> None:
    response = Client().post(
        reverse("member_role", args=[team.pk, 1]),
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver/teams/{team.pk}/"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/accounts/login/?next=/teams/{team.pk}/"


# --- add_member ----------------------------------------------------------------------------------


def test_add_member_creates_the_account_with_the_password_from_the_environment(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_MEMBER_PASSWORD", NEW_PASSWORD)
    out = io.StringIO()
    call_command("add_member", team="Support", username="nina", role="editor", stdout=out)
    nina = User.objects.get(username="nina")
    assert nina.check_password(NEW_PASSWORD)
    assert membership(nina, team).role == Role.EDITOR
    assert "“nina” is now editor in team “Support”." in out.getvalue()
    assert NEW_PASSWORD not in out.getvalue()
    entry = JournalEntry.objects.get()
    assert (entry.action, entry.user, entry.subject) == (JournalAction.MEMBER_JOINED, None, "nina")


def test_add_member_reads_the_password_from_standard_input(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DJANGO_MEMBER_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    call_command("add_member", team="Support", username="nina", role="viewer", stdout=io.StringIO())
    assert User.objects.get(username="nina").check_password(NEW_PASSWORD)


def test_add_member_refuses_a_weak_password(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_MEMBER_PASSWORD", "12345678")
    with pytest.raises(CommandError, match="too common"):
        call_command("add_member", team="Support", username="nina", role="viewer")
    assert not User.objects.filter(username="nina").exists()


def test_add_member_changes_the_role_of_someone_already_there_without_a_password(
    viewer: User, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DJANGO_MEMBER_PASSWORD", raising=False)
    call_command("add_member", team="Support", username="vera", role="owner", stdout=io.StringIO())
    assert membership(viewer, team).role == Role.OWNER
    assert viewer.check_password(PASSWORD)


def test_add_member_will_not_demote_the_last_owner(owner: User, team: Team) -> None:
    with pytest.raises(CommandError, match="only owner"):
        call_command("add_member", team="Support", username="olga", role="viewer")


def test_add_member_needs_an_existing_team(db: None) -> None:
    with pytest.raises(CommandError, match="No team named"):
        call_command("add_member", team="Nowhere", username="nina", role="viewer")
