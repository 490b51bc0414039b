from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from handlers_app import crypto
from handlers_app.imports.problems import problem_text
from handlers_app.soclook.errors import KeyUnreadable
from handlers_app.soclook.types import (
    HANDLER_TYPES,
    NAME_MAX_LENGTH,
    HandlerType,
    get_handler_type,
)

__all__ = [
    "ENCRYPTED_FIELDS",
    "ID_MAX_DIGITS",
    "Connection",
    "HandlersSeen",
    "Invitation",
    "ItemOutcome",
    "Job",
    "JobAction",
    "JobItem",
    "JobStatus",
    "JournalAction",
    "JournalEntry",
    "Membership",
    "Role",
    "SavedSetup",
    "SetupCode",
    "SetupLink",
    "Snooze",
    "SnoozeState",
    "StopReason",
    "Team",
]

# The longest number a route or a filter takes as an id: 18 digits always fit the database's
# 64-bit ids, so a longer one is "not found" rather than an integer overflow.
ID_MAX_DIGITS = 18
# The last four characters of an API key are shown only when they are a small part of it.
KEY_TAIL_MIN_LENGTH = 16


class Role(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    EDITOR = "editor", _("Editor")
    OWNER = "owner", _("Owner")

    @property
    def rank(self) -> int:
        return {"viewer": 0, "editor": 1, "owner": 2}[self.value]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.VIEWER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="one_membership")]
        ordering = ["team__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def allows(self, needed: Role) -> bool:
        return self.role_enum.allows(needed)


class Connection(models.Model):
    """A Soclook (or white-label sibling) account, reached with one encrypted API key."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="connections")
    name = models.CharField(_("name"), max_length=100)
    base_url = models.URLField(_("API base URL"), max_length=300)
    api_key_encrypted = models.TextField(editable=False)
    api_key_last4 = models.CharField(max_length=4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_check_ok = models.BooleanField(null=True)
    last_check_message = models.CharField(max_length=300, blank=True)
    # Soclook sends times without a zone, in its own (see handlers_app.service_time): minutes
    # east of UTC, set by an owner or learnt from the first write; None until either.
    service_utc_offset = models.SmallIntegerField(_("Soclook's time zone"), null=True, blank=True)
    service_offset_by_owner = models.BooleanField(default=False)

    class Meta:
        ordering = ["team__name", "name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """The connection's page: its handler list."""
        return reverse("handler_list", kwargs={"connection_id": self.pk})

    @property
    def api_key(self) -> str:
        """The key itself; KeyUnreadable when FIELD_ENCRYPTION_KEYS cannot decrypt it."""
        try:
            return crypto.decrypt(self.api_key_encrypted)
        except crypto.DecryptionError as exc:
            raise KeyUnreadable from exc

    def set_api_key(self, api_key: str) -> None:
        self.api_key_encrypted = crypto.encrypt(api_key)
        self.api_key_last4 = api_key[-4:] if len(api_key) >= KEY_TAIL_MIN_LENGTH else ""

    @property
    def masked_key(self) -> str:
        """The key's last four characters behind dots, or "" for a key too short to show any."""
        return f"••••{self.api_key_last4}" if self.api_key_last4 else ""


class Invitation(models.Model):
    """A single-use, expiring link that lets one person join a team with a role.

    Only a hash of the token is stored: the link itself is shown once, to the owner who made it.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.EDITOR)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} in {self.team}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and not self.is_expired


class SetupCode(models.Model):
    """The one-time code that creates the first administrator of a production database.

    While no one has an account, each start of the server (`manage.py setup_code`, run by
    `make prod`) replaces it and prints the new one to the log (handlers_app.first_run). Only its
    hash is kept, here rather than in a cache, so that every worker accepts the same code.
    """

    code_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Setup code of {self.created_at}"


class JournalAction(models.TextChoices):
    HANDLER_CREATED = "handler_created", _("Handler created")
    HANDLER_CHANGED = "handler_changed", _("Handler changed")
    HANDLER_ENABLED = "handler_enabled", _("Handler switched on")
    HANDLER_DISABLED = "handler_disabled", _("Handler switched off")
    HANDLER_DELETED = "handler_deleted", _("Handler deleted")
    HANDLER_RESTORED = "handler_restored", _("Handler restored")
    HANDLER_TESTED = "handler_tested", _("Test sent")
    HANDLERS_EXPORTED_WITH_SECRETS = (
        "handlers_exported_secrets",
        _("Handlers exported with their secrets"),
    )
    CONNECTION_ADDED = "connection_added", _("Connection added")
    CONNECTION_CHANGED = "connection_changed", _("Connection changed")
    CONNECTION_CHANGE_REFUSED = "connection_change_refused", _("Connection change refused")
    CONNECTION_REMOVED = "connection_removed", _("Connection removed")
    TEAM_CREATED = "team_created", _("Team created")
    TEAM_RENAMED = "team_renamed", _("Team renamed")
    TEAM_HEALTH_EMAILS = "team_health_emails", _("Health e-mails switched")
    MEMBER_JOINED = "member_joined", _("Member joined")
    MEMBER_ROLE_CHANGED = "member_role_changed", _("Member's role changed")
    MEMBER_REMOVED = "member_removed", _("Member removed")
    INVITATION_CREATED = "invitation_created", _("Invitation created")
    INVITATION_REVOKED = "invitation_revoked", _("Invitation withdrawn")
    SETUP_SAVED = "setup_saved", _("Set-up saved")
    SETUP_CHANGED = "setup_changed", _("Set-up changed")
    SETUP_USED = "setup_used", _("Set-up used")
    SETUP_DELETED = "setup_deleted", _("Set-up deleted")
    SECRETS_SENT = "secrets_sent", _("Secrets sent to another team")
    # Operating at scale (handlers_app.journal.outside, handlers_app.snooze).
    HANDLER_CREATED_OUTSIDE = "handler_created_outside", _("Handler created outside the dashboard")
    HANDLER_CHANGED_OUTSIDE = "handler_changed_outside", _("Handler changed outside the dashboard")
    HANDLER_DELETED_OUTSIDE = "handler_deleted_outside", _("Handler deleted outside the dashboard")
    HANDLER_SNOOZED = "handler_snoozed", _("Handler snoozed")
    HANDLER_SNOOZE_ENDED = "handler_snooze_ended", _("Handler switched back on after its snooze")


class JournalEntry(models.Model):
    """One change made through the dashboard, or seen made in Soclook itself (`is_outside`).

    `changes` is a field-by-field diff that never holds a secret's value. `snapshot_encrypted`
    keeps the handler as the service had it before a change or deletion, secrets included,
    encrypted like API keys; it is what a restore brings back. Names are copied in so that an
    entry still reads right after the connection, the person or the handler is gone.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="journal")
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="journal"
    )
    connection_name = models.CharField(max_length=100, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=32, choices=JournalAction.choices)
    handler_id = models.BigIntegerField(null=True, blank=True)
    handler_name = models.CharField(max_length=200, blank=True)
    handler_type = models.CharField(max_length=64, blank=True)
    # The person a membership entry is about.
    subject = models.CharField(max_length=150, blank=True)
    changes = models.JSONField(default=list, blank=True)
    snapshot_encrypted = models.TextField(blank=True, editable=False)
    restored_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="restorations"
    )
    # A deleted handler comes back under a new id; this is the id it had.
    previous_handler_id = models.BigIntegerField(null=True, blank=True)
    # Set while a restore from this entry is under way, so that only one runs at a time.
    restore_started_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["connection", "handler_id", "-id"], name="journal_by_handler"),
            models.Index(fields=["team", "-created_at"], name="journal_by_team"),
        ]
        verbose_name_plural = "journal entries"

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.user_name or '-'} at {self.created_at}"

    @property
    def is_restorable(self) -> bool:
        return bool(self.snapshot_encrypted) and self.connection_id is not None

    @property
    def is_outside(self) -> bool:
        """Seen on a read of Soclook, made there rather than through the dashboard."""
        return self.action in (
            JournalAction.HANDLER_CREATED_OUTSIDE,
            JournalAction.HANDLER_CHANGED_OUTSIDE,
            JournalAction.HANDLER_DELETED_OUTSIDE,
        )


class SavedSetup(models.Model):
    """A handler's type and settings saved under a name in a team, to add it again elsewhere
    (handlers_app.presets). The settings, secrets included, are sealed like API keys; pages show
    a secret only as "set"."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="saved_setups")
    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    type = models.CharField(max_length=64)
    settings_encrypted = models.TextField(editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["team", "name", "id"]
        verbose_name = "saved set-up"

    def __str__(self) -> str:
        return self.name

    @property
    def handler_type(self) -> HandlerType:
        return get_handler_type(self.type)

    @property
    def settings(self) -> dict[str, str]:
        """Every setting, secrets included; crypto.DecryptionError when no key reads them."""
        return {str(k): str(v) for k, v in crypto.unseal(self.settings_encrypted).items()}

    def set_settings(self, values: Mapping[str, str]) -> None:
        self.settings_encrypted = crypto.seal(dict(values))


# --- jobs: work on many handlers (handlers_app.batches) -----------------------------------------
# Every kind of job (an import, switching on or off, deleting, a copy to another connection) is
# the same record run by the same runner (handlers_app.batches.runner); the kind decides what one
# item means. The statuses, the reasons a job stops and the outcomes of an item are one
# vocabulary for all of them.


class JobAction(models.TextChoices):
    IMPORT = "import", _("Import")
    ENABLE = "enable", _("Switch on")
    DISABLE = "disable", _("Switch off")
    DELETE = "delete", _("Delete")
    COPY = "copy", _("Copy to a connection")
    # Every handler checked without sending anything (handlers_app.health.batch).
    CHECK = "check", _("Check without sending")
    # Operating at scale (handlers_app.snooze, .replacing, .setup_links).
    SNOOZE = "snooze", _("Snooze")
    REPLACE = "replace", _("Replace a destination")
    SETUP_UPDATE = "setup_update", _("Update from a set-up")
    # Not work on handlers: the background read of a big account (handlers_app.accountcopy).
    READ = "read", _("Read the whole account")


class JobStatus(models.TextChoices):
    # Only an import is kept for its uploader to confirm.
    PREVIEW = "preview", _("Waiting for confirmation")
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    STOPPED = "stopped", _("Stopped")


class StopReason(models.TextChoices):
    UNAVAILABLE = "unavailable", _("Soclook stopped responding properly.")
    RATE_LIMITED = "rate_limited", _("Soclook kept refusing requests over its limit.")
    BAD_KEY = "bad_key", _("Soclook did not accept the connection's API key.")
    STOPPED_BY_PERSON = "stopped_by_person", _("Someone on the team stopped it.")
    NO_PERMISSION = (
        "no_permission",
        _("The person who started it can no longer change this connection's handlers."),
    )
    INTERRUPTED = "interrupted", _("The dashboard's background worker stopped while it ran.")
    ERROR = "error", _("An unexpected error in the dashboard stopped it.")
    NO_COPY_PERMISSION = (
        "no_copy_permission",
        _("The person who started it can no longer copy handlers to that connection."),
    )
    DESTINATION_GONE = "destination_gone", _("The connection it copied to was removed.")


class ItemOutcome(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    CREATED = "created", _("Created")
    DONE = "done", _("Done")
    UNCHANGED = "unchanged", _("Already so")
    # Left out from the start: a file's row with problems, or a handler the destination
    # already has (same type, same place).
    SKIPPED = "skipped", _("Skipped")
    GONE = "gone", _("No longer exists")
    REFUSED = "refused", _("Refused")
    UNKNOWN = "unknown", _("Unknown — check the list")
    NOT_SENT = "not_sent", _("Not sent")

    @classmethod
    def open(cls) -> tuple[ItemOutcome, ...]:
        return (cls.PENDING, cls.SENDING)


class Job(models.Model):
    """Work on many handlers of `connection` (a copy writes to `destination`), run in the
    background one item at a time.

    `payload_encrypted` holds what an import's rows will send, secrets included, sealed like API
    keys, only from the upload until the job ends; a copy reads its sources when it runs, and a
    delete seals each handler on its item only while its deletion is under way.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="jobs")
    # A copy's destination; a copy whose destination was removed stops.
    destination = models.ForeignKey(
        Connection,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=16, choices=JobAction.choices)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    stop_reason = models.CharField(max_length=24, choices=StopReason.choices, blank=True)
    stop_requested = models.BooleanField(default=False)
    # Who asked it to stop, so that its page can tell them it was them.
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Set between two slices of the task: when the next may start (later than now while it
    # waits for the request budget to refill).
    waiting_until = models.DateTimeField(null=True, blank=True)
    # Doubles as the task's heartbeat: it is saved after every item.
    updated_at = models.DateTimeField(auto_now=True)
    list_cache_cleared = models.BooleanField(default=False)
    # An import: the file's name, and its valid rows' settings by position.
    file_name = models.CharField(max_length=200, blank=True)
    payload_encrypted = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["connection", "-created_at"], name="job_by_connection")]

    def __str__(self) -> str:
        return f"{self.action} {self.pk} on {self.connection_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def is_over(self) -> bool:
        return self.status in (JobStatus.FINISHED, JobStatus.STOPPED)

    @property
    def payload(self) -> dict[str, Any]:
        if not self.payload_encrypted:
            return {}
        return crypto.unseal(self.payload_encrypted)

    def set_payload(self, payload: dict[str, Any]) -> None:
        self.payload_encrypted = crypto.seal(payload) if payload else ""


class JobItem(models.Model):
    """One handler of a job (or one row of an imported file) and what became of it."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="items")
    # An import's row number as a spreadsheet counts it (the header is row 1); otherwise the
    # order the handlers were chosen in.
    position = models.PositiveIntegerField()
    # The handler changed or copied; an import's row gets the id of the handler it created.
    handler_id = models.BigIntegerField(null=True, blank=True)
    name = models.CharField(max_length=200, blank=True)
    # A type the registry knows, or blank (an import's row without a usable type).
    type = models.CharField(max_length=64, blank=True)
    # The destination as a page may show it (HandlerType.summary): never a secret.
    summary = models.CharField(max_length=300, blank=True)
    # What is wrong with an import's row, which is therefore skipped.
    problems = models.JSONField(default=list, blank=True)
    outcome = models.CharField(
        max_length=16, choices=ItemOutcome.choices, default=ItemOutcome.PENDING
    )
    # The service's own words when it refused; also a note on what followed a create.
    message = models.CharField(max_length=300, blank=True)
    # A handler being deleted, as it was before its DELETE was sent (journal.recording's
    # sealed Snapshot, secrets included): written before the request, cleared in the
    # transaction that journals the deletion.
    snapshot_encrypted = models.TextField(blank=True, editable=False)
    # Skipped as already there: the name of the handler of the same type sending to the same
    # place, in the destination or (`same_in_selection`) earlier in the same job.
    same_as = models.CharField(max_length=200, blank=True)
    same_in_selection = models.BooleanField(default=False)
    # False: created switched off (the service creates every handler switched on).
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["job", "position"]
        constraints = [
            models.UniqueConstraint(fields=["job", "position"], name="one_job_item_per_position"),
            models.UniqueConstraint(fields=["job", "handler_id"], name="one_job_item_per_handler"),
        ]

    def __str__(self) -> str:
        return f"Item {self.position} of job {self.job_id}"

    @property
    def handler_type(self) -> HandlerType | None:
        return HANDLER_TYPES.get(self.type)

    @property
    def problem_texts(self) -> list[str]:
        """An import row's `problems` in the reader's language (handlers_app.imports.problems)."""
        return [problem_text(problem) for problem in self.problems]


# Operating at scale: what the dashboard last saw of an account, snoozes, set-up links.
from handlers_app.models_operating import (  # noqa: E402 (they refer to the models above)
    HandlersSeen,
    SetupLink,
    Snooze,
    SnoozeState,
)

# Every column that holds a value encrypted by handlers_app.crypto, for key rotation.
ENCRYPTED_FIELDS: list[tuple[type[models.Model], str]] = [
    (Connection, "api_key_encrypted"),
    (JournalEntry, "snapshot_encrypted"),
    (Job, "payload_encrypted"),
    (SavedSetup, "settings_encrypted"),
    (JobItem, "snapshot_encrypted"),
    (HandlersSeen, "state_encrypted"),
]


# What the silent checks learned (handlers_app.health).
# The stored copy of large accounts lives in its own package; imported here so that Django (and
# key rotation) finds it.
from handlers_app.accountcopy.models import (  # noqa: E402
    AccountCopy,  # noqa: F401
    CopiedHandler,  # noqa: F401
    CopiedRecord,
)
from handlers_app.health.models import (  # noqa: E402, F401
    HandlerHealth,
    HealthState,
    PersonLanguage,
    TeamHealthSettings,
)

ENCRYPTED_FIELDS.append((CopiedRecord, "sealed"))
