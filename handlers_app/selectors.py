"""Reads: what the pages show, from the database and (through the client) from Soclook."""

from __future__ import annotations

from django.conf import settings

from handlers_app.models import Connection
from handlers_app.soclook.client import Handler, HandlerPage, ListQuery, SoclookClient


def client_for(connection: Connection) -> SoclookClient:
    return SoclookClient(
        base_url=connection.base_url,
        api_key=connection.api_key,
        timeout=(settings.SOCLOOK_CONNECT_TIMEOUT, settings.SOCLOOK_TIMEOUT),
        label=f"connection:{connection.pk or 'new'}",
    )


def handler_page(*, connection: Connection, query: ListQuery) -> HandlerPage:
    """One page of the account's handlers, as the list shows it."""
    return client_for(connection).list_handlers(query)


def handler_get(*, connection: Connection, handler_id: int) -> Handler:
    return client_for(connection).get_handler(handler_id)
