"""The list sorts by name, type, status, creation and last change: by its column headers and by
a sort selector shown on every width. Type and status are orders the service does not know;
they are cut from the account held whole, and the service is asked in its own order."""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.urls import reverse

from handlers_app.models import Connection
from handlers_app.readcache import SNAPSHOT_SIZE
from handlers_app.soclook import ListQuery
from tests.helpers import client_for

ROW_ID = re.compile(r'<tr id="handler-(\d+)"')


def list_url(connection: Connection) -> str:
    return reverse("handler_list", args=[connection.pk])


def shown_ids(html: str) -> list[int]:
    return [int(found) for found in ROW_ID.findall(html)]


def test_the_list_sorts_by_type_and_by_status(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    records = sandbox.handlers(api_key)
    client = client_for(editor)
    by_type = client.get(list_url(connection), {"order_by": "type", "results_per_page": "100"}).text
    expected = [r["id"] for r in sorted(records, key=lambda r: (r["type"], r["id"]))]
    assert shown_ids(by_type) == expected
    assert re.search(
        r'<th scope="col" class="col-type" aria-sort="ascending">\s*<a id="sort-type"', by_type
    )

    by_status = client.get(
        list_url(connection),
        {"order_by": "status", "order_type": "DESC", "results_per_page": "100"},
    ).text
    expected = [
        r["id"] for r in sorted(records, key=lambda r: (r["is_enabled"], r["id"]), reverse=True)
    ]
    assert shown_ids(by_status) == expected
    assert 'aria-sort="descending"' in by_status


def test_the_service_is_never_asked_for_an_order_it_does_not_know() -> None:
    assert "order_by" not in ListQuery(order_by="type").to_params()
    assert "order_type" not in ListQuery(order_by="status", order_type="DESC").to_params()
    # The list's own address keeps it.
    assert ListQuery(order_by="type").to_params(omit_defaults=True) == {"order_by": "type"}


def test_the_sort_selector_offers_every_order_and_shows_the_one_in_force(
    editor: User, connection: Connection, sandbox
) -> None:
    page = client_for(editor).get(list_url(connection), {"order_by": "type"}).text
    select = re.search(r'<select id="sort-select" name="sort"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]+)</option>', select.group(1))
    assert [(value, label) for value, _selected, label in options] == [
        ("", "Oldest first"),
        ("name:ASC", "Name, A to Z"),
        ("name:DESC", "Name, Z to A"),
        ("type:ASC", "Type"),
        ("status:ASC", "Status"),
        ("datetime:DESC", "Newest first"),
        ("last_datetime:DESC", "Last changed first"),
    ]
    assert [value for value, selected, _label in options if selected] == ["type:ASC"]
    # The selector carries the order: no second copy of it rides along with the filters.
    assert not re.search(r"name=\"order_by\"[^>]*form=\"handler-filters\"", page)


def test_the_sort_selectors_choice_wins_and_the_address_says_it_plainly(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    records = sandbox.handlers(api_key)
    response = client_for(editor).get(
        list_url(connection),
        {"sort": "name:DESC", "order_by": "datetime", "results_per_page": "100"},
        HTTP_HX_REQUEST="true",
    )
    by_name = sorted(records, key=lambda r: (r["name"].casefold(), r["id"]), reverse=True)
    expected = [r["id"] for r in by_name]
    assert shown_ids(response.text) == expected
    assert response["HX-Push-Url"] == (
        f"{list_url(connection)}?results_per_page=100&order_by=name&order_type=DESC"
    )


def test_a_sort_choice_that_makes_no_sense_is_ignored(
    editor: User, connection: Connection, sandbox
) -> None:
    response = client_for(editor).get(list_url(connection), {"sort": "password:ASC"}, follow=True)
    assert response.redirect_chain == [(list_url(connection), 302)]
    assert "aria-sort" not in response.text


def test_a_big_account_offers_no_order_the_service_cannot_give(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    for number in range(SNAPSHOT_SIZE + 1 - len(sandbox.handlers(api_key))):
        sandbox.add_handler(
            api_key, type="webhook", name=f"Bulk {number}", settings={"webhook": "x"}
        )
    page = client_for(editor).get(list_url(connection), {"order_by": "type"}).text
    assert 'value="type:ASC"' not in page
    assert 'id="sort-type"' not in page
    # The rows come in the service's order, and no column claims otherwise.
    assert "aria-sort" not in page
    sent = [r for r in sandbox.requests if r.path == "/api/notification-handlers/"]
    assert all("order_by" not in r.query for r in sent)


def test_the_sort_selector_sent_without_javascript_lands_on_the_plain_address(
    editor: User, connection: Connection, sandbox
) -> None:
    response = client_for(editor).get(
        list_url(connection), {"type": "", "sort": "status:ASC", "results_per_page": "10"}
    )
    assert response.status_code == 302
    assert response["Location"] == (
        f"{list_url(connection)}?results_per_page=10&order_by=status&order_type=ASC"
    )
