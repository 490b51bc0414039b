"""Tell a team's owners, once, that handlers turned to "needs attention".

One e-mail per owner for the handlers that turned in one run (a person's check, a "Check all",
a scheduled round), each in the language the owner last used the dashboard in, with a link to
the connection's list filtered to the handlers that need attention. A handler that stays in
that state is not announced again; one that recovers and fails again is. A team's owners can
switch these e-mails off (`team_health_emails_set`, journalled).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from handlers_app.health.models import HandlerHealth, PersonLanguage, TeamHealthSettings
from handlers_app.journal.recording import record_team_event
from handlers_app.models import Connection, JournalAction, Membership, Role, Team

__all__ = [
    "ATTENTION_FILTER",
    "language_remember",
    "owners_tell",
    "team_health_emails",
    "team_health_emails_set",
]

logger = logging.getLogger("handlers_app.health")

# The list's filter for the handlers that need attention.
ATTENTION_FILTER = "health=attention"


def team_health_emails(team: Team) -> bool:
    found = TeamHealthSettings.objects.filter(team=team).first()
    return True if found is None else found.email_owners


def team_health_emails_set(*, team: Team, user: AbstractBaseUser, on: bool) -> None:
    before = team_health_emails(team)
    if before == on:
        return
    with transaction.atomic():
        TeamHealthSettings.objects.update_or_create(team=team, defaults={"email_owners": on})
        record_team_event(
            team=team,
            user=user,
            action=JournalAction.TEAM_HEALTH_EMAILS,
            changes=[
                {
                    "field": "health_emails",
                    "before": "on" if before else "off",
                    "after": "on" if on else "off",
                }
            ],
        )


def language_remember(*, user: AbstractBaseUser, language: str) -> None:
    """Keep the language a person reads the dashboard in, for the e-mails they get."""
    known = dict(settings.LANGUAGES)
    code = language if language in known else settings.LANGUAGE_CODE
    if not PersonLanguage.objects.filter(user=user, language=code).exists():
        PersonLanguage.objects.update_or_create(user=user, defaults={"language": code})


def owners_tell(*, connection: Connection, turned: Sequence[HandlerHealth]) -> int:
    """E-mail each owner of the connection's team about `turned`; how many were sent."""
    if not turned or not team_health_emails(connection.team):
        return 0
    owners = [
        m.user
        for m in Membership.objects.filter(team_id=connection.team_id, role=Role.OWNER)
        .select_related("user")
        .order_by("user__username")
        if m.user.email and m.user.is_active
    ]
    languages = dict(
        PersonLanguage.objects.filter(user__in=owners).values_list("user_id", "language")
    )
    link = _site_url() + reverse("handler_list", args=[connection.pk]) + "?" + ATTENTION_FILTER
    sent = 0
    for owner in owners:
        with translation.override(languages.get(owner.pk, settings.LANGUAGE_CODE)):
            sent += _send(connection, turned, owner, link)
    return sent


def _send(
    connection: Connection,
    turned: Sequence[HandlerHealth],
    owner: AbstractBaseUser,
    link: str,
) -> int:
    from handlers_app.health.service import note_of

    context = {
        "connection": connection,
        "team": connection.team,
        "handlers": [(health, note_of(health)) for health in turned],
        "count": len(turned),
        "link": link,
        "team_link": _site_url() + reverse("team_detail", args=[connection.team_id]),
    }
    subject = render_to_string("handlers_app/email/health_subject.txt", context)
    message = EmailMessage(
        subject=" ".join(subject.split()),
        body=render_to_string("handlers_app/email/health_body.txt", context),
        to=[owner.email],
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning(
            "Health e-mail for connection %s not sent (%s)", connection.pk, type(exc).__name__
        )
        return 0
    return 1


def _site_url() -> str:
    """The dashboard's own address for links in e-mails: DASHBOARD_URL, else the first allowed
    host over https."""
    if settings.DASHBOARD_URL:
        return settings.DASHBOARD_URL.rstrip("/")
    hosts = [h for h in settings.ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")]
    return f"https://{hosts[0]}" if hosts else ""
