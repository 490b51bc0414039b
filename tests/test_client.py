"""The Soclook client against the local sandbox over real HTTP.

A fake `fetch` stands in only where the sandbox cannot misbehave the right way: a connect timeout,
and answer shapes the live service has been seen to send but the sandbox does not.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from handlers_app import outbound
from handlers_app.sandbox import Fault
from handlers_app.soclook import (
    Handler,
    HandlerStatus,
    ListQuery,
    SoclookClient,
)
from handlers_app.soclook.errors import (
    BadKey,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    SoclookError,
    Unavailable,
)

# The head of every seeded account, in id order (see Sandbox.add_account).
EMAIL, WEBHOOK, SLACK, DISCORD, TELEGRAM, TEAMS, X, PUSH, TWILIO, GOOGLE_CHAT = range(10)
PENDING_EMAIL, DISABLED_DISCORD = 10, 11

BOT_TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
CHAT_ID = "-1001234567890"


@pytest.fixture
def key(sandbox) -> str:
    return sandbox.add_account(seed=40)


@pytest.fixture
def client(sandbox, key: str) -> SoclookClient:
    return SoclookClient(base_url=sandbox.base_url, api_key=key, backoff=0, label="test")


def stored(sandbox, key: str, position: int) -> dict[str, Any]:
    return sandbox.handlers(key)[position]


def sent(sandbox, method: str) -> list[Any]:
    return [r for r in sandbox.requests if r.method == method]


def parse_time(value: str | None) -> datetime | None:
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S") if value else None


def public_settings(record: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in record["settings"].items() if k != "email_is_confirmed"}


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/"


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


# --- keys and addresses --------------------------------------------------------------------


def test_a_wrong_key_on_a_read_is_a_bad_key(sandbox, key) -> None:
    client = SoclookClient(base_url=sandbox.base_url, api_key="sbx_not-a-real-key")
    with pytest.raises(BadKey) as caught:
        client.list_handlers()
    assert caught.value.status == 401
    assert "API key" in caught.value.message


def test_a_malformed_key_is_a_bad_key_without_a_request(sandbox) -> None:
    client = SoclookClient(base_url=sandbox.base_url, api_key="pasted with a space")
    with pytest.raises(BadKey):
        client.list_handlers()
    assert sandbox.requests == []


def test_an_address_without_the_api_is_unavailable_not_a_missing_handler(sandbox, key) -> None:
    client = SoclookClient(base_url=sandbox.base_url.replace("/api/", "/v2/"), api_key=key)
    with pytest.raises(Unavailable) as caught:
        client.list_handlers()
    assert not isinstance(caught.value, NotFound)
    assert caught.value.status == 404
    assert "address" in caught.value.message


# --- an unwell service ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["html_500", "json_500", "not_json", "truncated_json"])
def test_a_broken_answer_to_a_read_is_unavailable(sandbox, client, kind: str) -> None:
    sandbox.add_fault(Fault(kind))
    with pytest.raises(Unavailable) as caught:
        client.list_handlers()
    assert not isinstance(caught.value, OutcomeUnknown)
    assert "try again in a minute" in caught.value.message
    assert len(sent(sandbox, "GET")) == 1


def test_a_read_is_retried_after_a_503(sandbox, client) -> None:
    sandbox.add_fault(Fault("503", count=2))
    assert client.list_handlers().total == 40
    assert [r.status for r in sent(sandbox, "GET")] == [503, 503, 200]


def test_a_read_gives_up_after_its_retries(sandbox, client) -> None:
    sandbox.add_fault(Fault("503", count=3))
    with pytest.raises(Unavailable) as caught:
        client.list_handlers()
    assert caught.value.status == 503
    assert len(sent(sandbox, "GET")) == 3


def test_a_read_is_retried_after_a_dropped_connection(sandbox, client, key) -> None:
    sandbox.add_fault(Fault("drop", method="GET"))
    record = stored(sandbox, key, EMAIL)
    assert client.get_handler(record["id"]).id == record["id"]
    assert len(sent(sandbox, "GET")) == 2


def test_a_read_timeout_is_unavailable_and_not_retried(sandbox, key) -> None:
    client = SoclookClient(base_url=sandbox.base_url, api_key=key, timeout=0.5, backoff=0)
    sandbox.add_fault(Fault("slow"))
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        client.list_handlers()
    assert time.monotonic() - started < 3
    assert not isinstance(caught.value, OutcomeUnknown)
    assert len(sent(sandbox, "GET")) == 1


def test_a_write_is_never_retried_after_a_503(sandbox, client, key) -> None:
    sandbox.add_fault(Fault("503", count=5, method="POST"))
    with pytest.raises(Unavailable) as caught:
        client.create_handler(name="Ops", type="email", settings={"email": "ops@example.com"})
    assert not isinstance(caught.value, OutcomeUnknown)
    assert len(sent(sandbox, "POST")) == 1


def test_a_dropped_write_leaves_the_outcome_unknown(sandbox, client, key) -> None:
    sandbox.add_fault(Fault("drop", method="POST"))
    with pytest.raises(OutcomeUnknown) as caught:
        client.create_handler(name="Ops", type="email", settings={"email": "ops@example.com"})
    assert "Reload the list" in caught.value.message
    assert len(sent(sandbox, "POST")) == 1


def test_a_write_timeout_leaves_the_outcome_unknown_though_it_was_saved(sandbox, key) -> None:
    client = SoclookClient(base_url=sandbox.base_url, api_key=key, timeout=0.5)
    sandbox.add_fault(Fault("slow", method="POST"))
    with pytest.raises(OutcomeUnknown):
        client.create_handler(name="Ops", type="email", settings={"email": "ops@example.com"})
    assert len(sent(sandbox, "POST")) == 1
    assert sandbox.handlers(key)[-1]["name"] == "Ops"


def test_a_delete_timeout_leaves_the_outcome_unknown(sandbox, key) -> None:
    client = SoclookClient(base_url=sandbox.base_url, api_key=key, timeout=0.5)
    sandbox.add_fault(Fault("slow", method="DELETE"))
    with pytest.raises(OutcomeUnknown):
        client.delete_handler(stored(sandbox, key, EMAIL)["id"])
    assert len(sent(sandbox, "DELETE")) == 1


@pytest.mark.parametrize("kind", ["truncated_json", "not_json"])
def test_an_unreadable_answer_to_a_write_leaves_the_outcome_unknown(sandbox, client, key, kind):
    sandbox.add_fault(Fault(kind, method="POST"))
    record = stored(sandbox, key, EMAIL)
    with pytest.raises(OutcomeUnknown):
        client.update_handler(
            handler_id=record["id"], name="x", type="email", settings=public_settings(record)
        )


def test_a_refused_connection_is_unavailable_even_for_a_write() -> None:
    client = SoclookClient(base_url=closed_port_url(), api_key="k" * 32, backoff=0)
    with pytest.raises(Unavailable) as caught:
        client.list_handlers()
    assert not isinstance(caught.value, OutcomeUnknown)
    with pytest.raises(Unavailable) as caught:
        client.create_handler(name="Ops", type="email", settings={"email": "ops@example.com"})
    assert not isinstance(caught.value, OutcomeUnknown)


# --- the rate limit ------------------------------------------------------------------------


def test_the_remaining_budget_is_tracked(sandbox, client) -> None:
    assert client.rate_limit_remaining is None
    client.list_handlers()
    client.list_handlers()
    assert client.rate_limit_remaining == 58


def test_a_spent_rate_limit_says_when_to_try_again(sandbox, client) -> None:
    sandbox.rate_limit = 3
    for _ in range(3):
        client.list_handlers()
    with pytest.raises(RateLimited) as caught:
        client.list_handlers()
    assert caught.value.status == 429
    assert 1 <= caught.value.retry_after <= 60
    assert f"try again in {caught.value.retry_after} s" in caught.value.message
    assert client.rate_limit_remaining == 0
    assert len(sent(sandbox, "GET")) == 4


def test_a_rate_limited_write_is_not_retried(sandbox, client) -> None:
    sandbox.add_fault(Fault("rate_limit", method="POST"))
    with pytest.raises(RateLimited):
        client.create_handler(name="Ops", type="email", settings={"email": "ops@example.com"})
    assert len(sent(sandbox, "POST")) == 1


@dataclass
class FakeBudget:
    refuse_for: int | None = None
    reserved: int = 0
    observed: list[dict[str, int | None]] = field(default_factory=list)

    def reserve(self) -> None:
        if self.refuse_for is not None:
            raise RateLimited(retry_after=self.refuse_for)
        self.reserved += 1

    def observe(
        self, *, status: int, limit: int | None, remaining: int | None, reset: int | None
    ) -> None:
        self.observed.append({"status": status, "limit": limit, "remaining": remaining})


def test_the_budget_is_asked_before_and_told_after_every_request(sandbox, key) -> None:
    budget = FakeBudget()
    client = SoclookClient(base_url=sandbox.base_url, api_key=key, budget=budget, backoff=0)
    sandbox.add_fault(Fault("503"))
    client.list_handlers()
    with pytest.raises(NotFound):
        client.get_handler(99_999)
    assert budget.reserved == 3
    assert budget.observed == [
        {"status": 503, "limit": None, "remaining": None},
        {"status": 200, "limit": 60, "remaining": 59},
        {"status": 404, "limit": 60, "remaining": 58},
    ]


def test_a_refusing_budget_stops_the_request_before_it_leaves(sandbox, key) -> None:
    client = SoclookClient(base_url=sandbox.base_url, api_key=key, budget=FakeBudget(17))
    with pytest.raises(RateLimited) as caught:
        client.create_handler(name="Ops", type="email", settings={"email": "ops@example.com"})
    assert caught.value.retry_after == 17
    assert sandbox.requests == []


# --- secrets and logs ----------------------------------------------------------------------


def test_the_key_and_settings_never_show_in_errors_logs_or_the_client(sandbox, key, caplog):
    caplog.set_level(logging.DEBUG)
    client = SoclookClient(base_url=sandbox.base_url, api_key=key, timeout=0.5, backoff=0)
    secret_settings = {"telegram": BOT_TOKEN, "telegram_chat_id": CHAT_ID}
    errors: list[SoclookError] = []

    def attempt(call) -> None:
        try:
            call()
        except SoclookError as exc:
            errors.append(exc)

    def create() -> None:
        client.create_handler(name="Bot", type="telegram", settings=secret_settings)

    attempt(
        lambda: client.create_handler(name="Bot", type="telegram", settings={"telegram": BOT_TOKEN})
    )
    sandbox.add_fault(Fault("drop", method="POST"))
    attempt(create)
    sandbox.add_fault(Fault("slow", method="POST"))
    attempt(create)
    sandbox.add_fault(Fault("html_500"))
    attempt(lambda: client.list_handlers(ListQuery(search="on-call")))
    attempt(lambda: client.get_handler(99_999))
    sandbox.add_fault(Fault("rate_limit"))
    attempt(lambda: client.delete_handler(1))
    attempt(lambda: SoclookClient(base_url=sandbox.base_url, api_key=key + "x").list_handlers())

    assert {type(e) for e in errors} == {
        Rejected,
        OutcomeUnknown,
        Unavailable,
        NotFound,
        RateLimited,
        BadKey,
    }
    shown = [str(e) for e in errors] + [repr(e) for e in errors] + [repr(client), str(client)]
    shown += [r.getMessage() for r in caplog.records] + [repr(vars(r)) for r in caplog.records]
    for text in shown:
        assert key not in text
        assert BOT_TOKEN not in text
        assert CHAT_ID not in text


def test_a_title_that_echoes_a_secret_is_scrubbed() -> None:
    body = {"errors": [{"title": f"Token {BOT_TOKEN} is invalid for key sekretkey", "status": 422}]}
    client = fake_client(FakeFetch([answer(422, body)]), api_key="sekretkey")
    with pytest.raises(Rejected) as caught:
        client.create_handler(
            name="Bot", type="telegram", settings={"telegram": BOT_TOKEN, "telegram_chat_id": "1"}
        )
    assert caught.value.title == "Token •••• is invalid for key ••••"


def test_each_request_is_one_log_line_with_its_facts(sandbox, client, caplog) -> None:
    caplog.set_level(logging.INFO, logger="handlers_app.soclook")
    client.list_handlers(ListQuery(search="Private team name"))

    (record,) = [r for r in caplog.records if r.name == "handlers_app.soclook"]
    assert record.soclook_label == "test"
    assert record.soclook_method == "GET"
    assert record.soclook_path == "notification-handlers/?page&results_per_page&search&search_by"
    assert record.soclook_status == 200
    assert record.soclook_remaining == 59
    assert isinstance(record.soclook_elapsed_ms, int)
    assert "Private team name" not in record.getMessage()


# --- answers only the fake fetch gives -----------------------------------------------------


class FakeFetch:
    """Answers each request with the next canned answer, or raises it if it is an exception."""

    def __init__(self, answers: list[outbound.Answer | Exception]) -> None:
        self.answers: Iterator[outbound.Answer | Exception] = iter(answers)
        self.calls: list[tuple[str, str]] = []

    def __call__(
        self, url: str, policy: outbound.Policy, *, method: str, deadline: outbound.Deadline, **_
    ) -> outbound.Answer:
        self.calls.append((method, url))
        assert policy.max_bytes
        assert deadline.remaining() > 0
        outcome = next(self.answers)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def answer(status: int, body: Any = None, *, raw: bytes | None = None, **headers: str):
    return outbound.Answer(
        status=status,
        headers={k.replace("_", "-").lower(): v for k, v in headers.items()},
        content=raw if raw is not None else json.dumps(body).encode(),
    )


def fake_client(fetch: FakeFetch, *, api_key: str = "fake-key") -> SoclookClient:
    return SoclookClient(
        base_url="https://soclook.example/api", api_key=api_key, fetch=fetch, backoff=0
    )


def handler_json(**overrides: Any) -> dict[str, Any]:
    return {
        "id": 7,
        "type": "email",
        "name": "Work email",
        "settings": {"email": "hey@example.com"},
        "is_enabled": True,
        "last_datetime": None,
        "datetime": "2025-04-04 08:01:10",
    } | overrides


def get_one(**overrides: Any) -> Handler:
    fetch = FakeFetch([answer(200, {"data": handler_json(**overrides)})])
    return fake_client(fetch).get_handler(7)


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (True, HandlerStatus.ENABLED),
        (False, HandlerStatus.DISABLED),
        (0, HandlerStatus.DISABLED),
        (1, HandlerStatus.ENABLED),
        (2, HandlerStatus.PENDING),
        ("0", HandlerStatus.DISABLED),
        ("1", HandlerStatus.ENABLED),
        ("2", HandlerStatus.PENDING),
    ],
)
def test_every_form_of_is_enabled_is_understood(value: object, status: HandlerStatus) -> None:
    assert get_one(is_enabled=value).status == status


@pytest.mark.parametrize(
    ("value", "settings"),
    [
        ({"email": "hey@example.com"}, {"email": "hey@example.com"}),
        ('{"email":"hey@example.com","email_is_confirmed":true}', {"email": "hey@example.com"}),
        (
            {"telegram_chat_id": -100123, "flag": False},
            {"telegram_chat_id": "-100123", "flag": "0"},
        ),
        (None, {}),
        ([], {}),
        ("[]", {}),
        ("", {}),
        ("{not json", {}),
    ],
)
def test_every_form_of_settings_is_understood(value: object, settings: dict[str, str]) -> None:
    assert dict(get_one(settings=value).settings) == settings


def test_the_creation_time_is_naive_and_garbled_times_are_none() -> None:
    handler = get_one(datetime="2025-04-04 08:01:10", last_datetime="0000-00-00 00:00:00")
    assert handler.created == datetime(2025, 4, 4, 8, 1, 10)
    assert handler.last_changed is None
    assert get_one(datetime=None, id="7").created is None


def test_a_handler_without_an_id_is_left_out_of_the_list() -> None:
    body = {
        "data": [handler_json(), handler_json(id=None), "junk"],
        "meta": {"page": "1", "results_per_page": "25", "total_results": "3"},
    }
    page = fake_client(FakeFetch([answer(200, body)])).list_handlers()
    assert [h.id for h in page.items] == [7]
    assert (page.page, page.per_page, page.total, page.total_pages) == (1, 25, 3, 1)


@pytest.mark.parametrize(
    "body", [{"meta": {}}, {"data": "nope"}, [1, 2], {"data": {"id": None}}, None]
)
def test_an_unexpected_json_shape_is_unavailable(body: Any) -> None:
    fetch = FakeFetch([answer(200, body)])
    with pytest.raises(Unavailable):
        fake_client(fetch).get_handler(7)


def test_an_error_status_sent_as_a_string_is_honoured() -> None:
    body = {"errors": [{"title": "Обработчик не найден.", "status": "404"}]}
    with pytest.raises(NotFound):
        fake_client(FakeFetch([answer(200, body)])).get_handler(7)


def test_a_client_error_with_an_unreadable_body_still_maps_by_status() -> None:
    html = b"<html><body>Forbidden</body></html>"
    fetch = FakeFetch([answer(403, raw=html), answer(401, raw=html), answer(429, raw=html)])
    client = fake_client(fetch)
    with pytest.raises(Rejected) as caught:
        client.delete_handler(7)
    assert caught.value.message == "Soclook refused the request (HTTP 403)."
    with pytest.raises(BadKey):
        client.list_handlers()
    with pytest.raises(RateLimited) as limited:
        client.list_handlers()
    assert limited.value.retry_after == 60


def test_a_garbled_reset_header_means_a_minute() -> None:
    fetch = FakeFetch([answer(429, {}, X_RateLimit_Reset="soon")])
    with pytest.raises(RateLimited) as caught:
        fake_client(fetch).list_handlers()
    assert caught.value.retry_after == 60


@pytest.mark.parametrize("status", [502, 504])
def test_a_gateway_error_on_a_write_leaves_the_outcome_unknown(status: int) -> None:
    fetch = FakeFetch([answer(status, raw=b"<html>Bad gateway</html>")])
    with pytest.raises(OutcomeUnknown):
        fake_client(fetch).delete_handler(7)
    assert len(fetch.calls) == 1


def test_a_connect_timeout_on_a_write_is_unavailable_as_nothing_was_sent() -> None:
    fetch = FakeFetch([outbound.TimedOut(request_sent=False)])
    with pytest.raises(Unavailable) as caught:
        fake_client(fetch).update_handler(handler_id=7, name="n", type="email", settings={})
    assert not isinstance(caught.value, OutcomeUnknown)


def test_delete_accepts_a_json_answer() -> None:
    fetch = FakeFetch([answer(200, {"data": {"id": 7}})])
    fake_client(fetch).delete_handler(7)
    assert fetch.calls == [("DELETE", "https://soclook.example/api/notification-handlers/7")]


def test_a_create_answer_without_an_id_leaves_the_outcome_unknown() -> None:
    fetch = FakeFetch([answer(201, {"data": {"name": "Ops"}})])
    with pytest.raises(OutcomeUnknown):
        fake_client(fetch).create_handler(name="Ops", type="email", settings={"email": "a@b.co"})


# --- the list query ------------------------------------------------------------------------


def test_a_list_query_sends_only_what_is_set() -> None:
    assert ListQuery().to_params() == {"page": "1", "results_per_page": "25"}
    assert ListQuery(is_enabled=0, search="", type="").to_params() == {
        "page": "1",
        "results_per_page": "25",
        "is_enabled": "0",
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"page": 0},
        {"results_per_page": 30},
        {"is_enabled": 3},
        {"order_by": "id"},
        {"order_type": "desc"},
    ],
)
def test_a_list_query_refuses_what_the_service_would_silently_replace(kwargs) -> None:
    with pytest.raises(ValueError):
        ListQuery(**kwargs)
