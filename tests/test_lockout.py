"""Sign-in throttling of one name guessed from many addresses (handlers_app.throttle)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from tests.helpers import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def attempt_sign_in(username: str, password: str, address: str) -> int:
    response = Client().post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )
    return response.status_code


def guess_from_many_addresses(username: str, times: int) -> list[int]:
    """Wrong passwords, each from an address of its own (no address reaches its own limit);
    the status of each answer."""
    return [attempt_sign_in(username, "wrong", f"203.0.113.{n + 1}") for n in range(times)]


def test_one_name_guessed_from_many_addresses_is_locked_from_every_address(
    owner: User, settings
) -> None:
    statuses = guess_from_many_addresses(owner.username, settings.AXES_NAME_FAILURE_LIMIT)

    assert statuses == [200] * (settings.AXES_NAME_FAILURE_LIMIT - 1) + [429]
    assert attempt_sign_in(owner.username, PASSWORD, "198.51.100.2") == 429, "even the right one"
    other = make_user("oleg")
    assert attempt_sign_in(other.username, PASSWORD, "203.0.113.1") == 302, "another name"


def test_fewer_guesses_than_the_name_limit_leave_the_name_open(owner: User, settings) -> None:
    statuses = guess_from_many_addresses(owner.username, settings.AXES_NAME_FAILURE_LIMIT - 1)

    assert set(statuses) == {200}
    assert attempt_sign_in(owner.username, PASSWORD, "198.51.100.2") == 302


def test_the_name_lock_lifts_after_its_own_short_cool_off(owner: User, settings) -> None:
    assert settings.AXES_NAME_COOLOFF_MINUTES < settings.AXES_COOLOFF_TIME * 60
    guess_from_many_addresses(owner.username, settings.AXES_NAME_FAILURE_LIMIT)
    assert attempt_sign_in(owner.username, PASSWORD, "198.51.100.2") == 429

    after = timedelta(minutes=settings.AXES_NAME_COOLOFF_MINUTES, seconds=1)
    AccessAttempt.objects.update(attempt_time=timezone.now() - after)

    assert attempt_sign_in(owner.username, PASSWORD, "198.51.100.2") == 302
