"""A big account kept whole in the database: read a page of 1000 at a time, then every page,
filter, search and order of the list answered from it, at no request, and kept right by the
dashboard's own writes."""

from __future__ import annotations

import pytest
from django.db import connection as database
from django.test import Client
from django.urls import reverse

from handlers_app import selectors, services
from handlers_app.accountcopy.store import copy_for, copy_read_page
from handlers_app.models import Connection
from handlers_app.soclook import ListQuery
from handlers_app.soclook.client import SoclookClient

# Three pages of 1000: big enough to need a copy, small enough to read in a test.
BIG = 2500


def reads(sandbox) -> list:
    return [request for request in sandbox.requests if request.method == "GET"]


def ids(page) -> list[int]:
    return [handler.id for handler in page.items]


def page(connection: Connection, **query) -> selectors.HandlerListPage:
    return selectors.handler_page(connection=connection, query=ListQuery(**query))


def read_the_rest(connection: Connection) -> None:
    """What the background read does: the pages after the first, one request each."""
    copy = copy_for(connection)
    number = copy.pages_read + 1
    while not copy_read_page(copy, connection=connection, number=number):
        number += 1


@pytest.fixture
def big_key(sandbox) -> str:
    key = sandbox.add_account(seed=BIG - 1)
    # The last handler of the last page, sending somewhere no other does.
    sandbox.add_handler(
        key, type="email", name="Night desk", settings={"email": "night@zebra.example"}
    )
    return key


@pytest.fixture
def big(team, owner, sandbox, big_key: str) -> Connection:
    connection = Connection(team=team, name="Big", base_url=sandbox.base_url)
    connection.set_api_key(big_key)
    connection.created_by = owner
    connection.save()
    return connection


def service_page(sandbox, key: str, query: ListQuery):
    return SoclookClient(base_url=sandbox.base_url, api_key=key).list_handlers(query)


def test_the_first_view_reads_the_first_thousand_once_and_keeps_them(sandbox, big) -> None:
    first = page(big)
    second = page(big, page=2, results_per_page=100)

    assert first.total == BIG
    assert ids(second) == list(range(101, 201))
    assert [r.query for r in reads(sandbox)] == [{"page": "1", "results_per_page": "1000"}]
    assert first.coverage.read == 1000
    assert first.coverage.total == BIG
    assert not first.coverage.complete


def test_a_complete_copy_answers_every_view_at_no_request(sandbox, big, big_key: str) -> None:
    page(big)
    read_the_rest(big)
    sandbox.clear_requests()

    views = [
        ListQuery(),
        ListQuery(page=100, results_per_page=25),
        ListQuery(type="email", results_per_page=50, page=3),
        ListQuery(is_enabled=0, order_by="name"),
        ListQuery(order_by="datetime", order_type="DESC", page=7, results_per_page=10),
        ListQuery(order_by="last_datetime", page=2, results_per_page=250),
        ListQuery(search="desk", order_by="name", order_type="DESC"),
    ]
    answered = [selectors.handler_page(connection=big, query=query) for query in views]

    assert sandbox.requests == []
    for query, mine in zip(views, answered, strict=True):
        theirs = service_page(sandbox, big_key, query)
        assert ids(mine) == ids(theirs), query
        assert mine.total == theirs.total, query
        assert list(mine.items) == list(theirs.items), query
    assert answered[0].coverage.complete
    assert answered[0].coverage.served == BIG


def test_a_search_by_destination_finds_a_handler_on_the_last_page(sandbox, big) -> None:
    page(big)
    read_the_rest(big)

    found = page(big, search="ZEBRA.example")

    assert [h.name for h in found.items] == ["Night desk"]
    assert found.items[0].id == BIG
    assert found.searched_destinations


def test_before_the_copy_is_complete_an_empty_search_says_what_it_covered(
    client: Client, sandbox, big, owner
) -> None:
    client.force_login(owner)
    url = reverse("handler_list", args=[big.pk])
    client.get(url)

    text = client.get(url, {"search": "zebra"}).text

    assert "No handlers match these filters." not in text
    assert "No handler\N{RIGHT SINGLE QUOTATION MARK}s name contains “zebra”." in text
    assert "Destinations were not searched yet" in text
    assert "1000 of 2500 handlers so far" in text
    russian = client.get(url, {"search": "zebra"}, HTTP_ACCEPT_LANGUAGE="ru").text
    assert "Ни в одном названии нет «zebra»." in russian


def test_the_list_says_how_much_is_read_and_follows_the_reading(
    client: Client, sandbox, big, owner
) -> None:
    client.force_login(owner)
    url = reverse("handler_list", args=[big.pk])
    text = client.get(url).text
    assert "Read 1000 of 2500 handlers so far." in text
    assert 'data-hx-trigger="every 3s"' in text

    polled = client.get(url, {"coverage": "1"}, HTTP_HX_REQUEST="true")
    assert 'id="list-coverage"' in polled.text
    assert "handler-table-summary" not in polled.text

    sandbox.clear_requests()
    read_the_rest(big)
    done = client.get(url, {"coverage": "1"}, HTTP_HX_REQUEST="true")
    assert done.headers["HX-Retarget"] == "#handler-table"
    assert "All 2500 handlers are read: filters, search and sort cover every one." in done.text
    assert "every 3s" not in done.text
    assert [r.query.get("page") for r in reads(sandbox)] == ["2", "3"]


def test_writes_through_the_dashboard_patch_the_copy(sandbox, big, owner, big_key: str) -> None:
    page(big)
    read_the_rest(big)
    current = selectors.handler_get(connection=big, handler_id=2000)
    sandbox.clear_requests()

    services.handler_set_enabled(connection=big, user=owner, current=current, enabled=False)
    services.handler_update(
        connection=big,
        user=owner,
        current=selectors.handler_get(connection=big, handler_id=1500),
        name="Renamed far away",
        type="email",
        settings={"email": "renamed@far.example"},
    )
    new_id = services.handler_create(
        connection=big,
        user=owner,
        name="Brand new",
        type="email",
        settings={"email": "new@far.example"},
    )
    services.handler_delete(
        connection=big, user=owner, current=selectors.handler_get(connection=big, handler_id=10)
    )
    assert [r.method for r in sandbox.requests if r.method != "GET"] == ["POST"] * 3 + ["DELETE"]
    sandbox.clear_requests()

    assert page(big, search="far.example", order_by="name").total == 2
    assert ids(page(big, search="far.example", order_by="name")) == [new_id, 1500]
    assert (
        page(big, is_enabled=0).total
        == service_page(sandbox, big_key, ListQuery(is_enabled=0)).total
    )
    assert 10 not in ids(page(big, results_per_page=25))
    everything = page(big)
    assert everything.total == BIG
    assert everything.coverage.served == BIG
    assert [r.query.get("is_enabled") for r in reads(sandbox)] == ["0"]


def test_a_saved_handler_is_found_on_its_page_in_the_copy(sandbox, big) -> None:
    page(big)
    read_the_rest(big)

    number = selectors.handler_page_number(
        connection=big, query=ListQuery(order_by="name", results_per_page=100), handler_id=BIG
    )

    by_name = page(big, order_by="name", results_per_page=100, page=number)
    assert BIG in ids(by_name)


def test_a_copy_read_with_another_key_is_never_shown(sandbox, big, big_key: str) -> None:
    page(big)
    read_the_rest(big)
    other_key = sandbox.add_account(seed=5)
    big.set_api_key(other_key)
    big.save()

    shown = page(big)

    assert shown.total == 5
    assert shown.coverage is None
    assert copy_for(big) is None


def test_the_copy_holds_no_secret_in_plaintext(sandbox, big, big_key: str) -> None:
    page(big)
    secrets = [
        handler["settings"]["webhook"]
        for handler in sandbox.handlers(big_key)[:1000]
        if handler["type"] == "webhook"
    ]
    assert secrets
    with database.cursor() as cursor:
        cursor.execute("SELECT * FROM handlers_app_copiedhandler")
        stored = repr(cursor.fetchall())
        cursor.execute("SELECT * FROM handlers_app_copiedrecord")
        stored += repr(cursor.fetchall())

    assert not any(secret in stored for secret in secrets)


def test_an_account_that_shrank_to_one_read_is_held_whole_again(sandbox, team) -> None:
    key = sandbox.add_account(seed=1010)
    connection = Connection(team=team, name="Shrinking", base_url=sandbox.base_url)
    connection.set_api_key(key)
    connection.save()
    page(connection)
    api = SoclookClient(base_url=sandbox.base_url, api_key=key)
    for handler in sandbox.handlers(key)[:20]:
        api.delete_handler(handler["id"])

    read_the_rest(connection)
    sandbox.clear_requests()
    again = page(connection, order_by="name")
    page(connection, type="email")

    assert copy_for(connection) is None
    assert again.total == 990
    assert again.coverage is None
    assert [r.query for r in reads(sandbox)] == [{"page": "1", "results_per_page": "1000"}]
