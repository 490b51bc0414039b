"""The stored copy of a large account's handlers (see handlers_app.accountcopy)."""

from __future__ import annotations

from django.db import models

from handlers_app.models import Connection


class AccountCopy(models.Model):
    """What is known of one connection's account beyond one snapshot of the read cache.

    Rows are filed under a *generation*: `served` is the last read that completed, which the list
    shows; `reading` is the read under way, whose rows stay out of sight until its last page is
    in. A new read (Refresh, or a copy grown old) leaves the served rows in place meanwhile.
    """

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="+")
    # The key and address the rows were read with (budget.key_fingerprint): another key or
    # address is another account, and its rows are never shown for this one.
    fingerprint = models.CharField(max_length=32)
    served = models.PositiveIntegerField(null=True, blank=True)
    served_total = models.PositiveIntegerField(default=0)
    # When the served read began: what it shows is Soclook as of then, with the dashboard's own
    # writes since.
    served_from = models.DateTimeField(null=True, blank=True)
    reading = models.PositiveIntegerField(null=True, blank=True)
    reading_from = models.DateTimeField(null=True, blank=True)
    # Pages of the read under way that are stored, and the account's size its last page gave.
    pages_read = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    last_generation = models.PositiveIntegerField(default=0)
    # Moves on with every change of the served rows, so that what is rendered from them can be
    # kept under it.
    revision = models.PositiveIntegerField(default=0)
    # Soclook changed in a way only it knows (a write with an unknown outcome, a restore): the
    # next view begins a new read.
    outdated = models.BooleanField(default=False)
    # The types of the served handlers, for the list's type filter.
    types = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"Copy of connection {self.connection_id}"


class CopiedHandler(models.Model):
    """One handler of a copy: the columns a list filters, searches and sorts by, all plain, as
    the list shows them (the name, and the destination as the list shows it: never more of a
    secret than a page shows). The whole record is in `CopiedRecord`, sealed: keeping it out of
    these rows keeps them narrow, so that a search through 20 000 of them reads little."""

    copy = models.ForeignKey(AccountCopy, on_delete=models.CASCADE, related_name="rows")
    generation = models.PositiveIntegerField()
    handler_id = models.BigIntegerField()
    type = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    name_folded = models.CharField(max_length=200)
    # ISO 8601, which sorts like the times themselves (the service's are naive, to the second);
    # blank when the service gave none, which sorts first, as the service sorts a missing time.
    created = models.CharField(max_length=32, blank=True)
    last_changed = models.CharField(max_length=32, blank=True)
    # The name and the destination as the list shows it, case-folded: what the search looks in.
    searched = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["copy", "generation", "handler_id"], name="one_copied_handler_per_read"
            )
        ]
        indexes = [
            models.Index(
                fields=["copy", "generation", "type", "status", "handler_id"],
                name="copied_handler_by_kind",
            ),
            # A search reads every row: from this index alone, it reads the least.
            models.Index(
                fields=["copy", "generation", "handler_id", "searched"],
                name="copied_handler_searched",
            ),
            models.Index(
                fields=["copy", "generation", "name_folded", "handler_id"],
                name="copied_handler_by_name",
            ),
            models.Index(
                fields=["copy", "generation", "created", "handler_id"],
                name="copied_handler_by_created",
            ),
            models.Index(
                fields=["copy", "generation", "last_changed", "handler_id"],
                name="copied_handler_by_change",
            ),
        ]

    def __str__(self) -> str:
        return f"Handler {self.handler_id} of copy {self.copy_id}"


class CopiedRecord(models.Model):
    """A copied handler's whole record, secrets included, sealed (`crypto.seal`)."""

    copy = models.ForeignKey(AccountCopy, on_delete=models.CASCADE, related_name="records")
    generation = models.PositiveIntegerField()
    handler_id = models.BigIntegerField()
    sealed = models.TextField(editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["copy", "generation", "handler_id"], name="one_copied_record_per_read"
            )
        ]

    def __str__(self) -> str:
        return f"Record of handler {self.handler_id} of copy {self.copy_id}"
