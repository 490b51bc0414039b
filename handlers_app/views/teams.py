"""Teams: a team's page (connections, members, invitations), new teams, roles, invitation links."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from handlers_app.access import team_for
from handlers_app.forms.accounts import InvitationSignupForm
from handlers_app.forms.teams import InvitationForm, MemberRoleForm, TeamForm
from handlers_app.health.notify import team_health_emails
from handlers_app.health.service import health_counts
from handlers_app.http import HtmxHttpRequest
from handlers_app.models import Invitation, Membership, Role, Team
from handlers_app.teams import (
    TEAM_CREATION_REFUSED,
    TeamRuleError,
    invitation_accept,
    invitation_create,
    invitation_email_send,
    invitation_find,
    invitation_revoke,
    invitation_token_hash,
    membership_remove,
    membership_set_role,
    team_create,
    team_creation_allowed,
    team_rename,
)

_TEAM_PAGE = "handlers_app/team_detail.html"


def _team_context(team: Team, membership: Membership, **extra: Any) -> dict[str, Any]:
    can_manage = membership.allows(Role.OWNER)
    members = list(team.memberships.select_related("user").order_by("user__username"))
    invitations = (
        team.invitations.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("created_by")
        .order_by("expires_at")
        if can_manage
        else []
    )
    connections = list(team.connections.all())
    health = health_counts(c.pk for c in connections)
    for connection in connections:
        connection.health = health.get(connection.pk)
    return {
        "team": team,
        "membership": membership,
        "can_manage": can_manage,
        "can_edit": membership.allows(Role.EDITOR),
        "connections": connections,
        "health_emails": team_health_emails(team),
        "members": members,
        "invitations": invitations,
        "invitation_form": InvitationForm(),
        "roles": Role.choices,
        "owner_count": sum(1 for m in members if m.role == Role.OWNER),
        **extra,
    }


def _team_page(
    request: HtmxHttpRequest, team: Team, membership: Membership, *, part: str, **extra: Any
) -> HttpResponse:
    template = f"{_TEAM_PAGE}#{part}" if request.htmx else _TEAM_PAGE
    context = _team_context(
        team, membership, can_create_team=team_creation_allowed(user=request.user), **extra
    )
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def team_new(request: HtmxHttpRequest) -> HttpResponse:
    if not team_creation_allowed(user=request.user):
        messages.error(request, TEAM_CREATION_REFUSED)
        return redirect("home")
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        team = team_create(user=request.user, name=form.cleaned_data["name"])
        messages.success(
            request,
            _("Created the team “%(name)s”. Add a connection or invite colleagues.")
            % {"name": team.name},
        )
        return redirect("team_detail", team_id=team.pk)
    return render(request, "handlers_app/team_form.html", {"form": form, "team": None})


@login_required
@require_GET
def team_detail(request: HtmxHttpRequest, team_id: int) -> HttpResponse:
    team, membership = team_for(request.user, team_id)
    allowed = team_creation_allowed(user=request.user)
    return render(request, _TEAM_PAGE, _team_context(team, membership, can_create_team=allowed))


@login_required
@require_http_methods(["GET", "POST"])
def team_edit(request: HtmxHttpRequest, team_id: int) -> HttpResponse:
    team, _membership = team_for(request.user, team_id, role=Role.OWNER)
    # Not bound to the team itself: validating would rename it before the service compares.
    form = TeamForm(request.POST or None, initial={"name": team.name})
    if request.method == "POST" and form.is_valid():
        team_rename(team=team, user=request.user, name=form.cleaned_data["name"])
        messages.success(request, _("Saved the team's name."))
        return redirect("team_detail", team_id=team.pk)
    return render(request, "handlers_app/team_form.html", {"form": form, "team": team})


@login_required
@require_POST
def invitation_new(request: HtmxHttpRequest, team_id: int) -> HttpResponse:
    team, membership = team_for(request.user, team_id, role=Role.OWNER)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        return _team_page(request, team, membership, part="invitations", invitation_form=form)
    invitation, token = invitation_create(
        team=team,
        user=request.user,
        role=Role(form.cleaned_data["role"]),
        valid_for=timedelta(days=form.cleaned_data["valid_for"]),
    )
    # The token exists only in this response (and the e-mail, when asked for): the page shows
    # the link once, nothing stores it.
    link = request.build_absolute_uri(reverse("invitation_accept", args=[token]))
    email = form.cleaned_data["email"]
    sent = email and invitation_email_send(
        invitation=invitation, link=link, to=email, inviter=request.user
    )
    return _team_page(
        request,
        team,
        membership,
        part="invitations",
        new_link=link,
        new_invitation=invitation,
        emailed_to=email if sent else "",
        email_failed=email if email and not sent else "",
    )


@login_required
@require_POST
def invitation_withdraw(request: HtmxHttpRequest, team_id: int, invitation_id: int) -> HttpResponse:
    team, membership = team_for(request.user, team_id, role=Role.OWNER)
    invitation = get_object_or_404(
        Invitation, pk=invitation_id, team=team, accepted_at__isnull=True
    )
    invitation_revoke(invitation=invitation, user=request.user)
    messages.success(request, _("Withdrawn: that invitation link no longer works."))
    if request.htmx:
        return _team_page(request, team, membership, part="invitations")
    return redirect("team_detail", team_id=team.pk)


@login_required
@require_POST
def member_role(request: HtmxHttpRequest, team_id: int, membership_id: int) -> HttpResponse:
    team, membership = team_for(request.user, team_id, role=Role.OWNER)
    target = get_object_or_404(
        Membership.objects.select_related("user", "team"), pk=membership_id, team=team
    )
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles."))
    else:
        role = Role(form.cleaned_data["role"])
        try:
            membership_set_role(membership=target, user=request.user, role=role)
        except TeamRuleError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(name)s is now: %(role)s.")
                % {"name": target.user.get_username(), "role": role.label},
            )
    if target.pk == membership.pk and target.role != Role.OWNER:
        # An owner who stepped down no longer sees the owner's controls: reload the whole page.
        url = reverse("team_detail", args=[team.pk])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.htmx:
        return _team_page(request, team, membership, part="members")
    return redirect("team_detail", team_id=team.pk)


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request: HtmxHttpRequest, team_id: int, membership_id: int) -> HttpResponse:
    """An owner removes a member; any member may remove themselves (leave the team)."""
    team, membership = team_for(request.user, team_id)
    target = get_object_or_404(
        Membership.objects.select_related("user"), pk=membership_id, team=team
    )
    leaving = target.pk == membership.pk
    if not leaving and not membership.allows(Role.OWNER):
        raise PermissionDenied
    if request.method == "POST":
        try:
            membership_remove(membership=target, user=request.user)
        except TeamRuleError as exc:
            messages.error(request, exc.message)
            return redirect("team_detail", team_id=team.pk)
        if leaving:
            messages.success(request, _("You left “%(team)s”.") % {"team": team.name})
            return HttpResponseClientRedirect("/") if request.htmx else redirect("home")
        messages.success(
            request,
            _("Removed %(name)s from the team.") % {"name": target.user.get_username()},
        )
        return redirect("team_detail", team_id=team.pk)
    return render(
        request,
        "handlers_app/team_member_remove.html",
        {"team": team, "target": target, "leaving": leaving},
    )


# The hash of the token of the invitation link this visitor opened.
_INVITATION_SESSION_KEY = "invitation_token_hash"


@require_GET
def invitation_open(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """An invitation link. Its token goes into the session at once and the visitor goes on at a
    token-free address, as with Django's password-reset links: no later request, form, sign-in
    `next`, Referer or error answer carries it. The token's own path is hidden from the logs
    (handlers_app.observability.hide_link_tokens)."""
    request.session[_INVITATION_SESSION_KEY] = invitation_token_hash(token)
    return redirect("invitation_join")


@require_http_methods(["GET", "POST"])
def invitation_join(request: HtmxHttpRequest) -> HttpResponse:
    """Sign up (or sign in) and join the team of the invitation opened in this session."""
    token_hash = request.session.get(_INVITATION_SESSION_KEY)
    invitation = invitation_find(token_hash=token_hash) if token_hash else None
    if invitation is None or not invitation.is_usable:
        return render(
            request,
            "handlers_app/invitation_invalid.html",
            {"invitation": invitation},
            status=404 if invitation is None else 410,
        )
    team = invitation.team
    if request.user.is_authenticated:
        already = Membership.objects.filter(user_id=request.user.pk, team=team).exists()
        if request.method == "POST" and not already:
            return _join(request, invitation, request.user)
        return render(
            request,
            "handlers_app/invitation_accept.html",
            {"invitation": invitation, "already": already, "form": None},
        )
    form = InvitationSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = form.save()
                invitation_accept(invitation=invitation, user=user)
        except TeamRuleError as exc:
            messages.error(request, exc.message)
            return redirect("invitation_join")
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return _welcome(request, invitation)
    return render(
        request,
        "handlers_app/invitation_accept.html",
        {"invitation": invitation, "already": False, "form": form},
    )


def _join(request: HtmxHttpRequest, invitation: Invitation, user: Any) -> HttpResponse:
    try:
        invitation_accept(invitation=invitation, user=user)
    except TeamRuleError as exc:
        messages.error(request, exc.message)
        return redirect("invitation_join")
    return _welcome(request, invitation)


def _welcome(request: HtmxHttpRequest, invitation: Invitation) -> HttpResponse:
    request.session.pop(_INVITATION_SESSION_KEY, None)
    messages.success(
        request,
        _("Welcome to “%(team)s”. Your role: %(role)s.")
        % {"team": invitation.team.name, "role": invitation.get_role_display()},
    )
    return redirect("team_detail", team_id=invitation.team_id)
