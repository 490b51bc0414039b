"""What each call of the Soclook client sends and reads, against the sandbox over real HTTP."""

from __future__ import annotations

import pytest

from handlers_app.soclook import Handler, HandlerStatus, ListQuery
from handlers_app.soclook.client import SoclookClient
from handlers_app.soclook.errors import BadKey, NotFound, Rejected
from tests.client_support import (
    BOT_TOKEN,
    CHAT_ID,
    DISABLED_DISCORD,
    EMAIL,
    PENDING_EMAIL,
    SLACK,
    TELEGRAM,
    TWILIO,
    X,
    parse_time,
    public_settings,
    stored,
)


@pytest.fixture
def key(sandbox) -> str:
    return sandbox.add_account(seed=40)


@pytest.fixture
def client(sandbox, key: str) -> SoclookClient:
    return SoclookClient(base_url=sandbox.base_url, api_key=key, backoff=0, label="test")


# --- reading the list ----------------------------------------------------------------------


def test_it_reads_the_first_page_as_the_seed_documents_it(sandbox, client, key) -> None:
    sandbox.variant = "seed"
    page = client.list_handlers()

    assert (page.page, page.per_page, page.total, page.total_pages) == (1, 25, 40, 2)
    records = sandbox.handlers(key)[:25]
    assert [h.id for h in page.items] == [r["id"] for r in records]
    for handler, record in zip(page.items, records, strict=True):
        assert handler.name == record["name"]
        assert handler.type == record["type"]
        assert dict(handler.settings) == public_settings(record)
        expected = HandlerStatus.ENABLED if record["is_enabled"] == 1 else HandlerStatus.DISABLED
        assert handler.status == expected
        assert handler.created == parse_time(record["datetime"])
        assert handler.last_changed == parse_time(record["last_datetime"])


def test_it_reads_the_live_counts_states_and_string_page(sandbox, client, key) -> None:
    first = client.list_handlers()
    assert (first.page, first.total, first.total_pages) == (1, 40, 2)
    assert first.items[EMAIL].status == HandlerStatus.ENABLED
    assert first.items[EMAIL].email_confirmed is True
    assert first.items[PENDING_EMAIL].status == HandlerStatus.PENDING
    assert first.items[PENDING_EMAIL].is_enabled
    assert first.items[PENDING_EMAIL].email_confirmed is False
    assert "email_is_confirmed" not in first.items[PENDING_EMAIL].settings
    assert first.items[DISABLED_DISCORD].status == HandlerStatus.DISABLED
    assert not first.items[DISABLED_DISCORD].is_enabled
    for handler, record in zip(first.items, sandbox.handlers(key), strict=False):
        assert handler.status == HandlerStatus(record["is_enabled"])

    second = client.list_handlers(ListQuery(page=2))
    assert (second.page, second.total, len(second.items)) == (2, 40, 15)
    assert second.has_previous and not second.has_next


def test_a_page_past_the_last_is_empty_not_an_error(client) -> None:
    page = client.list_handlers(ListQuery(page=9))
    assert page.items == ()
    assert page.total == 40


def test_the_page_size_is_sent_and_honoured(sandbox, client) -> None:
    page = client.list_handlers(ListQuery(results_per_page=10))
    assert (len(page.items), page.per_page, page.total_pages) == (10, 10, 4)
    assert sandbox.requests[-1].query == {"page": "1", "results_per_page": "10"}


def test_filters_and_order_reach_the_service(sandbox, client, key) -> None:
    needle = stored(sandbox, key, EMAIL)["name"][1:4].upper()
    query = ListQuery(type="email", is_enabled=1, search=needle, order_by="name", order_type="DESC")
    page = client.list_handlers(query)

    assert sandbox.requests[-1].query == {
        "page": "1",
        "results_per_page": "25",
        "type": "email",
        "is_enabled": "1",
        "search": needle,
        "search_by": "name",
        "order_by": "name",
        "order_type": "DESC",
    }
    expected = [
        r
        for r in sandbox.handlers(key)
        if r["type"] == "email"
        and r["is_enabled"] == 1
        and needle.casefold() in r["name"].casefold()
    ]
    assert page.total == len(expected) > 0
    names = [h.name.casefold() for h in page.items]
    assert names == sorted(names, reverse=True)


def test_a_base_url_without_its_slash_reaches_the_same_paths(sandbox, key) -> None:
    client = SoclookClient(base_url=sandbox.base_url.rstrip("/"), api_key=key)
    client.list_handlers()
    client.create_handler(name="Ops", type="email", settings={"email": "ops@example.com"})
    assert [r.path for r in sandbox.requests] == [
        "/api/notification-handlers/",
        "/api/notification-handlers",
    ]


# --- reading one handler -------------------------------------------------------------------


def test_it_gets_one_handler_with_all_its_settings(sandbox, client, key) -> None:
    record = stored(sandbox, key, TELEGRAM)
    handler = client.get_handler(record["id"])
    assert handler == Handler(
        id=record["id"],
        type="telegram",
        name=record["name"],
        settings=record["settings"],
        status=HandlerStatus.ENABLED,
        created=parse_time(record["datetime"]),
        last_changed=parse_time(record["last_datetime"]),
        email_confirmed=None,
    )
    assert sandbox.requests[-1].path == f"/api/notification-handlers/{record['id']}"


@pytest.mark.parametrize("variant", ["live", "seed"])
def test_types_the_dashboard_does_not_know_are_kept_as_they_are(sandbox, client, key, variant):
    sandbox.variant = variant
    twilio = stored(sandbox, key, TWILIO)
    blank = sandbox.add_handler(key, type="", name="Blanked", settings={"webhook": "https://e.x"})

    handler = client.get_handler(twilio["id"])
    assert handler.type == "twilio"
    assert dict(handler.settings) == twilio["settings"]
    assert handler.handler_type.is_known is False

    handler = client.get_handler(blank["id"])
    assert handler.type == ""
    assert dict(handler.settings) == {"webhook": "https://e.x"}
    assert str(handler.handler_type.label) == "Unknown type"


def test_a_missing_handler_is_not_found(client) -> None:
    with pytest.raises(NotFound) as caught:
        client.get_handler(99_999)
    assert caught.value.status == 404
    assert "deleted elsewhere" in caught.value.message


# --- creating ------------------------------------------------------------------------------


def test_create_returns_the_id_from_the_seed_answer(sandbox, client, key) -> None:
    sandbox.variant = "seed"
    new_id = client.create_handler(name="Ops", type="email", settings={"email": "ops@example.com"})
    record = sandbox.handlers(key)[-1]
    assert new_id == record["id"]
    assert (record["name"], record["type"]) == ("Ops", "email")
    assert sandbox.requests[-1].form == {"name": "Ops", "type": "email", "email": "ops@example.com"}


def test_create_returns_the_id_from_the_live_full_answer(sandbox, client, key) -> None:
    new_id = client.create_handler(
        name="On-call",
        type="telegram",
        settings={"telegram": BOT_TOKEN, "telegram_chat_id": CHAT_ID},
    )
    assert sandbox.requests[-1].status == 201
    record = sandbox.handlers(key)[-1]
    assert new_id == record["id"]
    assert record["settings"] == {"telegram": BOT_TOKEN, "telegram_chat_id": CHAT_ID}


def test_writes_are_sent_as_multipart_form_data(sandbox, client) -> None:
    client.create_handler(name="Ops", type="email", settings={"email": "ops@example.com"})
    content_type = next(
        v for k, v in sandbox.requests[-1].headers.items() if k.lower() == "content-type"
    )
    assert content_type.startswith("multipart/form-data")


def test_a_missing_field_is_rejected_in_the_services_words(sandbox, client) -> None:
    with pytest.raises(Rejected) as caught:
        client.create_handler(name="Bot", type="telegram", settings={"telegram": BOT_TOKEN})
    assert caught.value.status == 401
    assert "telegram_chat_id" in caught.value.title
    assert caught.value.message == caught.value.title
    assert not isinstance(caught.value, BadKey)


def test_a_plan_limit_is_rejected_not_taken_for_a_bad_key(sandbox, client, key) -> None:
    sandbox.set_plan_limit(key, "slack", 1)
    with pytest.raises(Rejected) as caught:
        client.create_handler(
            name="More", type="slack", settings={"slack": "https://hooks.slack.com/services/A/B/C"}
        )
    assert caught.value.status == 401
    assert "лимит" in caught.value.title


# --- updating ------------------------------------------------------------------------------


def test_a_toggle_sends_name_type_and_every_setting(sandbox, client, key) -> None:
    record = stored(sandbox, key, TELEGRAM)
    current = client.get_handler(record["id"])
    client.update_handler(
        handler_id=current.id,
        name=current.name,
        type=current.type,
        settings=current.settings,
        is_enabled=False,
    )
    assert sandbox.requests[-1].form == {
        "name": record["name"],
        "type": "telegram",
        "telegram": record["settings"]["telegram"],
        "telegram_chat_id": record["settings"]["telegram_chat_id"],
        "is_enabled": "0",
    }
    after = stored(sandbox, key, TELEGRAM)
    assert (after["type"], after["settings"], after["is_enabled"]) == (
        "telegram",
        record["settings"],
        0,
    )


def test_an_update_sends_every_field_of_the_type_even_when_the_caller_lacks_one(
    sandbox, client, key
) -> None:
    record = stored(sandbox, key, X)
    client.update_handler(
        handler_id=record["id"], name="Brand", type="x", settings={"x_access_token": "t" * 20}
    )
    form = sandbox.requests[-1].form
    assert set(form) == {
        "name",
        "type",
        "x_consumer_key",
        "x_consumer_secret",
        "x_access_token",
        "x_access_token_secret",
    }
    assert "is_enabled" not in form


def test_an_email_update_does_not_send_the_confirmation_flag(sandbox, client, key) -> None:
    record = stored(sandbox, key, PENDING_EMAIL)
    current = client.get_handler(record["id"])
    client.update_handler(
        handler_id=current.id,
        name="Renamed",
        type=current.type,
        settings=current.settings,
        is_enabled=True,
    )
    assert set(sandbox.requests[-1].form) == {"name", "type", "email", "is_enabled"}
    assert stored(sandbox, key, PENDING_EMAIL)["is_enabled"] == HandlerStatus.PENDING


def test_an_unknown_type_is_renamed_with_its_settings_untouched(sandbox, client, key) -> None:
    record = stored(sandbox, key, TWILIO)
    current = client.get_handler(record["id"])
    client.update_handler(
        handler_id=current.id, name="SMS", type=current.type, settings=current.settings
    )
    assert sandbox.requests[-1].form == {
        "name": "SMS",
        "type": "twilio",
        "twilio": record["settings"]["twilio"],
    }
    after = stored(sandbox, key, TWILIO)
    assert (after["name"], after["type"], after["settings"]) == (
        "SMS",
        "twilio",
        record["settings"],
    )


def test_a_blanked_type_is_renamed_and_toggled_with_its_settings_kept(sandbox, client, key):
    blank = sandbox.add_handler(
        key, type="", name="Old", settings={"webhook": "https://example.com/h"}
    )
    current = client.get_handler(blank["id"])
    client.update_handler(
        handler_id=current.id,
        name="New",
        type=current.type,
        settings=current.settings,
        is_enabled=False,
    )
    assert sandbox.requests[-1].form == {
        "name": "New",
        "webhook": "https://example.com/h",
        "is_enabled": "0",
    }
    after = sandbox.handlers(key)[-1]
    assert (after["name"], after["settings"], after["is_enabled"]) == (
        "New",
        {"webhook": "https://example.com/h"},
        0,
    )


def test_updating_a_missing_handler_is_not_found(client) -> None:
    with pytest.raises(NotFound):
        client.update_handler(handler_id=99_999, name="x", type="email", settings={})


# --- deleting ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 204])
def test_delete_accepts_an_empty_answer(sandbox, client, key, status: int) -> None:
    sandbox.delete_status = status
    record = stored(sandbox, key, SLACK)
    client.delete_handler(record["id"])
    assert sandbox.requests[-1].status == status
    assert record["id"] not in [r["id"] for r in sandbox.handlers(key)]
    with pytest.raises(NotFound):
        client.get_handler(record["id"])


def test_deleting_a_missing_handler_is_not_found(client) -> None:
    with pytest.raises(NotFound):
        client.delete_handler(99_999)
