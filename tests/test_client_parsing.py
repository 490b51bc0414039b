"""How the Soclook client reads answers the live service has been seen to send but the sandbox does
not, and a connect timeout: a fake `fetch` stands in for the network.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from handlers_app import outbound
from handlers_app.soclook import Handler, HandlerStatus
from handlers_app.soclook.errors import (
    BadKey,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Unavailable,
)
from tests.client_support import FakeFetch, answer, fake_client

# --- answers only the fake fetch gives -----------------------------------------------------


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


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("2025-04-04 08:01:10", datetime(2025, 4, 4, 8, 1, 10)),
        (" 2025-04-04 08:01:10 ", datetime(2025, 4, 4, 8, 1, 10)),
        # Laxer forms the service's own parser accepts are read too.
        ("2025-4-4 8:1:10", datetime(2025, 4, 4, 8, 1, 10)),
        ("2025-02-30 00:00:00", None),
        ("2025-04-04 24:00:00", None),
        ("2025-04-04", None),
        ("2025-04-04T08:01:10", None),
        ("2025-04-04 08:01:10+03:00", None),
    ],
)
def test_times_are_read_in_the_services_form_only(written: str, read: datetime | None) -> None:
    assert get_one(datetime=written).created == read


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
