"""The handler list, the enable switch in each row, and deletion.

One template serves the list page and the pieces htmx swaps: the table region (`#table`), one
row (`#row`), one switch (`#switch`). Every control is also a plain link or form, so the pages
work without JavaScript. The list's query parameters use the API's own names and are read
leniently (`ListQuery.from_params`): a value that makes no sense falls back to its default
instead of failing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import partial
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url, replace_url, reswap, retarget, trigger_client_event

from handlers_app.access import ConnectionAccess, connection_for
from handlers_app.accountcopy.reading import account_read_keep, account_read_running
from handlers_app.accountcopy.store import copy_coverage, copy_for
from handlers_app.http import HtmxHttpRequest
from handlers_app.journal.queries import handler_last_changes, handler_last_tests
from handlers_app.models import Connection, Role
from handlers_app.readcache import SNAPSHOT_SIZE
from handlers_app.selectors import handler_get, handler_page
from handlers_app.services import handler_delete, handler_set_enabled
from handlers_app.soclook import (
    RESULTS_PER_PAGE_CHOICES,
    SEARCH_MAX_LENGTH,
    Handler,
    HandlerPage,
    HandlerStatus,
    ListQuery,
)
from handlers_app.soclook.errors import (
    BadKey,
    KeyUnreadable,
    NotFound,
    OutcomeUnknown,
    SoclookError,
)
from handlers_app.soclook.types import filter_types, get_handler_type
from handlers_app.testsend.service import tests_version
from handlers_app.views.bulk import linked_flows

TEMPLATE = "handlers_app/handler_list.html"
DELETE_TEMPLATE = "handlers_app/handler_delete.html"
MORE_TEMPLATE = "handlers_app/handler_more.html"
FILTERS_FORM_ID = "handler-filters"
# The status filter offers the usual state first.
STATUS_FILTER_ORDER = (HandlerStatus.ENABLED, HandlerStatus.DISABLED, HandlerStatus.PENDING)
DEFAULT_QUERY = ListQuery()
# The list's address names the row just saved, to mark it (not part of the list's query).
HIGHLIGHT_PARAM = "highlight"
# Asked by the line that says how much of a big account is read, while a read is under way.
COVERAGE_PARAM = "coverage"
# The first click on a date column shows the newest first; on the name, A to Z.
SORT_COLUMNS: dict[str, tuple[Any, str]] = {
    "name": (gettext_lazy("Name"), "ASC"),
    "datetime": (gettext_lazy("Created"), "DESC"),
    "last_datetime": (gettext_lazy("Last change"), "DESC"),
}


@dataclass(frozen=True)
class SortColumn:
    key: str
    label: Any
    url: str
    aria_sort: str


# --- the list's address ------------------------------------------------------------------------


def _list_url(
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


def _with_query(url: str, query: ListQuery) -> str:
    params = query.to_params(omit_defaults=True)
    return f"{url}?{urlencode(params)}" if params else url


def _list_sent_from(request: HtmxHttpRequest, connection: Connection) -> ListQuery:
    """The list a page was opened from, to go back to as it was: its form's `next` field, a
    link's `?next=`, or else the Referer. A list row's Edit and Delete carry no `next`, which
    would be the same on each of a page's rows (up to 1000): the browser names the list
    they were clicked on, and with that header missing the plain list is the way back."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    return _back_query(request, connection, candidate or request.headers.get("Referer", ""))


def _back_query(request: HtmxHttpRequest, connection: Connection, candidate: str) -> ListQuery:
    """The list query of the page a form was sent from (its `next` field), if it is safe. A
    bare query ("?page=2", what a list row's links carry) is the list's own."""
    if candidate.startswith("?"):
        return ListQuery.from_params(QueryDict(candidate[1:]))
    if not candidate or not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return DEFAULT_QUERY
    parts = urlsplit(candidate)
    if parts.path != _list_url(connection):
        return DEFAULT_QUERY
    return ListQuery.from_params(QueryDict(parts.query))


def _coverage_url(connection: Connection, query: ListQuery) -> str:
    params = {**query.to_params(omit_defaults=True), COVERAGE_PARAM: "1"}
    return f"{connection.get_absolute_url()}?{urlencode(params)}"


def _new_url(connection: Connection, query: ListQuery) -> str:
    """The add page, which comes back to this list (`next`) once the handler is added."""
    url = reverse("handler_new", args=[connection.pk])
    return f"{url}?{urlencode({'next': _list_url(connection, query)})}"


# --- the table ---------------------------------------------------------------------------------


def _sort_columns(connection: Connection, query: ListQuery) -> dict[str, SortColumn]:
    columns = {}
    for key, (label, first_direction) in SORT_COLUMNS.items():
        current = (query.order_type or "ASC") if query.order_by == key else None
        if current is None:
            direction, aria_sort = first_direction, ""
        else:
            direction = "DESC" if current == "ASC" else "ASC"
            aria_sort = "ascending" if current == "ASC" else "descending"
        url = _list_url(connection, replace(query, page=1, order_by=key, order_type=direction))
        columns[key] = SortColumn(key=key, label=label, url=url, aria_sort=aria_sort)
    return columns


def _page_numbers(page: HandlerPage, query: ListQuery) -> list[int | None]:
    """The page numbers to offer, with None where a run of them is left out."""
    paginator = Paginator(range(page.total), query.results_per_page)
    numbers = paginator.get_elided_page_range(query.page, on_each_side=1, on_ends=1)
    return [number if isinstance(number, int) else None for number in numbers]


def _table_context(
    access: ConnectionAccess,
    query: ListQuery,
    *,
    refresh: bool = False,
    highlight: int | None = None,
) -> dict[str, Any]:
    """Everything the table region shows. A page past the end shows the last page instead,
    which costs a second request only in that case. `refresh` asks Soclook even when the
    list is cached; `highlight` is the id of a row to mark (the one just saved)."""
    connection = access.connection
    page: HandlerPage | None = None
    error: SoclookError | None = None
    corrected = False
    try:
        page = handler_page(connection=connection, query=query, refresh=refresh)
        if not page.items and page.total > 0 and query.page > 1:
            last = math.ceil(page.total / query.results_per_page)
            query = replace(query, page=last)
            page = handler_page(connection=connection, query=query)
            corrected = True
    except SoclookError as exc:
        error = exc
    # A big account: its copy is read in the background (Refresh begins a new read).
    if (
        page is not None
        and page.coverage is not None
        and account_read_keep(connection=connection, user=access.membership.user, again=refresh)
    ):
        copy = copy_for(connection)
        page = replace(page, coverage=copy_coverage(copy) if copy else None)
    filtered = bool(query.type or query.is_enabled is not None or query.search)
    context: dict[str, Any] = {
        "connection": connection,
        "can_edit": access.can_edit,
        "can_manage": access.can_manage,
        "query": query,
        "search_max_length": SEARCH_MAX_LENGTH,
        "snapshot_size": SNAPSHOT_SIZE,
        "params": query.to_params(omit_defaults=True),
        "list_url": _list_url(connection),
        "back_url": _list_url(connection, query),
        "refresh_url": _list_url(connection, query, refresh=True),
        "clear_url": _list_url(
            connection, replace(query, page=1, type=None, is_enabled=None, search=None)
        ),
        # The export takes the list's filter (and its order), not its page.
        "export_url": _with_query(
            reverse("handler_export", args=[connection.pk]),
            replace(query, page=1, results_per_page=ListQuery().results_per_page),
        ),
        "coverage": page.coverage if page is not None else None,
        "coverage_url": _coverage_url(connection, query),
        "page_corrected": corrected,
        "highlight_id": highlight,
        "new_url": _new_url(connection, query),
        "handler_page": page,
        "error": error,
        "bad_key": isinstance(error, (BadKey, KeyUnreadable)),
        "filtered": filtered,
        "empty_account": page is not None and page.total == 0 and not filtered,
        "type_choices": filter_types(
            page.account_types if page is not None else None, selected=query.type
        ),
        "status_choices": [(status.value, status.label) for status in STATUS_FILTER_ORDER],
        "per_page_choices": RESULTS_PER_PAGE_CHOICES,
        "sort_columns": _sort_columns(connection, query),
        "filter_type_label": get_handler_type(query.type).label if query.type else "",
        "filter_status_label": (
            HandlerStatus(query.is_enabled).label if query.is_enabled is not None else ""
        ),
        # The cached rows show each handler's last test: a new one renders them again.
        "tests_version": tests_version(connection),
        "bulk_links": linked_flows(connection) if access.can_edit else [],
    }
    if page is not None and page.total:
        context["page_numbers"] = _page_numbers(page, query)
        context["last_page"] = math.ceil(page.total / query.results_per_page)
        context["first_item"] = (query.page - 1) * query.results_per_page + 1
        context["last_item"] = context["first_item"] + len(page.items) - 1
        # Read only when the rows are rendered, not when the template finds them cached.
        context["last_changes"] = SimpleLazyObject(
            partial(
                handler_last_changes, connection=connection, handler_ids=[h.id for h in page.items]
            )
        )
        context["last_tests"] = SimpleLazyObject(
            partial(
                handler_last_tests, connection=connection, handler_ids=[h.id for h in page.items]
            )
        )
    return context


def _render_table(
    request: HtmxHttpRequest,
    access: ConnectionAccess,
    query: ListQuery,
    *,
    push: bool,
    refresh: bool = False,
) -> HttpResponse:
    context = _table_context(access, query, refresh=refresh)
    # Changes that did not come from the filter form itself (clearing the filters, say) send
    # the form along so that it shows the filters in force.
    context["refresh_filters"] = request.htmx.trigger != FILTERS_FORM_ID
    # The add link in the page's header comes back to the list as it now is.
    context["refresh_add_link"] = True
    response = render(request, f"{TEMPLATE}#table", context)
    if push:
        # The address bar shows the list as it is (no empty fields, a page that exists), and
        # showing the same list again adds no history entry.
        unchanged = request.htmx.current_url_abs_path == context["back_url"]
        push_url(response, False if unchanged else context["back_url"])
    elif context["page_corrected"]:
        replace_url(response, context["back_url"])
    return response


# --- views -------------------------------------------------------------------------------------


@login_required
@require_GET
@vary_on_headers("HX-Request")
# The list is the heaviest page (3 KB of markup a row); compressed it is a tenth of that.
@gzip_page
def handler_list(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    access = connection_for(request.user, connection_id)
    query = ListQuery.from_params(request.GET)
    refresh = request.GET.get("refresh") == "1"
    if request.htmx and request.GET.get(COVERAGE_PARAM) == "1":
        return _coverage_update(request, access, query)
    if request.htmx and not request.htmx.history_restore_request and not request.htmx.boosted:
        return _render_table(request, access, query, push=True, refresh=refresh)
    highlight = _as_id(request.GET.get(HIGHLIGHT_PARAM))
    return render(
        request, TEMPLATE, _table_context(access, query, refresh=refresh, highlight=highlight)
    )


def _coverage_update(
    request: HtmxHttpRequest, access: ConnectionAccess, query: ListQuery
) -> HttpResponse:
    """The big account's read line, asked every few seconds while a read is under way (no
    request to Soclook); once the read is done, the whole table, now cut from the copy."""
    connection = access.connection
    copy = copy_for(connection)
    coverage = copy_coverage(copy) if copy is not None else None
    if coverage is not None and coverage.reading:
        context = {
            "coverage": coverage,
            "coverage_url": _coverage_url(connection, query),
            # A read whose job stopped (Soclook refused it, say) goes on at the next view of
            # the list; asking every few seconds meanwhile would tell nothing new.
            "reading_stopped": not account_read_running(connection=connection),
        }
        return render(request, f"{TEMPLATE}#coverage", context)
    response = _render_table(request, access, query, push=False)
    return reswap(retarget(response, "#handler-table"), "outerHTML")


def _as_id(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 19 else None


@login_required
@require_POST
def handler_toggle(request: HtmxHttpRequest, connection_id: int, handler_id: int) -> HttpResponse:
    """Switch a handler on or off. The form posts the state wanted (`is_enabled` 0 or 1), so a
    second click on a stale page does not undo the first."""
    access = connection_for(request.user, connection_id, role=Role.EDITOR)
    connection = access.connection
    query = _back_query(request, connection, request.POST.get("next", ""))
    enabled = request.POST.get("is_enabled") == "1"
    handler: Handler | None = None
    gone = False
    try:
        handler = handler_get(connection=connection, handler_id=handler_id)
        if handler.is_enabled != enabled:
            handler = handler_set_enabled(
                connection=connection, user=request.user, current=handler, enabled=enabled
            )
    except NotFound as exc:
        gone = True
        messages.error(request, exc.message)
    except SoclookError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _switched_message(handler))

    if not request.htmx:
        return redirect(_list_url(connection, query))
    if gone:
        return HttpResponse("")
    context = {
        "connection": connection,
        "can_edit": True,
        "list_url": _list_url(connection),
        "back_url": _list_url(connection, query),
    }
    if handler is not None:
        last_changes = handler_last_changes(connection=connection, handler_ids=[handler.id])
        last_tests = handler_last_tests(connection=connection, handler_ids=[handler.id])
        return render(
            request,
            f"{TEMPLATE}#row",
            {**context, "handler": handler, "last_changes": last_changes, "last_tests": last_tests},
        )
    # The record could not be read, so only the switch is re-rendered, as it was before.
    previous = Handler(
        id=handler_id,
        type="",
        name="",
        settings={},
        status=HandlerStatus.ENABLED if not enabled else HandlerStatus.DISABLED,
        created=None,
        last_changed=None,
    )
    response = render(request, f"{TEMPLATE}#switch", {**context, "handler": previous})
    return retarget(response, f"#status-{handler_id}")


def _switched_message(handler: Handler) -> str:
    if handler.is_pending:
        return _("“%(name)s” is on. Notifications start once the e-mail address is confirmed.") % {
            "name": handler.name
        }
    if handler.is_enabled:
        return _("“%(name)s” is on.") % {"name": handler.name}
    return _("“%(name)s” is off.") % {"name": handler.name}


@login_required
@require_http_methods(["GET", "POST"])
def handler_remove(request: HtmxHttpRequest, connection_id: int, handler_id: int) -> HttpResponse:
    """GET asks to confirm (a dialog with htmx, a page without); POST deletes."""
    access = connection_for(request.user, connection_id, role=Role.EDITOR)
    connection = access.connection
    query = _list_sent_from(request, connection)
    if request.method == "GET":
        return _confirm_delete(request, access, handler_id, query)

    try:
        current = handler_get(connection=connection, handler_id=handler_id)
        handler_delete(connection=connection, user=request.user, current=current)
    except NotFound as exc:
        messages.warning(request, exc.message)
    except SoclookError as exc:
        if isinstance(exc, OutcomeUnknown):
            # It may well be gone: say only that Soclook did not confirm.
            messages.warning(request, exc.message)
        else:
            messages.error(
                request, _("The handler was not deleted: %(reason)s") % {"reason": exc.message}
            )
        if not request.htmx:
            return redirect(_list_url(connection, query))
        response = HttpResponse("")
        trigger_client_event(response, "closeModal")
        return reswap(response, "none")
    else:
        messages.success(request, _("Deleted “%(name)s”.") % {"name": current.name})

    if not request.htmx:
        return redirect(_list_url(connection, query))
    response = _render_table(request, access, query, push=False)
    trigger_client_event(response, "closeModal")
    return response


@login_required
@require_GET
def handler_more(request: HtmxHttpRequest, connection_id: int, handler_id: int) -> HttpResponse:
    """A row's less used actions (duplicate, copy, save as a set-up): a dialog with htmx, a page
    without. The handler is read for its name, from the kept list when it is fresh; when Soclook
    cannot say, the actions are offered all the same, and each reports for itself."""
    access = connection_for(request.user, connection_id, role=Role.EDITOR)
    connection = access.connection
    query = _list_sent_from(request, connection)
    handler: Handler | None = None
    try:
        handler = handler_get(connection=connection, handler_id=handler_id)
    except NotFound as exc:
        messages.warning(request, exc.message)
        if not request.htmx:
            return redirect(_list_url(connection, query))
        response = _render_table(request, access, query, push=False)
        trigger_client_event(response, "closeModal")
        return reswap(retarget(response, "#handler-table"), "outerHTML")
    except SoclookError:
        handler = None
    context = {
        "connection": connection,
        "handler": handler,
        "handler_id": handler_id,
        "back_url": _list_url(connection, query),
        "savable": handler is None or handler.handler_type.is_known,
    }
    template = f"{MORE_TEMPLATE}#dialog" if request.htmx else MORE_TEMPLATE
    return render(request, template, context)


def _confirm_delete(
    request: HtmxHttpRequest, access: ConnectionAccess, handler_id: int, query: ListQuery
) -> HttpResponse:
    connection = access.connection
    handler: Handler | None = None
    error: SoclookError | None = None
    try:
        handler = handler_get(connection=connection, handler_id=handler_id)
    except NotFound as exc:
        messages.warning(request, exc.message)
        if not request.htmx:
            return redirect(_list_url(connection, query))
        response = _render_table(request, access, query, push=False)
        response = retarget(response, "#handler-table")
        return reswap(response, "outerHTML")
    except SoclookError as exc:
        error = exc
    context = {
        "connection": connection,
        "handler": handler,
        "handler_id": handler_id,
        "error": error,
        "back_url": _list_url(connection, query),
        "action": reverse("handler_delete", args=[connection.pk, handler_id]),
    }
    template = f"{DELETE_TEMPLATE}#dialog" if request.htmx else DELETE_TEMPLATE
    return render(request, template, context)
