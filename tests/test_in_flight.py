# ruff: noqa: RUF001
"""A person may have two connection checks or test sends under way; the third is told to wait.

Two checks under way are two real API calls held open by a slow sandbox, each holding its
place as the view does; the third comes through the views.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache

from handlers_app.in_flight import PER_PERSON, Busy, outbound_turn
from handlers_app.models import Connection
from handlers_app.sandbox.server import Fault
from handlers_app.soclook import SoclookError
from handlers_app.soclook.client import SoclookClient
from tests.helpers import client_for
from tests.test_testsend import EN, RU, send_test

WAIT = "You have 2 checks or test sends under way. Wait for your other checks to finish"
WAIT_RU = "У вас уже идут 2 проверки или тестовые отправки. Дождитесь, пока другие проверки"


@contextmanager
def two_checks_under_way(sandbox, user: User, api_key: str) -> Iterator[None]:
    """Two calls to a sandbox that keeps them waiting, each holding one of `user`'s places; at
    the end the sandbox is reset, which cuts them off (and forgets its accounts)."""
    sandbox.slow_seconds = 60.0
    sandbox.add_fault(Fault("slow", count=PER_PERSON))
    before = len(sandbox.requests)

    def check() -> None:
        client = SoclookClient(base_url=sandbox.base_url, api_key=api_key, timeout=60)
        with outbound_turn(user_id=user.pk, seconds=60), suppress(SoclookError):
            client.list_handlers()

    threads = [threading.Thread(target=check) for _ in range(PER_PERSON)]
    for thread in threads:
        thread.start()
    while len(sandbox.requests) < before + PER_PERSON:
        time.sleep(0.01)
    try:
        yield
    finally:
        sandbox.reset()
        for thread in threads:
            thread.join()


def test_a_third_check_at_once_is_told_to_wait_and_sends_nothing(
    owner: User, sandbox, api_key: str
) -> None:
    client = client_for(owner)
    form = {"name": "Production", "base_url": sandbox.base_url, "api_key": api_key}
    with two_checks_under_way(sandbox, owner, api_key):
        sent = len(sandbox.requests)
        response = client.post("/connections/new/", form)
        response_ru = client.post("/connections/new/", form, HTTP_ACCEPT_LANGUAGE="ru")
        assert len(sandbox.requests) == sent
    assert WAIT in response.text
    assert WAIT_RU in response_ru.text
    assert 'value="Production"' in response.text
    assert not Connection.objects.exists()
    # Once they are over, the check goes through.
    form["api_key"] = sandbox.add_account(seed=1)
    assert client.post("/connections/new/", form).status_code == 302


def test_a_test_send_is_held_back_the_same_way(
    editor: User, connection: Connection, sandbox, api_key: str
) -> None:
    client = client_for(editor)
    webhook = {"webhook": "https://hooks.example/a"}
    with two_checks_under_way(sandbox, editor, api_key):
        shown = send_test(client, connection, "webhook", webhook, **EN)
        shown_ru = send_test(client, connection, "webhook", webhook, **RU)
    assert WAIT in shown
    assert WAIT_RU in shown_ru


def test_another_person_is_not_held_back(owner: User, stranger: User, sandbox, api_key) -> None:
    with (
        two_checks_under_way(sandbox, owner, api_key),
        outbound_turn(user_id=stranger.pk, seconds=5),
    ):
        assert stranger.pk != owner.pk


def test_a_place_is_given_back_when_the_call_fails(owner: User, sandbox) -> None:
    sandbox.add_account(seed=1)
    client = client_for(owner)
    form = {"name": "Production", "base_url": sandbox.base_url, "api_key": "wrong-key-1234"}
    for _ in range(PER_PERSON + 1):
        response = client.post("/connections/new/", form)
        assert "did not accept this API key" in response.text
        assert WAIT not in response.text
    with pytest.raises(RuntimeError), outbound_turn(user_id=owner.pk, seconds=5):
        raise RuntimeError("the call broke")
    for _ in range(PER_PERSON):
        with outbound_turn(user_id=owner.pk, seconds=5):
            pass


def test_places_are_shared_through_the_cache() -> None:
    with outbound_turn(user_id=7, seconds=5), outbound_turn(user_id=7, seconds=5):
        with pytest.raises(Busy), outbound_turn(user_id=7, seconds=5):
            pass
        assert len([key for key in range(PER_PERSON) if cache.get(f"in-flight:7:{key}")]) == 2
    assert cache.get("in-flight:7:0") is None
