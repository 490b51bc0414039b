"""What the pages opened from the handler list share with it: its template, its address with
the list's query (page, filters, order), and the list a page was sent from, to go back to it as
it was."""

from __future__ import annotations

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
