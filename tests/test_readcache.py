"""Cached reads: few requests to Soclook, and never a stale view of the dashboard's own writes."""

from __future__ import annotations

import itertools
import random
import re
import threading
import time

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from handlers_app import selectors, services
from handlers_app.models import Connection
from handlers_app.sandbox import Fault
from handlers_app.soclook import (
    ORDER_BY_CHOICES,
    HandlerStatus,
    ListQuery,
)
from handlers_app.soclook.client import SoclookClient
from handlers_app.soclook.errors import BadKey, NotFound, OutcomeUnknown, Unavailable
from tests.helpers import client_for, raw_cache_contents, screenshot, sign_in


def reads(sandbox) -> list:
    return [request for request in sandbox.requests if request.method == "GET"]


def ids(page) -> list[int]:
    return [handler.id for handler in page.items]


def page(connection: Connection, **query) -> selectors.HandlerListPage:
    return selectors.handler_page(connection=connection, query=ListQuery(**query))


# --- one request serves the whole list --------------------------------------------------------


def test_every_page_filter_and_order_of_a_small_account_comes_from_one_request(
    sandbox, connection: Connection
) -> None:
    first = page(connection)
    page(connection, page=2)
    page(connection, type="email")
    page(connection, search="work", order_by="name", order_type="DESC")
    page(connection, is_enabled=0, results_per_page=10)
    assert [r.query for r in sandbox.requests] == [{"page": "1", "results_per_page": "1000"}]
    assert first.total == 40
    assert ids(first) == list(range(1, 26))
    assert first.total_pages == 2


def test_local_pages_are_exactly_what_the_service_answers(
    sandbox, connection: Connection, api_key: str
) -> None:
    for name in ("alpha", "Alpha", "ALPHA beta", "Ёлка", "ёлка-2"):
        sandbox.add_handler(api_key, type="webhook", name=name, settings={"webhook": "x"})
    sandbox.add_handler(
        api_key, type="email", name="Same time", datetime="2024-01-01 00:00:00", is_enabled=2
    )
    sandbox.add_handler(
        api_key, type="slack", name="same time", datetime="2024-01-01 00:00:00", is_enabled=0
    )
    sandbox.rate_limit = 10_000
    direct = SoclookClient(base_url=sandbox.base_url, api_key=api_key)
    orders = [(None, None), *itertools.product(ORDER_BY_CHOICES, (None, "ASC", "DESC"))]
    # Terms in no destination: there the local search looks further than the service's (see
    # tests/test_search.py).
    filters = list(
        itertools.product(
            (None, "email", "webhook", "twilio"),
            (None, 0, 1, 2),
            (None, "lph", "ЁЛК", "same", "zzz"),
        )
    )
    pages = [(1, 10), (2, 10), (5, 10), (1, 25), (2, 25), (1, 1000)]
    queries = [ListQuery(order_by=o, order_type=t) for o, t in orders]
    queries += [ListQuery(type=t, is_enabled=e, search=s) for t, e, s in filters]
    rng = random.Random(5)
    for _ in range(150):
        order_by, order_type = rng.choice(orders)
        handler_type, is_enabled, search = rng.choice(filters)
        number, per_page = rng.choice(pages)
        queries.append(
            ListQuery(
                page=number,
                results_per_page=per_page,
                type=handler_type,
                is_enabled=is_enabled,
                search=search,
                order_by=order_by,
                order_type=order_type,
            )
        )
    for query in queries:
        local = selectors.handler_page(connection=connection, query=query)
        expected = direct.list_handlers(query)
        assert (local.items, local.page, local.per_page, local.total, local.total_pages) == (
            expected.items,
            expected.page,
            expected.per_page,
            expected.total,
            expected.total_pages,
        ), query


def test_opening_a_listed_handler_needs_no_request(sandbox, connection: Connection) -> None:
    listed = page(connection).items[4]
    opened = selectors.handler_get(connection=connection, handler_id=listed.id)
    assert opened == listed
    assert len(sandbox.requests) == 1


def test_a_handler_read_on_its_own_is_cached_too(sandbox, connection: Connection) -> None:
    first = selectors.handler_get(connection=connection, handler_id=3)
    again = selectors.handler_get(connection=connection, handler_id=3)
    assert first == again
    assert [r.path for r in sandbox.requests] == ["/api/notification-handlers/3"]


def test_a_refresh_asks_the_service_even_when_the_list_is_cached(
    sandbox, connection: Connection, api_key: str
) -> None:
    page(connection)
    sandbox.add_handler(api_key, type="email", name="Added elsewhere", settings={"email": "a@b.c"})
    assert page(connection).total == 40
    refreshed = selectors.handler_page(connection=connection, query=ListQuery(), refresh=True)
    assert refreshed.total == 41
    assert len(reads(sandbox)) == 2


@override_settings(SOCLOOK_CACHE_SECONDS=0)
def test_the_cache_lasts_only_soclook_cache_seconds(sandbox, connection: Connection) -> None:
    page(connection)
    page(connection)
    selectors.handler_get(connection=connection, handler_id=1)
    assert len(reads(sandbox)) == 3


def test_a_fresh_page_says_how_old_it_is_and_what_is_left_of_the_budget(
    sandbox, connection: Connection
) -> None:
    first = page(connection)
    assert not first.is_stale
    assert first.age_seconds == 0
    assert first.budget.remaining == 59
    assert first.budget.limit == 60


# --- the dashboard's own writes show at once --------------------------------------------------


def test_a_toggle_of_a_listed_handler_sends_only_the_write_and_shows_at_once(
    sandbox, connection: Connection, owner, api_key: str
) -> None:
    page(connection)
    current = selectors.handler_get(connection=connection, handler_id=2)
    assert current.status == HandlerStatus.ENABLED
    sandbox.clear_requests()
    services.handler_set_enabled(connection=connection, user=owner, current=current, enabled=False)
    listed = page(connection, is_enabled=0)
    assert 2 in ids(listed)
    assert 2 not in ids(page(connection, is_enabled=1))
    assert selectors.handler_get(connection=connection, handler_id=2).status == 0
    assert [(r.method, r.path) for r in sandbox.requests] == [
        ("POST", "/api/notification-handlers/2")
    ]
    assert sandbox.handlers(api_key)[1]["is_enabled"] == 0


def test_enabling_an_unconfirmed_address_shows_it_still_waiting(
    sandbox, connection: Connection, owner, api_key: str
) -> None:
    created = services.handler_create(
        connection=connection,
        user=owner,
        name="New inbox",
        type="email",
        settings={"email": "new@example.com"},
    )
    current = selectors.handler_get(connection=connection, handler_id=created)
    off = services.handler_set_enabled(
        connection=connection, user=owner, current=current, enabled=False
    )
    on = services.handler_set_enabled(connection=connection, user=owner, current=off, enabled=True)
    assert on.status == HandlerStatus.PENDING
    assert sandbox.handlers(api_key)[-1]["is_enabled"] == HandlerStatus.PENDING
    assert selectors.handler_get(connection=connection, handler_id=created).is_pending


def test_a_save_shows_at_once_in_the_list_and_the_edit_page(
    sandbox, connection: Connection, owner
) -> None:
    page(connection)
    current = selectors.handler_get(connection=connection, handler_id=1)
    sandbox.clear_requests()
    services.handler_update(
        connection=connection,
        user=owner,
        current=current,
        name="Renamed inbox",
        type="email",
        settings={"email": "renamed@example.com"},
    )
    found = page(connection, search="renamed")
    assert ids(found) == [1]
    reopened = selectors.handler_get(connection=connection, handler_id=1)
    assert reopened.name == "Renamed inbox"
    assert reopened.settings["email"] == "renamed@example.com"
    assert [r.method for r in sandbox.requests] == ["POST"]


def test_ordering_by_last_change_after_a_save_the_service_dated_needs_no_request(
    sandbox, connection: Connection, owner, api_key: str
) -> None:
    page(connection)
    current = selectors.handler_get(connection=connection, handler_id=5)
    services.handler_set_enabled(connection=connection, user=owner, current=current, enabled=False)
    sandbox.clear_requests()
    newest = page(connection, order_by="last_datetime", order_type="DESC")
    assert ids(newest)[0] == 5
    assert reads(sandbox) == []


def test_ordering_by_last_change_after_a_save_left_undated_asks_the_service(
    sandbox, connection: Connection, owner, api_key: str
) -> None:
    sandbox.variant = "seed"
    page(connection)
    current = selectors.handler_get(connection=connection, handler_id=5)
    services.handler_set_enabled(connection=connection, user=owner, current=current, enabled=False)
    sandbox.clear_requests()
    newest = page(connection, order_by="last_datetime", order_type="DESC")
    assert ids(newest)[0] == 5
    assert len(reads(sandbox)) == 1
    page(connection, order_by="name")
    assert len(reads(sandbox)) == 1


def test_a_delete_takes_the_row_away_at_once(sandbox, connection: Connection, owner) -> None:
    page(connection)
    current = selectors.handler_get(connection=connection, handler_id=3)
    sandbox.clear_requests()
    services.handler_delete(connection=connection, user=owner, current=current)
    after = page(connection)
    assert 3 not in ids(after)
    assert after.total == 39
    assert [r.method for r in sandbox.requests] == ["DELETE"]
    with pytest.raises(NotFound):
        selectors.handler_get(connection=connection, handler_id=3)


def test_a_created_handler_is_in_the_next_list(sandbox, connection: Connection, owner) -> None:
    page(connection)
    new_id = services.handler_create(
        connection=connection,
        user=owner,
        name="Fresh hook",
        type="webhook",
        settings={"webhook": "https://hooks.example.com/abc"},
    )
    sandbox.clear_requests()
    listed = page(connection, search="fresh")
    assert ids(listed) == [new_id]
    assert listed.items[0] == selectors.handler_get(connection=connection, handler_id=new_id)
    assert page(connection, order_by="datetime", order_type="DESC").items[0].id == new_id
    assert reads(sandbox) == []


def test_a_created_handler_the_answer_leaves_undescribed_is_read_alone(
    sandbox, connection: Connection, owner
) -> None:
    sandbox.variant = "seed"
    page(connection)
    sandbox.clear_requests()
    new_id = services.handler_create(
        connection=connection,
        user=owner,
        name="Fresh hook",
        type="webhook",
        settings={"webhook": "https://hooks.example.com/abc"},
    )
    listed = page(connection, search="fresh")
    assert ids(listed) == [new_id]
    assert [(r.method, r.path) for r in sandbox.requests][1:] == [
        ("GET", f"/api/notification-handlers/{new_id}")
    ]


def test_a_write_with_an_unknown_outcome_makes_the_next_read_ask_the_service(
    sandbox, connection: Connection, owner
) -> None:
    page(connection)
    current = selectors.handler_get(connection=connection, handler_id=2)
    sandbox.add_fault(Fault("drop", method="POST"))
    with pytest.raises(OutcomeUnknown):
        services.handler_set_enabled(
            connection=connection, user=owner, current=current, enabled=False
        )
    sandbox.clear_requests()
    page(connection)
    assert len(reads(sandbox)) == 1


def test_a_handler_deleted_elsewhere_leaves_the_list_once_found_missing(
    sandbox, connection: Connection, owner, api_key: str
) -> None:
    page(connection)
    current = selectors.handler_get(connection=connection, handler_id=4)
    direct = SoclookClient(base_url=sandbox.base_url, api_key=api_key)
    direct.delete_handler(4)
    with pytest.raises(NotFound):
        services.handler_set_enabled(
            connection=connection, user=owner, current=current, enabled=False
        )
    assert 4 not in ids(page(connection))


# Two threads, each with its own database connection: what the first writes must be committed
# for the second to read it without waiting on it (PostgreSQL).
@pytest.mark.django_db(transaction=True)
def test_a_read_that_started_before_a_write_never_hides_it(
    sandbox, connection: Connection, owner
) -> None:
    page(connection)
    current = selectors.handler_get(connection=connection, handler_id=2)
    sandbox.slow_seconds = 0.6
    sandbox.add_fault(Fault("slow", method="GET"))
    slow_read = threading.Thread(
        target=selectors.handler_page,
        kwargs={"connection": connection, "query": ListQuery(), "refresh": True},
    )
    slow_read.start()
    time.sleep(0.2)
    services.handler_set_enabled(connection=connection, user=owner, current=current, enabled=False)
    slow_read.join()
    assert page(connection).items[1].status == HandlerStatus.DISABLED
    assert selectors.handler_get(connection=connection, handler_id=2).status == 0


# --- when fresh data cannot be had ------------------------------------------------------------


def test_an_outage_shows_the_cached_list_with_its_age(sandbox, connection: Connection) -> None:
    page(connection)
    sandbox.add_fault(Fault("503", count=3, method="GET"))
    shown = selectors.handler_page(connection=connection, query=ListQuery(), refresh=True)
    assert shown.is_stale
    assert shown.stale_reason == Unavailable().message
    assert shown.total == 40


def test_with_nothing_cached_an_outage_is_an_error(sandbox, connection: Connection) -> None:
    sandbox.add_fault(Fault("503", count=3, method="GET"))
    with pytest.raises(Unavailable):
        page(connection)


def test_a_wrong_key_is_never_hidden_by_the_cache(sandbox, connection: Connection) -> None:
    page(connection)
    connection.set_api_key("sbx_not_a_known_key")
    with pytest.raises(BadKey):
        page(connection)


# --- accounts bigger than one snapshot --------------------------------------------------------


def test_a_big_account_is_paged_through_the_service(sandbox, team, owner) -> None:
    big_key = sandbox.add_account(seed=1005)
    connection = Connection(team=team, name="Big", base_url=sandbox.base_url)
    connection.set_api_key(big_key)
    connection.save()
    first = page(connection)
    assert first.total == 1005
    assert ids(first) == list(range(1, 26))
    page(connection)
    # The first 1000 handlers, read to learn the account's size, also hold page 2 of 25.
    second = page(connection, page=2)
    beyond = page(connection, page=41)
    assert [r.query.get("results_per_page") for r in reads(sandbox)] == ["1000", "25"]
    assert second.page == 2
    assert ids(second) == list(range(26, 51))
    assert ids(beyond) == list(range(1001, 1006))
    opened = selectors.handler_get(connection=connection, handler_id=beyond.items[0].id)
    assert opened == beyond.items[0]
    assert len(reads(sandbox)) == 2
    current = beyond.items[0]
    services.handler_set_enabled(
        connection=connection, user=owner, current=current, enabled=not current.is_enabled
    )
    after = page(connection, page=41)
    assert after.items[0].is_enabled != current.is_enabled
    assert len(reads(sandbox)) == 3


# --- what the list page shows -------------------------------------------------------------------


def list_url(connection: Connection) -> str:
    return reverse("handler_list", args=[connection.pk])


def test_the_list_shows_the_requests_left_and_a_refresh_that_asks_soclook_again(
    sandbox, connection: Connection, owner, api_key: str
) -> None:
    browser = client_for(owner)
    first = browser.get(list_url(connection)).text
    assert "59 of 60 Soclook actions left this minute" in first
    assert f'href="{list_url(connection)}?refresh=1"' in first
    sandbox.add_handler(api_key, type="email", name="Added elsewhere", settings={"email": "a@b.c"})
    everything = {"results_per_page": "100"}
    assert "Added elsewhere" not in browser.get(list_url(connection), everything).text
    refreshed = browser.get(list_url(connection), {**everything, "refresh": "1"}).text
    assert "Added elsewhere" in refreshed
    assert "58 of 60 Soclook actions left this minute" in refreshed
    assert len(reads(sandbox)) == 2


def test_a_refresh_in_place_leaves_the_address_without_it(
    sandbox, connection: Connection, owner
) -> None:
    response = client_for(owner).get(
        list_url(connection),
        {"refresh": "1", "type": "email"},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/"},
    )
    assert response["HX-Push-Url"] == f"{list_url(connection)}?type=email"
    assert 'href="' + f"{list_url(connection)}?type=email&amp;refresh=1" in response.text


def test_when_the_budget_is_spent_the_list_says_how_old_it_is(
    sandbox, connection: Connection, owner
) -> None:
    browser = client_for(owner)
    browser.get(list_url(connection))
    for _ in range(56):
        selectors.handler_page(connection=connection, query=ListQuery(), refresh=True)
    text = browser.get(list_url(connection), {"refresh": "1"}).text
    assert re.search(r"as Soclook gave it \d+ s ago", text)
    assert "try again in" in text
    assert "3 of 60 Soclook actions left this minute" in text
    assert text.count('<tr id="handler-') == 25


def test_rows_kept_for_one_person_never_reach_another(
    sandbox, connection: Connection, owner, editor, viewer
) -> None:
    owners_page = Client(enforce_csrf_checks=True)
    owners_page.force_login(owner)
    owners_page.get(list_url(connection))
    assert 'formaction="1/toggle/"' not in client_for(viewer).get(list_url(connection)).text
    editors_page = Client(enforce_csrf_checks=True)
    editors_page.force_login(editor)
    text = editors_page.get(list_url(connection)).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)[1]
    response = editors_page.post(
        reverse("handler_toggle", args=[connection.pk, 2]),
        {"csrfmiddlewaretoken": token, "is_enabled": "0", "next": list_url(connection)},
    )
    assert response.status_code == 302


def test_a_switch_flipped_in_place_shows_on_the_next_full_page(
    sandbox, connection: Connection, owner
) -> None:
    browser = client_for(owner)
    assert 'formaction="2/toggle/"' in browser.get(list_url(connection)).text
    browser.post(
        reverse("handler_toggle", args=[connection.pk, 2]),
        {"is_enabled": "0", "next": list_url(connection)},
        headers={"HX-Request": "true"},
    )
    text = browser.get(list_url(connection)).text
    row = text[text.index('<tr id="handler-2"') :]
    row = row[: row.index("</tr>")]
    assert 'aria-pressed="true"' not in row
    assert len(reads(sandbox)) == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_refresh_in_the_browser_shows_a_change_made_elsewhere_and_keeps_the_address(
    page, owner, connection: Connection, sandbox, api_key: str
) -> None:
    from playwright.sync_api import expect

    url = list_url(connection)
    sign_in(page, owner)
    page.goto(f"{url}?search=elsewhere")
    expect(page.get_by_text("No handlers match these filters.")).to_be_visible()
    sandbox.add_handler(api_key, type="email", name="Added elsewhere", settings={"email": "a@b.c"})
    page.reload()
    expect(page.get_by_text("No handlers match these filters.")).to_be_visible()
    page.evaluate("window.notReloaded = true")

    page.get_by_role("link", name="Refresh").click()
    expect(page.locator("#handler-table")).to_contain_text("Added elsewhere")
    expect(page.locator("#list-freshness")).to_contain_text(
        "58 of 60 Soclook actions left this minute"
    )
    assert page.evaluate("window.notReloaded") is True
    assert page.url.endswith(f"{url}?search=elsewhere")
    screenshot(page, "list-refreshed")


def test_the_cache_holds_neither_the_key_nor_a_handler_secret_in_plaintext(
    sandbox, connection: Connection, owner, api_key: str
) -> None:
    client_for(owner).get(list_url(connection), {"results_per_page": "100"})
    selectors.handler_get(connection=connection, handler_id=5)
    stored = raw_cache_contents()
    secrets = [
        value
        for record in sandbox.handlers(api_key)
        for name, value in record["settings"].items()
        # E-mail addresses and chat IDs are shown on purpose.
        if name not in ("email", "telegram_chat_id") and isinstance(value, str) and len(value) >= 8
    ]
    assert secrets
    assert api_key.encode() not in stored
    assert not [secret for secret in secrets if secret.encode() in stored]
