from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from handlers_app.models import Connection, Team
from handlers_app.sandbox import Fault
from handlers_app.soclook.types import get_handler_type
from tests.helpers import client_for

HTMX = {"HTTP_HX_REQUEST": "true"}


def showing(first: int, last: int, total: int) -> str:
    return f"Showing {first}\N{EN DASH}{last} of {total} handlers"


def list_url(connection: Connection) -> str:
    return reverse("handler_list", args=[connection.pk])


def list_requests(sandbox) -> list:
    return [r for r in sandbox.requests if r.path == "/api/notification-handlers/"]


def add_connection(team: Team, sandbox, api_key: str, name: str = "Other account") -> Connection:
    connection = Connection(team=team, name=name, base_url=sandbox.base_url)
    connection.set_api_key(api_key)
    connection.save()
    return connection


def test_the_list_shows_each_handler_with_its_type_destination_and_status(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    records = sandbox.handlers(api_key)
    response = client_for(editor).get(list_url(connection))

    assert response.status_code == 200
    text = response.text
    for record in records[:25]:
        assert f'id="handler-{record["id"]}"' in text
    assert f'id="handler-{records[25]["id"]}"' not in text
    email, webhook, slack, telegram = records[0], records[1], records[2], records[4]
    assert email["settings"]["email"] in text
    assert "hooks.slack.com" in text
    assert "bi-telegram" in text and "Telegram" in text
    assert "Chat ID " + telegram["settings"]["telegram_chat_id"] in text
    assert webhook["name"] in text and slack["name"] in text
    assert "Waiting for confirmation" in text
    assert showing(1, 25, 40) in text


def test_no_secret_setting_ever_reaches_the_page(
    owner: User, connection: Connection, sandbox, api_key: str
) -> None:
    text = client_for(owner).get(list_url(connection), {"results_per_page": 50}).text

    secrets = [
        str(value)
        for record in sandbox.handlers(api_key)
        for key, value in record["settings"].items()
        if key not in ("email", "email_is_confirmed", "telegram_chat_id")
    ]
    # Values this short are masked whole by the registry; as text they could match anything.
    assert [s for s in secrets if len(s) >= 8 and s in text] == []
    assert api_key not in text


def test_handlers_of_types_the_dashboard_does_not_know_are_listed(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    twilio = next(r for r in sandbox.handlers(api_key) if r["type"] == "twilio")
    text = client_for(editor).get(list_url(connection)).text
    assert twilio["name"] in text
    assert "bi-chat-left-text" in text and "Twilio SMS" in text
    assert twilio["settings"]["twilio"] not in text


def test_every_filter_sort_and_page_size_reaches_the_service(
    owner: User, team: Team, sandbox
) -> None:
    # A small account is read whole and cut locally; one over 1000 handlers is paged by the
    # service, so every parameter must reach it.
    large = add_connection(team, sandbox, sandbox.add_account(seed=1001))
    params = {
        "page": "2",
        "results_per_page": "10",
        "type": "email",
        "is_enabled": "1",
        "search": "mail",
        "order_by": "name",
        "order_type": "DESC",
    }
    response = client_for(owner).get(list_url(large), params)

    assert response.status_code == 200
    # When the filtered account has no page 2, the last page is fetched after it.
    assert {**params, "search_by": "name"} in [r.query for r in list_requests(sandbox)]


def test_the_filters_choose_what_the_list_shows(
    owner: User, connection: Connection, sandbox, api_key: str
) -> None:
    records = sandbox.handlers(api_key)
    text = (
        client_for(owner)
        .get(list_url(connection), {"type": "email", "is_enabled": "1", "results_per_page": "100"})
        .text
    )

    shown = {int(i) for i in re.findall(r'<tr id="handler-(\d+)"', text)}
    expected = {r["id"] for r in records if r["type"] == "email" and r["is_enabled"] == 1}
    assert shown == expected


def shown_destination(record: dict) -> str:
    handler_type = get_handler_type(record["type"], settings_keys=record["settings"])
    return handler_type.destination(record["settings"])


def test_a_name_search_and_a_sort_order_choose_the_rows_and_their_order(
    owner: User, connection: Connection, sandbox, api_key: str
) -> None:
    records = sandbox.handlers(api_key)
    text = (
        client_for(owner)
        .get(
            list_url(connection),
            {"search": "TEAM", "order_by": "name", "order_type": "DESC", "results_per_page": "100"},
        )
        .text
    )

    shown = [int(i) for i in re.findall(r'<tr id="handler-(\d+)"', text)]
    matching = [r for r in records if "team" in f"{r['name']} {shown_destination(r)}".casefold()]
    assert matching
    expected = sorted(matching, key=lambda r: (r["name"].casefold(), r["id"]), reverse=True)
    assert shown == [r["id"] for r in expected]


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"page": "-3"},
        {"page": "0"},
        {"page": "1e5"},
        {"results_per_page": "7"},
        {"results_per_page": "lots"},
        {"type": "Carrier pigeon!"},
        {"is_enabled": "maybe"},
        {"is_enabled": "9"},
        {"order_by": "password"},
        {"order_type": "sideways"},
    ],
)
def test_nonsense_parameters_fall_back_to_the_defaults(
    owner: User, connection: Connection, sandbox, params: dict[str, str]
) -> None:
    response = client_for(owner).get(list_url(connection), params)

    assert response.status_code == 200
    assert showing(1, 25, 40) in response.text
    assert "aria-sort" not in response.text


def test_lower_case_sort_direction_is_understood(
    owner: User, connection: Connection, sandbox
) -> None:
    text = (
        client_for(owner)
        .get(list_url(connection), {"order_by": "datetime", "order_type": "desc"})
        .text
    )
    assert 'aria-sort="descending"' in text


def test_an_oversize_search_is_cut_to_the_longest_possible_name(
    owner: User, team: Team, sandbox
) -> None:
    large = add_connection(team, sandbox, sandbox.add_account(seed=1001))
    response = client_for(owner).get(list_url(large), {"search": "x" * 5000})

    assert response.status_code == 200
    assert list_requests(sandbox)[-1].query["search"] == "x" * 128
    assert 'value="' + "x" * 128 + '"' in response.text


@pytest.mark.parametrize("page", ["3", "99", "99999999999999999999999"])
def test_a_page_past_the_end_shows_the_last_page(
    owner: User, connection: Connection, sandbox, api_key: str, page: str
) -> None:
    last = sandbox.handlers(api_key)[-1]
    response = client_for(owner).get(list_url(connection), {"page": page})

    assert response.status_code == 200
    assert showing(26, 40, 40) in response.text
    assert f'id="handler-{last["id"]}"' in response.text


def test_a_page_past_the_end_through_htmx_corrects_the_address_bar(
    owner: User, connection: Connection, sandbox
) -> None:
    response = client_for(owner).get(list_url(connection), {"page": "7"}, **HTMX)
    assert response["HX-Push-Url"] == f"{list_url(connection)}?page=2"


def test_a_page_past_the_end_of_a_large_account_costs_one_more_request(
    owner: User, team: Team, sandbox
) -> None:
    large = add_connection(team, sandbox, sandbox.add_account(seed=1001))
    response = client_for(owner).get(list_url(large), {"page": "500", "results_per_page": "10"})

    assert showing(1001, 1001, 1001) in response.text
    assert [r.query["page"] for r in list_requests(sandbox)] == ["1", "500", "101"]


def test_the_address_bar_gets_the_list_without_empty_fields_and_no_repeated_entry(
    owner: User, connection: Connection, sandbox
) -> None:
    client = client_for(owner)
    messy = {"type": "email", "is_enabled": "", "search": "", "results_per_page": "25"}
    response = client.get(list_url(connection), messy, **HTMX)
    assert response["HX-Push-Url"] == f"{list_url(connection)}?type=email"

    current = f"http://testserver{list_url(connection)}?type=email"
    again = client.get(list_url(connection), messy, HTTP_HX_CURRENT_URL=current, **HTMX)
    assert again["HX-Push-Url"] == "false"


def test_an_empty_account_invites_to_add_the_first_handler(
    editor: User, team: Team, sandbox
) -> None:
    empty = add_connection(team, sandbox, sandbox.add_account(seed=0))
    text = client_for(editor).get(list_url(empty)).text

    assert "No notification handlers yet" in text
    assert "Add your first handler" in text
    assert f'href="{reverse("handler_new", args=[empty.pk])}"' in text
    assert "<table" not in text


def test_a_viewer_of_an_empty_account_is_not_offered_to_add_one(
    viewer: User, team: Team, sandbox
) -> None:
    empty = add_connection(team, sandbox, sandbox.add_account(seed=0))
    text = client_for(viewer).get(list_url(empty)).text

    assert "No notification handlers yet" in text
    assert "Add your first handler" not in text


def test_a_filter_without_matches_says_so_and_offers_to_clear_it(
    owner: User, connection: Connection, sandbox
) -> None:
    text = (
        client_for(owner)
        .get(list_url(connection), {"search": "no such name", "order_by": "name"})
        .text
    )

    assert "No handlers match these filters." in text
    assert "No notification handlers yet" not in text
    assert f'href="{list_url(connection)}?order_by=name&amp;order_type=ASC"' not in text
    clear = re.search(r'id="clear-filters-empty" href="([^"]*)"', text)
    assert clear is not None and clear.group(1) == f"{list_url(connection)}?order_by=name"


def test_an_applied_filter_is_summarised_above_the_table(
    owner: User, connection: Connection, sandbox
) -> None:
    text = client_for(owner).get(list_url(connection), {"type": "email", "is_enabled": "2"}).text

    assert "type:" in text and "<strong>E-mail</strong>" in text
    assert "<strong>Waiting for e-mail confirmation</strong>" in text
    assert 'id="clear-filters"' in text
    assert '<option value="email" selected>' in text


def test_an_htmx_request_gets_only_the_table(owner: User, connection: Connection, sandbox) -> None:
    response = client_for(owner).get(
        list_url(connection), {"page": "2"}, HTTP_HX_TRIGGER="page-2", **HTMX
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="handler-table"')
    assert "<html" not in response.text
    assert showing(26, 40, 40) in response.text
    # Anything but the filter form itself sends the form along, to show the filters in force.
    assert 'id="handler-filters"' in response.text and 'data-hx-swap-oob="true"' in response.text
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_a_change_from_the_filter_form_does_not_send_the_form_back(
    owner: User, connection: Connection, sandbox
) -> None:
    response = client_for(owner).get(
        list_url(connection), {"search": "mail"}, HTTP_HX_TRIGGER="handler-filters", **HTMX
    )
    assert 'id="handler-filters"' not in response.text


def test_a_history_restore_request_gets_the_whole_page(
    owner: User, connection: Connection, sandbox
) -> None:
    response = client_for(owner).get(
        list_url(connection), HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX
    )
    assert "<html" in response.text


def test_sorting_links_toggle_the_direction_and_mark_the_sorted_column(
    owner: User, connection: Connection, sandbox
) -> None:
    client = client_for(owner)
    unsorted = client.get(list_url(connection)).text
    assert f'href="{list_url(connection)}?order_by=name&amp;order_type=ASC"' in unsorted
    assert f'href="{list_url(connection)}?order_by=datetime&amp;order_type=DESC"' in unsorted
    assert "aria-sort" not in unsorted

    by_name = client.get(list_url(connection), {"order_by": "name", "order_type": "ASC"}).text
    assert 'aria-sort="ascending"' in by_name
    assert f'href="{list_url(connection)}?order_by=name&amp;order_type=DESC"' in by_name


def test_pagination_offers_numbers_with_gaps_first_previous_next_and_last(
    owner: User, team: Team, sandbox
) -> None:
    big = add_connection(team, sandbox, sandbox.add_account(seed=120))
    text = client_for(owner).get(list_url(big), {"page": "6", "results_per_page": "10"}).text

    assert showing(51, 60, 120) in text
    numbers = re.findall(r'id="page-(\d+)"', text)
    assert numbers == ["1", "5", "6", "7", "12"]
    assert text.count('aria-hidden="true">…</span>') == 2
    assert 'aria-current="page"><span class="visually-hidden">Page </span>6<' in text
    for link, page in [("first", None), ("prev", 5), ("next", 7), ("last", 12)]:
        query = "results_per_page=10" if page is None else f"page={page}&amp;results_per_page=10"
        assert f'id="page-{link}" href="{list_url(big)}?{query}"' in text


def test_the_page_size_offers_exactly_the_services_choices(
    owner: User, connection: Connection, sandbox
) -> None:
    text = client_for(owner).get(list_url(connection), {"results_per_page": "50"}).text
    select = re.search(r'<select id="results-per-page".*?</select>', text, re.S).group(0)
    assert re.findall(r'value="(\d+)"', select) == ["10", "25", "50", "100", "250", "500", "1000"]
    assert '<option value="50" selected>' in select


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault("rate_limit"), "try again in"),
        (Fault("html_500"), "Soclook is not responding properly"),
        (Fault("not_json"), "Soclook is not responding properly"),
    ],
)
def test_a_failing_service_gets_a_plain_message_not_an_error_page(
    owner: User, connection: Connection, sandbox, fault: Fault, expected: str
) -> None:
    sandbox.add_fault(fault)
    response = client_for(owner).get(list_url(connection))

    assert response.status_code == 200
    assert expected in response.text
    assert "Try again" in response.text


def test_a_failing_service_through_htmx_still_answers_with_the_table(
    owner: User, connection: Connection, sandbox
) -> None:
    sandbox.add_fault(Fault("rate_limit"))
    response = client_for(owner).get(list_url(connection), **HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="handler-table"')
    assert "try again in" in response.text


def test_a_refused_key_tells_an_owner_where_to_fix_it(
    owner: User, viewer: User, team: Team, sandbox
) -> None:
    broken = add_connection(team, sandbox, "revoked-key-0000")
    edit_url = reverse("connection_edit", args=[broken.pk])

    as_owner = client_for(owner).get(list_url(broken)).text
    assert "did not accept this API key" in as_owner
    assert f'href="{edit_url}"' in as_owner

    as_viewer = client_for(viewer).get(list_url(broken)).text
    assert "Ask an owner of your team to update this connection's API key." in as_viewer
    assert f'href="{edit_url}"' not in as_viewer


def test_a_viewer_sees_the_status_but_no_controls(
    viewer: User, connection: Connection, sandbox
) -> None:
    text = client_for(viewer).get(list_url(connection)).text

    assert "aria-pressed" not in text
    assert "/toggle/" not in text and "/delete/" not in text and "/edit/" not in text
    assert "Add a handler" not in text
    assert 'class="badge text-bg-success">Enabled<' in text
    assert 'class="badge text-bg-warning">Waiting for confirmation<' in text


def test_an_editor_gets_a_labelled_switch_and_actions_per_row(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    first = sandbox.handlers(api_key)[0]
    text = client_for(editor).get(list_url(connection)).text

    assert f'aria-labelledby="l-enable n-{first["id"]}"' in text
    assert f'<span id="n-{first["id"]}">{first["name"]}</span>' in text
    # Addresses relative to the list's own, which keeps a long page light.
    assert reverse("handler_edit", args=[connection.pk, first["id"]]) == (
        list_url(connection) + f"{first['id']}/edit/"
    )
    assert (
        f'<a href="{first["id"]}/edit/" aria-labelledby="l-edit n-{first["id"]}">Edit</a>' in text
    )
    assert f'<a href="{first["id"]}/delete/" aria-labelledby="l-delete n-{first["id"]}"' in text
    assert "table-stack" in text


def test_a_stranger_gets_not_found_and_nothing_is_asked_of_soclook(
    stranger: User, connection: Connection, sandbox
) -> None:
    assert client_for(stranger).get(list_url(connection)).status_code == 404
    assert sandbox.requests == []


def test_signing_in_is_required(client, connection: Connection, sandbox) -> None:
    response = client.get(list_url(connection))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert sandbox.requests == []


def test_when_soclook_cannot_be_asked_the_last_known_list_is_shown_with_its_age(
    owner: User, connection: Connection, sandbox, settings
) -> None:
    settings.SOCLOOK_CACHE_SECONDS = 0
    client = client_for(owner)
    client.get(list_url(connection))
    sandbox.add_fault(Fault("rate_limit"))
    text = client.get(list_url(connection)).text

    assert showing(1, 25, 40) in text
    assert "could not be asked again just now" in text and "try again in" in text


def test_the_history_of_each_handler_is_a_click_away(
    viewer: User, connection: Connection, sandbox, api_key: str
) -> None:
    first = sandbox.handlers(api_key)[0]
    text = client_for(viewer).get(list_url(connection)).text
    assert reverse("handler_journal", args=[connection.pk, first["id"]]) == (
        list_url(connection) + f"{first['id']}/journal/"
    )
    assert f'href="{first["id"]}/journal/"' in text
    assert f"{reverse('journal')}?connection={connection.pk}" in text


def test_markup_in_a_name_and_a_destination_is_shown_as_text_in_the_row_and_its_switch(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    handler = sandbox.add_handler(
        api_key,
        type="email",
        name='<img src=x onerror="alert(1)">',
        settings={"email": "<b>ops</b>@example.com"},
    )
    client = client_for(editor)

    listed = client.get(list_url(connection), {"search": "img"}).text
    switched = client.post(
        reverse("handler_toggle", args=[connection.pk, handler["id"]]),
        {"is_enabled": "0"},
        **HTMX,
    ).text

    for page in (listed, switched):
        assert "<img" not in page and "<b>ops" not in page
        assert f'<span id="n-{handler["id"]}">&lt;img src=x onerror=' in page
        assert "&lt;b&gt;ops&lt;/b&gt;@example.com" in page
