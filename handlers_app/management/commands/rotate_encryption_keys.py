from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from handlers_app import crypto
from handlers_app.models import ENCRYPTED_FIELDS


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the newest key in FIELD_ENCRYPTION_KEYS. Put the new "
        "key first, run this, then drop the old key."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with transaction.atomic():
            for model, field in ENCRYPTED_FIELDS:
                for obj in model.objects.select_for_update().exclude(**{field: ""}).only(field):
                    setattr(obj, field, crypto.rotate(getattr(obj, field)))
                    obj.save(update_fields=[field])
                    count += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} stored secret(s)."))
