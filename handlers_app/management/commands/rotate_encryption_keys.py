from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models

from handlers_app import crypto
from handlers_app.models import ENCRYPTED_FIELDS


@dataclass
class _Survey:
    """Which key of FIELD_ENCRYPTION_KEYS reads each stored secret (None: none of them)."""

    by_key: Counter[int | None] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_key.values())

    @property
    def unreadable(self) -> int:
        return self.by_key[None]


def _stored() -> Iterator[tuple[type[models.Model], str, models.Model, str]]:
    """Every stored secret: its model, column, row and encrypted value."""
    for model, column in ENCRYPTED_FIELDS:
        rows = model.objects.exclude(**{column: ""}).order_by("pk")
        for row in rows.iterator(chunk_size=500):
            yield model, column, row, getattr(row, column)


def _name(model: type[models.Model], column: str, row: models.Model) -> str:
    return f"{model._meta.verbose_name} #{row.pk} ({row}), {column}"


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key in FIELD_ENCRYPTION_KEYS, then check "
        "that each one reads with that key alone. Put the new key first, run this, then drop "
        "the old key. --check reports which key each secret is under and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="only report which key each stored secret is encrypted with; change nothing",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=(
                "re-encrypt even though the first key already encrypts stored secrets (it is "
                "the new key and the dashboard has written with it, or a rotation was cut short)"
            ),
        )

    def handle(self, *args: Any, check: bool, force: bool, **options: Any) -> None:
        survey = self._survey()
        if check:
            if survey.unreadable:
                raise CommandError(f"{survey.unreadable} stored secret(s) cannot be read.")
            left = survey.total - survey.by_key[0]
            if left:
                self.stdout.write(
                    f"{left} stored secret(s) still need another key: run "
                    "rotate_encryption_keys before dropping any key."
                )
            else:
                self.stdout.write(
                    "Every stored secret reads with the first key: the other keys can be dropped."
                )
            return
        if survey.total == 0:
            self.stdout.write(self.style.SUCCESS("Nothing is stored encrypted yet."))
            return
        if survey.by_key[0] and not force:
            raise CommandError(
                f"The first key in FIELD_ENCRYPTION_KEYS already encrypts {survey.by_key[0]} of "
                f"the {survey.total} stored secret(s), so it does not look new: the new key goes "
                "first (FIELD_ENCRYPTION_KEYS=new,old). Nothing was changed. If the first key is "
                "the new one and the dashboard has written with it since, or a rotation was cut "
                "short, run this again with --force."
            )
        rotated = self._rotate()
        readable = self._verify()
        if readable < survey.total:
            raise CommandError(
                f"Re-encrypted {rotated} stored secret(s), but {survey.total - readable} of "
                f"{survey.total} do not read with the first key (named above). Keep every key "
                "until they do. A value no key reads was encrypted with a key that is not in "
                "FIELD_ENCRYPTION_KEYS: add that key after the first and run this again, or "
                "enter the value again (an owner, a connection's API key on its edit page)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted {rotated} stored secret(s); all {survey.total} read with the "
                "first key. The other keys can be dropped from FIELD_ENCRYPTION_KEYS."
            )
        )

    def _survey(self) -> _Survey:
        """Count the secrets under each key and name every one no key reads."""
        survey = _Survey()
        for model, column, row, token in _stored():
            index = crypto.key_index(token)
            survey.by_key[index] += 1
            if index is None:
                self.stderr.write(
                    f"Cannot read {_name(model, column, row)}: no key in "
                    "FIELD_ENCRYPTION_KEYS decrypts it."
                )
        self.stdout.write(f"{survey.total} stored secret(s):")
        for index in range(len(settings.FIELD_ENCRYPTION_KEYS)):
            which = " (the first, which encrypts)" if index == 0 else ""
            self.stdout.write(f"  encrypted with key {index + 1}{which}: {survey.by_key[index]}")
        self.stdout.write(f"  readable with no key: {survey.unreadable}")
        return survey

    def _rotate(self) -> int:
        """Re-encrypt what another key reads with the first; leave what no key reads."""
        pending = [
            (model, column, row.pk, token)
            for model, column, row, token in _stored()
            if crypto.key_index(token) not in (0, None)
        ]
        for model, column, pk, token in pending:
            # Only if it is still the value read: a save meanwhile has used the first key.
            model.objects.filter(pk=pk, **{column: token}).update(**{column: crypto.rotate(token)})
        return len(pending)

    def _verify(self) -> int:
        """How many stored secrets read with the first key alone; name the others that some
        other key reads (those no key reads were named by the survey)."""
        readable = 0
        for model, column, row, token in _stored():
            index = crypto.key_index(token)
            if index == 0:
                readable += 1
            elif index is not None:
                self.stderr.write(
                    f"Still encrypted with key {index + 1}: {_name(model, column, row)}."
                )
        return readable
