"""Writes for teams, their members (and a new member's account) and invitations; each change
of a team is journalled, whoever makes it: a person in the browser, the first-run page, or the
operator in a shell (the journal then names no one).

A team always keeps at least one owner: the last one can be neither removed nor demoted.
An invitation link carries a random token; only its SHA-256 hash is stored, so the link is
shown once, to the owner who made it, and a leaked database cannot be used to join.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from handlers_app.journal.recording import record_team_event
from handlers_app.models import Invitation, JournalAction, Membership, Role, Team

_TOKEN_BYTES = 32

logger = logging.getLogger(__name__)

TEAM_CREATION_REFUSED = gettext_lazy(
    "Only staff can create teams here. Ask a team owner for an invitation link."
)


class TeamRuleError(Exception):
    """A change the team's rules forbid; `message` says why, for the person who tried."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def invitation_token_hash(token: str) -> str:
    """What the database, and the session of the person who opened the link, keep of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def team_creation_allowed(*, user: AbstractBaseUser) -> bool:
    """TEAM_CREATION: "anyone" signed in may create a team, or only "staff"."""
    return settings.TEAM_CREATION == "anyone" or bool(getattr(user, "is_staff", False))


def team_create(*, user: AbstractBaseUser, name: str, from_shell: bool = False) -> Team:
    """A new team with `user` as its first owner. TEAM_CREATION decides whether a person may
    create one; the operator in a shell (`from_shell`) may create one for anyone."""
    if not from_shell and not team_creation_allowed(user=user):
        raise TeamRuleError(str(TEAM_CREATION_REFUSED))
    with transaction.atomic():
        team = Team.objects.create(name=name)
        Membership.objects.create(user=user, team=team, role=Role.OWNER)
        record_team_event(
            team=team,
            user=None if from_shell else user,
            action=JournalAction.TEAM_CREATED,
            changes=[{"field": "name", "before": None, "after": name}],
        )
    return team


def team_for_new_owner(*, user: AbstractBaseUser) -> Team:
    """The team a person's first connection goes into, created when they own none."""
    owned = Membership.objects.filter(user=user, role=Role.OWNER).select_related("team").first()
    if owned:
        return owned.team
    return team_create(user=user, name=_("%(name)s's team") % {"name": user.get_username()})


def team_rename(*, team: Team, user: AbstractBaseUser, name: str) -> None:
    if name == team.name:
        return
    with transaction.atomic():
        old, team.name = team.name, name
        team.save(update_fields=["name"])
        record_team_event(
            team=team,
            user=user,
            action=JournalAction.TEAM_RENAMED,
            changes=[{"field": "name", "before": old, "after": name}],
        )


def invitation_create(
    *, team: Team, user: AbstractBaseUser, role: Role, valid_for: timedelta
) -> tuple[Invitation, str]:
    """A new invitation and its token, which exists nowhere else: put it in the link now."""
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            team=team,
            role=role,
            token_hash=invitation_token_hash(token),
            created_by=user,
            expires_at=timezone.now() + valid_for,
        )
        record_team_event(
            team=team,
            user=user,
            action=JournalAction.INVITATION_CREATED,
            changes=[{"field": "role", "before": None, "after": role}],
        )
    return invitation, token


def invitation_email_send(
    *, invitation: Invitation, link: str, to: str, inviter: AbstractBaseUser
) -> bool:
    """E-mail the invitation link to `to`, in the language active now: the inviter's. False when
    the mail server refused it; then the link is still on the inviter's page to copy. The link
    goes into the message only: neither the journal nor a log line sees it."""
    context = {"invitation": invitation, "link": link, "inviter": inviter.get_username()}
    subject = render_to_string("handlers_app/email/invitation_subject.txt", context)
    message = EmailMessage(
        subject=" ".join(subject.split()),
        body=render_to_string("handlers_app/email/invitation_body.txt", context),
        to=[to],
        reply_to=[inviter.email] if getattr(inviter, "email", "") else None,
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        # The class only: a server's answer may quote the message, and the message holds the link.
        logger.warning(
            "Invitation %s: the e-mail was not sent (%s)", invitation.pk, type(exc).__name__
        )
        return False
    return True


def invitation_find(*, token_hash: str) -> Invitation | None:
    """The invitation of a link's token hash, used or not; None for an unknown one."""
    return Invitation.objects.select_related("team").filter(token_hash=token_hash).first()


def invitation_revoke(*, invitation: Invitation, user: AbstractBaseUser) -> None:
    with transaction.atomic():
        invitation.delete()
        record_team_event(
            team=invitation.team,
            user=user,
            action=JournalAction.INVITATION_REVOKED,
            changes=[{"field": "role", "before": invitation.role, "after": None}],
        )


def invitation_accept(*, invitation: Invitation, user: AbstractBaseUser) -> Membership:
    """Join the invitation's team; the link is used up. Raises TeamRuleError when it cannot be
    used (already used, expired, or the person is already in the team)."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at is not None:
            raise TeamRuleError(_("This invitation link has already been used."))
        if locked.is_expired:
            raise TeamRuleError(_("This invitation link has expired."))
        if Membership.objects.filter(user=user, team_id=locked.team_id).exists():
            raise TeamRuleError(
                _("You are already a member of “%(team)s”.") % {"team": locked.team.name}
            )
        locked.accepted_by = user
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_by", "accepted_at"])
        membership = member_add(team=locked.team, member=user, role=Role(locked.role), by=user)
    return membership


def account_create(*, username: str, password: str | None) -> AbstractBaseUser:
    """A new person's account, its name and password checked as the sign-up page checks them
    (ValidationError otherwise). Without a password it cannot sign in until one is set
    (`manage.py changepassword`, or a password reset)."""
    user = get_user_model()(username=username)
    if password is None:
        user.set_unusable_password()
    else:
        validate_password(password, user)
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


def member_add(
    *, team: Team, member: AbstractBaseUser, role: Role, by: AbstractBaseUser | None
) -> Membership:
    membership = Membership.objects.create(user=member, team=team, role=role)
    record_team_event(
        team=team,
        user=by,
        action=JournalAction.MEMBER_JOINED,
        subject=member.get_username(),
        changes=[{"field": "role", "before": None, "after": role}],
    )
    return membership


def _refuse_if_last_owner(membership: Membership, message: str) -> None:
    if membership.role != Role.OWNER:
        return
    # Locking the owners' rows keeps two owners from demoting each other at the same moment.
    owners = Membership.objects.select_for_update().filter(
        team_id=membership.team_id, role=Role.OWNER
    )
    if list(owners.values_list("pk", flat=True)) == [membership.pk]:
        raise TeamRuleError(message)


def membership_set_role(
    *, membership: Membership, user: AbstractBaseUser | None, role: Role
) -> None:
    if membership.role == role:
        return
    with transaction.atomic():
        _refuse_if_last_owner(
            membership,
            _(
                "%(name)s is the team's only owner. Make someone else an owner first, then "
                "change this role."
            )
            % {"name": membership.user.get_username()},
        )
        old, membership.role = membership.role, role
        membership.save(update_fields=["role"])
        record_team_event(
            team=membership.team,
            user=user,
            action=JournalAction.MEMBER_ROLE_CHANGED,
            subject=membership.user.get_username(),
            changes=[{"field": "role", "before": old, "after": role}],
        )


def membership_remove(*, membership: Membership, user: AbstractBaseUser) -> None:
    with transaction.atomic():
        _refuse_if_last_owner(
            membership,
            _(
                "%(name)s is the team's only owner and cannot leave it. Make someone else an "
                "owner first."
            )
            % {"name": membership.user.get_username()},
        )
        membership.delete()
        record_team_event(
            team=membership.team,
            user=user,
            action=JournalAction.MEMBER_REMOVED,
            subject=membership.user.get_username(),
            changes=[{"field": "role", "before": membership.role, "after": None}],
        )
