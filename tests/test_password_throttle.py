"""The password change and the password-reset pages are throttled like sign-in.

They share django-axes' counters: AXES_FAILURE_LIMIT wrong old passwords pause the password
change (and sign-in) for that name from that address; reset requests and reset links that do
not work are counted per address. A paused person gets a 429 page in their language.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.helpers import PASSWORD

NEW_PASSWORD = "a-brand-new-unusual-passphrase-58"
CHANGE = reverse("password_change")
ADDRESS = "203.0.113.7"


def signed_in(user: User, address: str = ADDRESS) -> Client:
    client = Client(REMOTE_ADDR=address)
    client.force_login(user)
    return client


def change(client: Client, old_password: str) -> int:
    typed = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    return client.post(CHANGE, {"old_password": old_password, **typed}).status_code


def test_the_right_old_password_changes_it(owner: User) -> None:
    assert change(signed_in(owner), PASSWORD) == 302
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)


def test_wrong_old_passwords_pause_the_change_even_for_the_right_one(owner: User, settings) -> None:
    client = signed_in(owner)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert change(client, "a-wrong-guess") == 200
    assert change(client, "a-wrong-guess") == 429

    assert change(client, PASSWORD) == 429, "even the right one"
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_eight_wrong_old_passwords_then_the_right_one_does_not_go_through(owner: User) -> None:
    client = signed_in(owner)
    for _ in range(8):
        change(client, "a-wrong-guess")
    assert change(client, PASSWORD) == 429
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_the_pause_says_so_in_the_persons_language(owner: User, settings) -> None:
    client = signed_in(owner)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(
            CHANGE, {"old_password": "x", "new_password1": "y", "new_password2": "y"}
        )
    russian = client.post(
        CHANGE,
        {"old_password": "x", "new_password1": "y", "new_password2": "y"},
        HTTP_ACCEPT_LANGUAGE="ru",
    )

    assert response.status_code == 429
    assert "Too many wrong passwords" in response.text
    assert "Try again in 15 minutes." in response.text
    assert russian.status_code == 429
    assert "Слишком много неверных паролей" in russian.text
    assert "Попробуйте снова через 15 минут." in russian.text


def test_the_change_and_sign_in_share_one_counter_per_name_and_address(
    owner: User, settings
) -> None:
    client = signed_in(owner)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        change(client, "a-wrong-guess")

    here = Client(REMOTE_ADDR=ADDRESS).post(
        reverse("login"), {"username": owner.username, "password": PASSWORD}
    )
    elsewhere = signed_in(owner, address="198.51.100.2")

    assert here.status_code == 429
    assert change(elsewhere, PASSWORD) == 302, "another address is not paused"


def test_the_pause_ends_with_the_cool_off(owner: User, settings) -> None:
    client = signed_in(owner)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        change(client, "a-wrong-guess")
    cool_off = timedelta(hours=settings.AXES_COOLOFF_TIME)
    AccessAttempt.objects.update(attempt_time=timezone.now() - cool_off - timedelta(seconds=1))

    assert change(client, PASSWORD) == 302


def test_no_typed_password_is_kept_in_the_attempt_log(owner: User) -> None:
    client = signed_in(owner)
    client.post(
        CHANGE,
        {
            "old_password": "typed-old-guess-1234",
            "new_password1": "typed-new-secret-5678",
            "new_password2": "typed-new-secret-5678",
        },
    )

    (attempt,) = AccessAttempt.objects.all()
    assert attempt.username == owner.username
    kept = str(AccessAttempt.objects.values_list())
    assert "typed-old-guess-1234" not in kept
    assert "typed-new-secret-5678" not in kept


# --- password reset ----------------------------------------------------------------------------


@pytest.fixture
def with_email(owner: User) -> User:
    owner.email = "olga@example.com"
    owner.save()
    return owner


def ask_reset(email: str, address: str = ADDRESS) -> int:
    response = Client(REMOTE_ADDR=address).post(reverse("password_reset"), {"email": email})
    return response.status_code


def test_reset_requests_from_one_address_are_paused_after_the_limit(
    with_email: User, settings
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert ask_reset(with_email.email) == 302
    assert ask_reset(with_email.email) == 429
    assert ask_reset("someone-else@example.com") == 429, "any address typed, from there"

    assert len(mail.outbox) == settings.AXES_FAILURE_LIMIT - 1
    assert ask_reset(with_email.email, address="198.51.100.2") == 302
    assert "olga@example.com" not in str(AccessAttempt.objects.values_list())


def reset_link(user: User, token: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("password_reset_confirm", args=[uid, token])


def test_reset_links_that_do_not_work_are_paused_after_the_limit(
    with_email: User, settings
) -> None:
    client = Client(REMOTE_ADDR=ADDRESS)
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.get(reset_link(with_email, f"made-up-{attempt}"))
        assert response.status_code == 200
    paused = client.get(reset_link(with_email, "made-up-last"))

    assert paused.status_code == 429
    assert "Too many password reset links that do not work" in paused.text


def test_a_working_reset_link_still_leads_to_the_new_password(with_email: User) -> None:
    client = Client(REMOTE_ADDR=ADDRESS)
    token = default_token_generator.make_token(with_email)

    opened = client.get(reset_link(with_email, token))
    form = client.get(opened["Location"])
    done = client.post(
        opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert opened.status_code == 302 and token not in opened["Location"]
    assert form.status_code == 200
    assert done.status_code == 302
    with_email.refresh_from_db()
    assert with_email.check_password(NEW_PASSWORD)
    assert not AccessAttempt.objects.exists()
