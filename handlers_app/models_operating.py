"""The models of operating at scale (imported by handlers_app.models, whose names they are):
what the dashboard last saw of an account (handlers_app.journal.outside), snoozes
(handlers_app.snooze) and the handlers made from a saved set-up (handlers_app.setup_links)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from handlers_app.models import Connection, SavedSetup


class HandlersSeen(models.Model):
    """An account's handlers as the dashboard last read them whole from Soclook, to tell what
    changed there without the dashboard (handlers_app.journal.outside). The handlers, secrets
    included, are sealed like API keys: a handler deleted outside is brought back from them."""

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="+")
    state_encrypted = models.TextField(editable=False)
    # A fingerprint of the handlers read: an equal read changes nothing.
    digest = models.CharField(max_length=64)
    seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Handlers of {self.connection_id} seen at {self.seen_at}"


class SnoozeState(models.TextChoices):
    ACTIVE = "active", _("Off until its time")
    DONE = "done", _("Switched back on")
    SWITCHED_ON_NOW = "switched_on_now", _("Switched on before its time")
    OVERRIDDEN = "overridden", _("Switched on or off by hand meanwhile")
    GONE = "gone", _("The handler no longer exists")
    GAVE_UP = "gave_up", _("Soclook kept refusing to switch it back on")


class Snooze(models.Model):
    """A handler switched off until a moment, when the background worker switches it back on
    (handlers_app.snooze)."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="snoozes")
    handler_id = models.BigIntegerField()
    handler_name = models.CharField(max_length=200, blank=True)
    until = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=16, choices=SnoozeState.choices, default=SnoozeState.ACTIVE)
    # When the worker tries next to switch it back on: `until`, later after a refusal.
    next_try_at = models.DateTimeField(db_index=True)
    tries = models.PositiveSmallIntegerField(default=0)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Soclook's own words when it refused the last try.
    message = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["until", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "handler_id"],
                condition=models.Q(state="active"),
                name="one_active_snooze_per_handler",
            )
        ]

    def __str__(self) -> str:
        return f"Handler {self.handler_id} of {self.connection_id} off until {self.until}"


class SetupLink(models.Model):
    """A handler added from a saved set-up (handlers_app.presets): where the set-up is used."""

    setup = models.ForeignKey(SavedSetup, on_delete=models.CASCADE, related_name="links")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    handler_id = models.BigIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["connection", "handler_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["setup", "connection", "handler_id"], name="one_link_per_setup_handler"
            )
        ]

    def __str__(self) -> str:
        return f"Set-up {self.setup_id} used by {self.handler_id} of {self.connection_id}"
