"""The Soclook client of a connection: its key, its shared request budget and its log label.

The one door to `handlers_app.soclook.client` for the rest of the project.
"""

from __future__ import annotations

from handlers_app.budget import CacheBudget, key_fingerprint
from handlers_app.models import Connection
from handlers_app.observability import connection_label
from handlers_app.service_time import offset_learner
from handlers_app.soclook.client import SoclookClient, soclook_policy

__all__ = ["SoclookClient", "client_for", "soclook_policy"]


def client_for(connection: Connection, *, writes: bool = False) -> SoclookClient:
    """A client that spends the key's shared budget; `writes` may use the requests kept back
    from reads (see handlers_app.budget), and its answers may teach the dashboard Soclook's time
    zone (see handlers_app.service_time)."""
    api_key = connection.api_key
    fingerprint = key_fingerprint(base_url=connection.base_url, api_key=api_key)
    return SoclookClient(
        base_url=connection.base_url,
        api_key=api_key,
        budget=CacheBudget(fingerprint=fingerprint, for_writes=writes),
        label=connection_label(connection.pk),
        on_written=offset_learner(connection) if writes else None,
    )
