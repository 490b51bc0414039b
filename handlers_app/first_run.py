"""The first administrator of a production database.

With DEBUG off, the first-run page (/setup/) creates the administrator only for someone who
types the one-time setup code the server printed to its log when it started: whoever reaches a
fresh server first is not made its administrator. `setup_code_issue` makes the code (run at
start-up by `manage.py setup_code`, which `make prod` calls) while no one has an account,
replacing any earlier one, and keeps only its hash, in the database, so that every gunicorn
worker accepts it. `setup_code_use` compares in constant time and uses it up in the transaction
that creates the administrator (`first_admin_create`); wrong codes are throttled like sign-in
(handlers_app.throttle).
With DEBUG on no code is asked for. `manage.py createsuperuser` needs none either.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from handlers_app.models import SetupCode
from handlers_app.teams import team_create

SETUP_CODE_VALID_FOR = timedelta(hours=24)
# What the form takes: the code (23 characters) with any spaces a person adds.
SETUP_CODE_MAX_LENGTH = 64
# 20 characters of 32 (5 bits each): 100 bits, none that reads like another (no 0/O, 1/I).
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_GROUPS, _GROUP_LENGTH = 4, 5

logger = logging.getLogger(__name__)


def setup_code_needed() -> bool:
    return not settings.DEBUG


def _hash(code: str) -> str:
    normalized = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(normalized.encode()).hexdigest()


def setup_code_issue() -> str | None:
    """A new setup code, printed to the log once, the earlier one no longer valid; None when
    someone already has an account (or with DEBUG on), and then nothing is printed."""
    if not setup_code_needed() or get_user_model().objects.exists():
        return None
    code = "-".join(
        "".join(secrets.choice(_ALPHABET) for _ in range(_GROUP_LENGTH)) for _ in range(_GROUPS)
    )
    with transaction.atomic():
        SetupCode.objects.all().delete()
        SetupCode.objects.create(code_hash=_hash(code))
    hours = int(SETUP_CODE_VALID_FOR.total_seconds() // 3600)
    logger.warning(
        "First-run setup code: %s (open /setup/ and type it to create the administrator; it "
        "works once, for %d hours; each start of the server prints a new one)",
        code,
        hours,
    )
    return code


def setup_code_use(code: str) -> bool:
    """Whether `code` is the current setup code; when it is, it is used up. Call it inside the
    transaction that creates the administrator, so that a failure there keeps the code."""
    given = _hash(code)
    stored = (
        SetupCode.objects.select_for_update()
        .filter(created_at__gt=timezone.now() - SETUP_CODE_VALID_FOR)
        .order_by("-created_at")
        .first()
    )
    if stored is None or not hmac.compare_digest(stored.code_hash, given):
        return False
    deleted, _ = SetupCode.objects.filter(pk=stored.pk).delete()
    return deleted == 1


def first_admin_create(
    *, username: str, password: str, team_name: str, setup_code: str
) -> AbstractBaseUser | None:
    """The first administrator, owner of a new team; None, and nothing created, when a setup
    code is needed and `setup_code` is not the current one."""
    with transaction.atomic():
        if setup_code_needed() and not setup_code_use(setup_code):
            return None
        user = get_user_model().objects.create_superuser(username=username, password=password)
        team_create(user=user, name=team_name)
    return user
