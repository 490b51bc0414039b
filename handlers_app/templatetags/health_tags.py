"""The edit page's health box: `{% health_box connection handler can_edit %}`."""

from __future__ import annotations

from typing import Any

from django import template

from handlers_app.health.service import health_notes, note_is_current
from handlers_app.health.wording import no_check_code, sentence
from handlers_app.models import Connection
from handlers_app.soclook import Handler
from handlers_app.soclook.types import HandlerType

register = template.Library()


def health_box_context(
    *,
    connection: Connection,
    handler_id: int,
    handler_type: HandlerType | None,
    can_edit: bool,
    handler: Handler | None = None,
) -> dict[str, Any]:
    note = health_notes(connection=connection, handler_ids=[handler_id]).get(handler_id)
    changed_since = False
    if note is not None and handler is not None:
        changed_since = not note_is_current(note, handler, offset=connection.service_utc_offset)
    no_check_text = ""
    if handler_type is not None and not handler_type.silent_check:
        no_check_text = sentence(no_check_code(handler_type), {"type": handler_type.label})
    return {
        "connection": connection,
        "handler_id": handler_id,
        "handler_type": handler_type,
        "note": note,
        "changed_since": changed_since,
        "no_check_text": no_check_text,
        "can_edit": can_edit,
    }


@register.inclusion_tag("handlers_app/includes/health_box.html")
def health_box(connection: Connection, handler: Handler, can_edit: bool) -> dict[str, Any]:
    return health_box_context(
        connection=connection,
        handler_id=handler.id,
        handler_type=handler.handler_type,
        can_edit=can_edit,
        handler=handler,
    )
