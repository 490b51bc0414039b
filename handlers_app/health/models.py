"""What the silent checks learned, per handler, and the team's choice about the owners' e-mail.

Imported by handlers_app.models, so that Django finds these models in the app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class HealthState(models.TextChoices):
    FINE = "fine", _("Fine")
    ATTENTION = "attention", _("Needs attention")
    CANNOT_CHECK = "cannot_check", _("Cannot be checked")


class HandlerHealth(models.Model):
    """The last check of one handler: its state, and what it learned as a code and the values
    its sentence needs (never a secret; the sentence is written when someone reads it)."""

    connection = models.ForeignKey(
        "handlers_app.Connection", on_delete=models.CASCADE, related_name="handler_health"
    )
    handler_id = models.BigIntegerField()
    handler_name = models.CharField(max_length=200, blank=True)
    handler_type = models.CharField(max_length=64, blank=True)
    checked_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=16, choices=HealthState.choices)
    code = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    # Since when it needs attention; the owners are told once, when it turns.
    attention_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "handler_id"], name="one_health_row")
        ]
        indexes = [models.Index(fields=["connection", "state"], name="health_by_state")]

    def __str__(self) -> str:
        return f"Handler {self.handler_id}: {self.state}"


class TeamHealthSettings(models.Model):
    """Whether the team's owners get an e-mail when a handler turns to "needs attention"."""

    team = models.OneToOneField(
        "handlers_app.Team", on_delete=models.CASCADE, related_name="health_settings"
    )
    email_owners = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"Health e-mails of team {self.team_id}: {self.email_owners}"


class PersonLanguage(models.Model):
    """The language a person last used the dashboard in, for the e-mails sent to them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    language = models.CharField(max_length=10)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"
