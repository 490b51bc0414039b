"""What the Soclook client writes to logs and errors, and the secrets it keeps out of them."""

from __future__ import annotations

import logging

import pytest

from handlers_app.sandbox import Fault
from handlers_app.soclook import ListQuery
from handlers_app.soclook.client import SoclookClient
from handlers_app.soclook.errors import (
    BadKey,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    SoclookError,
    Unavailable,
)
from tests.client_support import BOT_TOKEN, CHAT_ID, FakeFetch, answer, fake_client


@pytest.fixture
def key(sandbox) -> str:
    return sandbox.add_account(seed=40)


@pytest.fixture
def client(sandbox, key: str) -> SoclookClient:
    return SoclookClient(base_url=sandbox.base_url, api_key=key, backoff=0, label="test")


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
