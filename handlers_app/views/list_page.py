"""What the pages opened from the handler list share with it: its template, its address with
the list's query (page, filters, order), and the list a page was sent from, to go back to it as
it was.

A flow that starts from the list (a bulk job, a copy, saving set-ups) carries the list's place as
`next`, a bare query string of the list ("?type=slack&page=2"), as the list's own row forms do.
Only such a query is read, and only the list's parameters, through `ListQuery.from_params`: a
`next` can never lead to another address."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

from django.http import QueryDict
from django.utils.http import url_has_allowed_host_and_scheme

from handlers_app.http import HtmxHttpRequest
from handlers_app.models import Connection
from handlers_app.soclook import ListQuery

LIST_TEMPLATE = "handlers_app/handler_list.html"
DEFAULT_QUERY = ListQuery()
# The list's address names the row just saved, to mark it (not part of the list's query).
HIGHLIGHT_PARAM = "highlight"


def list_url(
    connection: Connection,
    query: ListQuery | None = None,
    *,
    refresh: bool = False,
    highlight: int | None = None,
) -> str:
    url = connection.get_absolute_url()
    params = query.to_params(omit_defaults=True) if query is not None else {}
    if refresh:
        params["refresh"] = "1"
    if highlight is not None:
        params[HIGHLIGHT_PARAM] = str(highlight)
    return f"{url}?{urlencode(params)}" if params else url


def list_sent_from(request: HtmxHttpRequest, connection: Connection) -> ListQuery:
    """The list a page was opened from, to go back to as it was: its form's `next` field, a
    link's `?next=`, or else the Referer. A list row's Edit and Delete carry no `next`, which
    would be the same on each of a page's rows (up to 1000): the browser names the list
    they were clicked on, and with that header missing the plain list is the way back."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    return back_query(request, connection, candidate or request.headers.get("Referer", ""))


def back_query(request: HtmxHttpRequest, connection: Connection, candidate: str) -> ListQuery:
    """The list query of the page a form was sent from (its `next` field), if it is safe. A
    bare query ("?page=2", what a list row's links carry) is the list's own."""
    if candidate.startswith("?"):
        return ListQuery.from_params(QueryDict(candidate[1:]))
    if not candidate or not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return DEFAULT_QUERY
    parts = urlsplit(candidate)
    if parts.path != list_url(connection):
        return DEFAULT_QUERY
    return ListQuery.from_params(QueryDict(parts.query))


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
