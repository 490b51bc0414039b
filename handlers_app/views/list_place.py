"""The list as a person left it (its filter, order and page), carried through the flows that
start from it (a bulk job, a copy, saving set-ups) so that their way back lands there again.

A flow carries the place as `next`, a bare query string of the list ("?type=slack&page=2"), as
the list's own row forms do (views/handlers.py). Only such a query is read, and only the list's
parameters, through `ListQuery.from_params`: a `next` can never lead to another address.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from django.http import QueryDict

from handlers_app.models import Connection
from handlers_app.soclook import ListQuery

NEXT_PARAM = "next"


def place_of(query: ListQuery) -> str:
    """The list's place as `next` carries it; "" for the plain list."""
    params = query.to_params(omit_defaults=True)
    return f"?{urlencode(params)}" if params else ""


def place_from(params: Mapping[str, str]) -> str:
    """The place a flow's `next` names, read again as the list reads its address (anything
    else is the plain list)."""
    candidate = params.get(NEXT_PARAM, "")
    if not candidate.startswith("?"):
        return ""
    return place_of(ListQuery.from_params(QueryDict(candidate[1:])))


def list_at(connection: Connection, place: str) -> str:
    """The connection's list at `place`."""
    return connection.get_absolute_url() + place


def with_place(url: str, place: str) -> str:
    """`url` (a page of the flow) carrying the place along."""
    if not place:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode({NEXT_PARAM: place})}"
