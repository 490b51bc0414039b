"""Template helpers for the change journal."""

from __future__ import annotations

from collections.abc import Mapping

from django import template

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
