"""Accounts: a forgotten password is reset through an e-mailed link, on the dashboard's own
pages in the person's language; signing up through an invitation asks for the e-mail address
the link would go to; an owner may have the invitation link e-mailed. No token reaches the
journal or a log line."""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client
from django.urls import reverse
from django.utils import translation

from handlers_app.models import Invitation, JournalEntry, Membership, Role, Team
from tests.helpers import PASSWORD, client_for

NEW_PASSWORD = "a-fresh-and-unusual-passphrase-77"
RESET = reverse("password_reset")
JOIN = reverse("invitation_join")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}
LANGUAGES = {"en": EN, "ru": RU}


@pytest.fixture(autouse=True)
def _english_after_each_test() -> Iterator[None]:
    """A Russian request leaves its language active in this thread; the next test starts afresh."""
    yield
    translation.deactivate()


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses every recipient and quotes the message back."""

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        raise smtplib.SMTPDataError(554, email_messages[0].body.encode())


def link_in(body: str) -> str:
    found = re.search(r"http://testserver(/\S+)", body)
    assert found, body
    return found.group(1)


# --- forgot password -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "words"), [("en", "Forgot password?"), ("ru", "Забыли пароль?")]
)
def test_the_sign_in_page_offers_forgot_password(db: None, language: str, words: str) -> None:
    page = Client().get(reverse("login"), **LANGUAGES[language]).text

    assert f'<a href="{RESET}">{words}</a>' in page


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Forgot your password?"), ("ru", "Забыли пароль?")],
)
def test_the_reset_page_is_the_dashboards_own_not_the_admins(
    db: None, language: str, words: str
) -> None:
    page = Client().get(RESET, **LANGUAGES[language]).text

    assert f'<h1 class="h3 mb-3">{words}</h1>' in page
    assert "Django" not in page
    assert 'name="email"' in page
    assert 'autocomplete="email"' in page


@pytest.mark.parametrize(
    ("language", "subject", "done"),
    [
        ("en", "Choose a new password", "Check your e-mail"),
        ("ru", "Выберите новый пароль", "Проверьте почту"),
    ],
)
def test_a_forgotten_password_is_reset_through_the_emailed_link_in_the_persons_language(
    owner: User, language: str, subject: str, done: str
) -> None:
    User.objects.filter(pk=owner.pk).update(email="olga@example.com")
    client = Client(**LANGUAGES[language])

    asked = client.post(RESET, {"email": "olga@example.com"}, follow=True)

    assert done in asked.text
    (message,) = mail.outbox
    assert message.to == ["olga@example.com"]
    assert subject in message.subject
    assert "olga" in message.body
    assert "72" in message.body, "the link's lifetime, from PASSWORD_RESET_TIMEOUT"
    chosen = client.get(link_in(message.body), follow=True)
    assert chosen.status_code == 200
    set_password_url = chosen.redirect_chain[-1][0]
    complete = client.post(
        set_password_url,
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert complete.redirect_chain[-1][0] == reverse("password_reset_complete")
    signed_in = Client().post(reverse("login"), {"username": "olga", "password": NEW_PASSWORD})
    assert signed_in["Location"] == reverse("home")
    owner.refresh_from_db()
    assert not owner.check_password(PASSWORD)


def test_an_address_no_account_has_is_told_the_same_and_sent_nothing(db: None) -> None:
    asked = Client().post(RESET, {"email": "nobody@example.com"}, follow=True)

    assert "Check your e-mail" in asked.text
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "This link does not work"), ("ru", "Эта ссылка не работает")],
)
def test_a_reset_link_that_does_not_work_says_so_and_offers_a_new_one(
    owner: User, language: str, words: str
) -> None:
    page = (
        Client()
        .get(reverse("password_reset_confirm", args=["MQ", "bad-token"]), **LANGUAGES[language])
        .text
    )

    assert words in page
    assert f'href="{RESET}"' in page


# --- signing up through an invitation ------------------------------------------------------------


def opened_invitation(owner: User, team: Team) -> Client:
    response = client_for(owner).post(
        reverse("invitation_new", args=[team.pk]), {"role": "editor", "valid_for": 7}
    )
    link = re.search(r'value="http://testserver(/invitations/[^"]+/)"', response.text)
    assert link
    visitor = Client()
    visitor.get(link.group(1))
    return visitor


def sign_up(visitor: Client, **typed: str) -> Any:
    fields = {"username": "nina", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, **typed}
    return visitor.post(JOIN, fields)


def test_signing_up_through_an_invitation_asks_for_an_email_address(
    owner: User, team: Team
) -> None:
    visitor = opened_invitation(owner, team)

    page = visitor.get(JOIN).text
    refused = sign_up(visitor)

    assert 'type="email" name="email"' in page
    assert refused.status_code == 200
    assert "This field is required." in refused.text
    assert 'value="nina"' in refused.text, "what was typed stays"
    assert not User.objects.filter(username="nina").exists()


@pytest.mark.parametrize("typed", ["not-an-address", "nina@example.com\nBcc: all@example.com"])
def test_signing_up_refuses_what_is_not_an_email_address(
    owner: User, team: Team, typed: str
) -> None:
    refused = sign_up(opened_invitation(owner, team), email=typed)

    assert refused.status_code == 200
    assert "Enter a valid email address." in refused.text
    assert not User.objects.filter(username="nina").exists()


def test_the_address_given_at_sign_up_gets_the_reset_link(owner: User, team: Team) -> None:
    sign_up(opened_invitation(owner, team), email="nina@example.com")

    Client().post(RESET, {"email": "nina@example.com"})

    (message,) = mail.outbox
    assert message.to == ["nina@example.com"]
    assert "nina" in message.body


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "The name you sign in with, which your colleagues see: up to 150 letters"),
        ("ru", "Имя для входа, которое видят коллеги: до 150 букв или цифр"),
    ],
)
def test_the_username_is_explained_in_plain_words(
    owner: User, team: Team, language: str, words: str
) -> None:
    visitor = opened_invitation(owner, team)

    page = visitor.get(JOIN, **LANGUAGES[language]).text

    assert words in page
    assert "150 characters or fewer" not in page
    assert "@/./+/-/_" not in page


# --- e-mailing an invitation ---------------------------------------------------------------------


def invite(owner: User, team: Team, email: str, language: str = "en") -> Any:
    return client_for(owner).post(
        reverse("invitation_new", args=[team.pk]),
        {"role": "viewer", "valid_for": 7, "email": email},
        **LANGUAGES[language],
    )


@pytest.mark.parametrize(
    ("language", "subject", "sent"),
    [
        ("en", "olga invites you to the team “Support”", "E-mailed to nina@example.com."),
        ("ru", "olga приглашает вас в команду «Support»", "Отправлено на nina@example.com."),
    ],
)
def test_an_owner_has_the_invitation_link_emailed_in_their_language(
    owner: User, team: Team, language: str, subject: str, sent: str
) -> None:
    page = invite(owner, team, "nina@example.com", language)

    assert sent in page.text
    (message,) = mail.outbox
    assert message.to == ["nina@example.com"]
    assert message.subject == subject
    link = link_in(message.body)
    assert f'value="http://testserver{link}"' in page.text, "the same link, to copy as well"
    visitor = Client()
    assert visitor.get(link)["Location"] == JOIN
    sign_up(visitor, email="nina@example.com")
    nina = User.objects.get(username="nina")
    assert Membership.objects.get(user=nina, team=team).role == Role.VIEWER


def test_the_owners_address_is_where_a_reply_goes(owner: User, team: Team) -> None:
    User.objects.filter(pk=owner.pk).update(email="olga@example.com")
    owner.refresh_from_db()

    invite(owner, team, "nina@example.com")

    assert mail.outbox[0].reply_to == ["olga@example.com"]


def test_an_emailed_invitation_leaves_its_token_out_of_the_journal_and_the_logs(
    owner: User, team: Team, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    invite(owner, team, "nina@example.com")

    token = link_in(mail.outbox[0].body).rstrip("/").rsplit("/", 1)[-1]
    assert token not in caplog.text
    assert token not in str(list(JournalEntry.objects.values()))
    assert token not in str(list(Invitation.objects.values()))


@pytest.mark.parametrize("typed", ["nina at example", "nina@example.com\r\nBcc: all@example.com"])
def test_an_address_that_is_not_one_is_refused_and_no_link_is_made(
    owner: User, team: Team, typed: str
) -> None:
    page = invite(owner, team, typed)

    assert "Enter a valid email address." in page.text
    assert mail.outbox == []
    assert not Invitation.objects.exists()
    assert 'value="viewer" selected' in page.text, "the chosen role stays"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "The e-mail to nina@example.com could not be sent."),
        ("ru", "Письмо на nina@example.com не отправлено."),
    ],
)
def test_a_mail_server_that_refuses_leaves_the_link_to_copy_and_logs_no_token(
    owner: User,
    team: Team,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
    language: str,
    words: str,
) -> None:
    settings.MAILERS = {"default": {"BACKEND": "tests.test_accounts.RefusingBackend"}}
    caplog.set_level(logging.DEBUG)

    page = invite(owner, team, "nina@example.com", language)

    assert page.status_code == 200
    assert words in page.text
    link = re.search(r'value="http://testserver(/invitations/([^"/]+)/)"', page.text)
    assert link, "the link is still there to copy"
    assert "the e-mail was not sent (SMTPDataError)" in caplog.text
    assert link.group(2) not in caplog.text
