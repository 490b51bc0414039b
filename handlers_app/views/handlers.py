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
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url, replace_url, reswap, retarget, trigger_client_event

from handlers_app.access import ConnectionAccess, connection_for
from handlers_app.accountcopy.reading import account_read_keep, account_read_running
from handlers_app.accountcopy.store import copy_coverage, copy_for
from handlers_app.health.service import health_notes, health_version
from handlers_app.http import HtmxHttpRequest
from handlers_app.journal.queries import handler_last_changes, handler_last_tests
from handlers_app.models import Connection, HealthState, Role
from handlers_app.readcache import SNAPSHOT_SIZE
from handlers_app.selectors import handler_get, handler_page
from handlers_app.services import handler_delete, handler_set_enabled
from handlers_app.snooze.state import snoozes_in_force, snoozes_version
from handlers_app.soclook import (
    HEALTH_ATTENTION,
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
from handlers_app.views.list_page import (
    HIGHLIGHT_PARAM,
    LIST_TEMPLATE,
    back_query,
    list_sent_from,
    list_url,
    place_of,
)

DELETE_TEMPLATE = "handlers_app/handler_delete.html"
MORE_TEMPLATE = "handlers_app/handler_more.html"
FILTERS_FORM_ID = "handler-filters"
# The status filter offers the usual state first.
STATUS_FILTER_ORDER = (HandlerStatus.ENABLED, HandlerStatus.DISABLED, HandlerStatus.PENDING)
# Asked by the line that says how much of a big account is read, while a read is under way.
COVERAGE_PARAM = "coverage"
# The first click on a date column shows the newest first; on the name, A to Z.
SORT_COLUMNS: dict[str, tuple[Any, str]] = {
    "name": (gettext_lazy("Name"), "ASC"),
    "type": (gettext_lazy("Type"), "ASC"),
    "status": (gettext_lazy("Status"), "ASC"),
    "datetime": (gettext_lazy("Created"), "DESC"),
    "last_datetime": (gettext_lazy("Last change"), "DESC"),
}
# The sort selector (on every width; phones have no column headers): one choice per order, as
# `sort=<order_by>:<order_type>`, which wins over order_by and order_type when both are sent.
SORT_PARAM = "sort"
SORT_CHOICES: tuple[tuple[str, str, Any], ...] = (
    ("name", "ASC", gettext_lazy("Name, A to Z")),
    ("name", "DESC", gettext_lazy("Name, Z to A")),
    ("type", "ASC", gettext_lazy("Type")),
    ("status", "ASC", gettext_lazy("Status")),
    ("datetime", "DESC", gettext_lazy("Newest first")),
    ("last_datetime", "DESC", gettext_lazy("Last changed first")),
)
# Without an order the service lists handlers as they were added.
DEFAULT_SORT_LABEL = gettext_lazy("Oldest first")
# Type and status are sorted from a whole account's snapshot; the service cannot sort by them.
LOCAL_SORTS = ("type", "status")


@dataclass(frozen=True)
class SortColumn:
    key: str
    label: Any
    url: str
    aria_sort: str


# --- the list's address ------------------------------------------------------------------------


def _with_query(url: str, query: ListQuery) -> str:
    params = query.to_params(omit_defaults=True)
    return f"{url}?{urlencode(params)}" if params else url


def _coverage_url(connection: Connection, query: ListQuery) -> str:
    params = {**query.to_params(omit_defaults=True), COVERAGE_PARAM: "1"}
    return f"{connection.get_absolute_url()}?{urlencode(params)}"


def _new_url(connection: Connection, query: ListQuery) -> str:
    """The add page, which comes back to this list (`next`) once the handler is added."""
    url = reverse("handler_new", args=[connection.pk])
    return f"{url}?{urlencode({'next': list_url(connection, query)})}"


# --- the table ---------------------------------------------------------------------------------


def _sorted_as_asked(query: ListQuery, page: HandlerPage | None) -> bool:
    """Whether the rows are in the order asked: an account too big to be held whole comes
    from the service, which sorts neither by type nor by status."""
    local = query.order_by in LOCAL_SORTS
    return not local or getattr(page, "account_types", None) is not None


def _sort_choices(query: ListQuery, *, local: bool) -> list[tuple[str, Any, bool]]:
    """The sort selector's options: (value, label, selected)."""
    current = f"{query.order_by}:{query.order_type or 'ASC'}" if query.order_by else ""
    return [
        (f"{key}:{direction}", label, f"{key}:{direction}" == current)
        for key, direction, label in SORT_CHOICES
        if local or key not in LOCAL_SORTS
    ]


def _params_with_sort(params: QueryDict) -> QueryDict:
    """The list's query string, the sort selector's choice (`sort`) spelled as order_by and
    order_type."""
    chosen = params.get(SORT_PARAM, "")
    key, _sep, direction = chosen.partition(":")
    if not any(key == k and direction == d for k, d, _label in SORT_CHOICES):
        return params
    params = params.copy()
    params.pop(SORT_PARAM)
    params["order_by"], params["order_type"] = key, direction
    return params


def _sort_columns(
    connection: Connection, query: ListQuery, *, sorted_as_asked: bool = True
) -> dict[str, SortColumn]:
    columns = {}
    for key, (label, first_direction) in SORT_COLUMNS.items():
        asked = query.order_by == key and sorted_as_asked
        current = (query.order_type or "ASC") if asked else None
        if current is None:
            direction, aria_sort = first_direction, ""
        else:
            direction = "DESC" if current == "ASC" else "ASC"
            aria_sort = "ascending" if current == "ASC" else "descending"
        url = list_url(connection, replace(query, page=1, order_by=key, order_type=direction))
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
    filtered = bool(query.type or query.is_enabled is not None or query.search or query.health)
    context: dict[str, Any] = {
        "connection": connection,
        "can_edit": access.can_edit,
        "can_manage": access.can_manage,
        "query": query,
        "search_max_length": SEARCH_MAX_LENGTH,
        "snapshot_size": SNAPSHOT_SIZE,
        "params": query.to_params(omit_defaults=True),
        "list_url": list_url(connection),
        "back_url": list_url(connection, query),
        "refresh_url": list_url(connection, query, refresh=True),
        "clear_url": list_url(
            connection, replace(query, page=1, type=None, is_enabled=None, search=None, health=None)
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
        "sort_columns": _sort_columns(
            connection, query, sorted_as_asked=_sorted_as_asked(query, page)
        ),
        "sort_choices": _sort_choices(
            query, local=page is not None and page.account_types is not None
        ),
        "sort_local": page is not None and page.account_types is not None,
        "default_sort_label": DEFAULT_SORT_LABEL,
        "filter_type_label": get_handler_type(query.type).label if query.type else "",
        "filter_status_label": (
            HandlerStatus(query.is_enabled).label if query.is_enabled is not None else ""
        ),
        # The cached rows show each handler's last test and check: a new one renders them again.
        "tests_version": tests_version(connection),
        "health_version": health_version(connection),
        "health_choices": [(HEALTH_ATTENTION, HealthState.ATTENTION.label)],
        # ... and whether each is snoozed, and until when.
        "snoozes_version": snoozes_version(connection=connection),
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
        context["health_notes"] = SimpleLazyObject(
            partial(health_notes, connection=connection, handler_ids=[h.id for h in page.items])
        )
        context["snoozes"] = SimpleLazyObject(
            partial(snoozes_in_force, connection=connection, handler_ids=[h.id for h in page.items])
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
    response = render(request, f"{LIST_TEMPLATE}#table", context)
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
    query = ListQuery.from_params(_params_with_sort(request.GET))
    refresh = request.GET.get("refresh") == "1"
    if request.htmx and request.GET.get(COVERAGE_PARAM) == "1":
        return _coverage_update(request, access, query)
    if request.htmx and not request.htmx.history_restore_request and not request.htmx.boosted:
        return _render_table(request, access, query, push=True, refresh=refresh)
    if SORT_PARAM in request.GET:
        # Sent by the filters' form without JavaScript: the address says the order plainly.
        return redirect(list_url(access.connection, query))
    highlight = _as_id(request.GET.get(HIGHLIGHT_PARAM))
    return render(
        request, LIST_TEMPLATE, _table_context(access, query, refresh=refresh, highlight=highlight)
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
        return render(request, f"{LIST_TEMPLATE}#coverage", context)
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
    query = back_query(request, connection, request.POST.get("next", ""))
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
        return redirect(list_url(connection, query))
    if gone:
        return HttpResponse("")
    context = {
        "connection": connection,
        "can_edit": True,
        "list_url": list_url(connection),
        "back_url": list_url(connection, query),
    }
    if handler is not None:
        last_changes = handler_last_changes(connection=connection, handler_ids=[handler.id])
        last_tests = handler_last_tests(connection=connection, handler_ids=[handler.id])
        return render(
            request,
            f"{LIST_TEMPLATE}#row",
            {
                **context,
                "handler": handler,
                "last_changes": last_changes,
                "last_tests": last_tests,
                "health_notes": health_notes(connection=connection, handler_ids=[handler.id]),
            },
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
    response = render(request, f"{LIST_TEMPLATE}#switch", {**context, "handler": previous})
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
    query = list_sent_from(request, connection)
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
            return redirect(list_url(connection, query))
        response = HttpResponse("")
        trigger_client_event(response, "closeModal")
        return reswap(response, "none")
    else:
        messages.success(request, _("Deleted “%(name)s”.") % {"name": current.name})

    if not request.htmx:
        return redirect(list_url(connection, query))
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
    query = list_sent_from(request, connection)
    handler: Handler | None = None
    try:
        handler = handler_get(connection=connection, handler_id=handler_id)
    except NotFound as exc:
        response = _handler_gone(request, access, query, exc)
        trigger_client_event(response, "closeModal")
        return response
    except SoclookError:
        handler = None
    context = {
        "connection": connection,
        "handler": handler,
        "handler_id": handler_id,
        "back_url": list_url(connection, query),
        # The flows it leads to come back to the list as it was (views/list_page.py).
        "place": place_of(query),
        "savable": handler is None or handler.handler_type.is_known,
    }
    template = f"{MORE_TEMPLATE}#dialog" if request.htmx else MORE_TEMPLATE
    return render(request, template, context)


def _handler_gone(
    request: HtmxHttpRequest, access: ConnectionAccess, query: ListQuery, exc: NotFound
) -> HttpResponse:
    """The handler is no longer in the account: say so, and show the list as it is now."""
    messages.warning(request, exc.message)
    if not request.htmx:
        return redirect(list_url(access.connection, query))
    response = _render_table(request, access, query, push=False)
    return reswap(retarget(response, "#handler-table"), "outerHTML")


def _confirm_delete(
    request: HtmxHttpRequest, access: ConnectionAccess, handler_id: int, query: ListQuery
) -> HttpResponse:
    connection = access.connection
    handler: Handler | None = None
    error: SoclookError | None = None
    try:
        handler = handler_get(connection=connection, handler_id=handler_id)
    except NotFound as exc:
        return _handler_gone(request, access, query, exc)
    except SoclookError as exc:
        error = exc
    context = {
        "connection": connection,
        "handler": handler,
        "handler_id": handler_id,
        "error": error,
        "back_url": list_url(connection, query),
        "action": reverse("handler_delete", args=[connection.pk, handler_id]),
    }
    template = f"{DELETE_TEMPLATE}#dialog" if request.htmx else DELETE_TEMPLATE
    return render(request, template, context)
