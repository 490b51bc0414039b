"""Template helpers for the change journal."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from handlers_app.journal.queries import LastTest
from handlers_app.models import JournalEntry

register = template.Library()


@register.filter
def last_change_of(
    last_changes: Mapping[int, JournalEntry] | None, handler_id: int
) -> JournalEntry | None:
    """`{% with change=last_changes|last_change_of:handler.id %}`: a handler's latest entry."""
    return (last_changes or {}).get(handler_id)


@register.filter
def last_test_of(last_tests: Mapping[int, LastTest] | None, handler_id: int) -> LastTest | None:
    """`{% with test=last_tests|last_test_of:handler.id %}`: a handler's latest test send."""
    return (last_tests or {}).get(handler_id)


@register.filter
def ago(moment: datetime) -> str:
    """ "5 minutes ago"; within the first minute "just now", where timesince says "0 minutes"."""
    if timezone.now() - moment < timedelta(minutes=1):
        return _("just now")
    return _("%(ago)s ago") % {"ago": timesince(moment)}
