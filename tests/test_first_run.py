"""The first run: the first administrator, and (with DEBUG off, as here) the one-time setup code
the server prints to its log at start-up, without which nobody becomes administrator."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from handlers_app.first_run import SETUP_CODE_VALID_FOR
from handlers_app.models import Membership, Role, SetupCode

ROOT = Path(__file__).resolve().parent.parent
ADDRESS = "203.0.113.7"
PRINTED = re.compile(r"First-run setup code: ([A-Z0-9-]+) ")


def start_up(caplog: pytest.LogCaptureFixture) -> str:
    """Run the start-up step of `make prod`; the code it printed to the log."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="handlers_app.first_run"):
        call_command("setup_code")
    (code,) = [m.group(1) for r in caplog.records if (m := PRINTED.match(r.getMessage()))]
    return code


def set_up(code: str | None, address: str = ADDRESS, language: str = "en") -> object:
    form = {
        "username": "admin",
        "password1": "a-long-unusual-passphrase",
        "password2": "a-long-unusual-passphrase",
        "team_name": "Support",
    }
    if code is not None:
        form["setup_code"] = code
    client = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE=language)
    return client.post("/setup/", form)


def test_a_fresh_database_offers_to_create_the_first_administrator(db: None) -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"] == "/setup/"


def test_the_first_run_page_asks_for_the_setup_code_and_says_where_it_is(db: None) -> None:
    page = Client().get("/setup/")
    assert 'name="setup_code"' in page.text
    assert "printed to its log when it started" in page.text
    assert "python manage.py createsuperuser" in page.text


def test_without_the_setup_code_no_one_becomes_administrator(db: None, caplog) -> None:
    start_up(caplog)
    for code in (None, "", "AAAAA-BBBBB-CCCCC-DDDDD"):
        response = set_up(code)
        assert response.status_code == 200
    assert "This is not the current setup code." in response.text
    assert not User.objects.exists()


def test_the_first_administrator_gets_a_team_and_is_signed_in(db: None, caplog) -> None:
    code = start_up(caplog)
    client = Client()
    response = client.post(
        "/setup/",
        {
            "setup_code": code.lower().replace("-", " "),
            "username": "admin",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "team_name": "Support",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/connections/new/"
    user = User.objects.get(username="admin")
    assert user.is_superuser
    assert Membership.objects.get(user=user).role == Role.OWNER
    assert client.get("/connections/new/").status_code == 200


def test_the_setup_page_is_gone_once_someone_exists(owner: User) -> None:
    assert Client().get("/setup/").status_code == 404


def test_a_visitor_is_sent_to_sign_in(owner: User) -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_signing_in_with_username_and_password(owner: User) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "olga", "password": "correct-horse-battery-staple"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_the_code_is_printed_once_and_kept_only_as_a_hash(db: None, caplog) -> None:
    code = start_up(caplog)

    printed = [r for r in caplog.records if code in r.getMessage()]
    assert len(printed) == 1 and printed[0].levelno == logging.WARNING
    (stored,) = SetupCode.objects.values_list("code_hash", flat=True)
    assert code not in stored and code.replace("-", "") not in stored


def test_every_worker_accepts_the_code_as_the_database_keeps_it(db: None, caplog) -> None:
    code = start_up(caplog)
    cache.clear()
    assert set_up(code).status_code == 302


def test_the_code_works_only_once(db: None, caplog) -> None:
    code = start_up(caplog)
    assert set_up(code).status_code == 302
    User.objects.all().delete()

    response = set_up(code)

    assert response.status_code == 200
    assert not User.objects.exists()


def test_each_start_prints_a_new_code_and_the_old_one_stops_working(db: None, caplog) -> None:
    old, new = start_up(caplog), start_up(caplog)
    assert old != new
    assert set_up(old).status_code == 200
    assert set_up(new).status_code == 302


def test_a_code_older_than_its_validity_is_refused(db: None, caplog) -> None:
    code = start_up(caplog)
    SetupCode.objects.update(created_at=timezone.now() - SETUP_CODE_VALID_FOR)
    assert set_up(code).status_code == 200
    assert not User.objects.exists()


def test_no_code_is_printed_once_someone_has_an_account(owner: User, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="handlers_app.first_run"):
        call_command("setup_code")
    assert "setup code" not in caplog.text
    assert not SetupCode.objects.exists()


def test_guessing_the_code_is_paused_like_sign_in(db: None, caplog, settings) -> None:
    code = start_up(caplog)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert set_up("AAAAA-BBBBB-CCCCC-DDDDD").status_code == 200
    paused = set_up("AAAAA-BBBBB-CCCCC-EEEEE")
    russian = set_up(code, language="ru")

    assert paused.status_code == 429
    assert "Too many wrong setup codes" in paused.text
    assert russian.status_code == 429, "even the right code, from that address"
    assert "Слишком много неверных кодов" in russian.text
    assert not User.objects.exists()
    assert set_up(code, address="198.51.100.2").status_code == 302


def test_with_debug_on_the_first_visitor_needs_no_code(db: None, settings) -> None:
    settings.DEBUG = True
    assert 'name="setup_code"' not in Client().get("/setup/").text
    assert set_up(None).status_code == 302


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_prod_prints_a_code_before_it_serves() -> None:
    dry_run = subprocess.run(
        ["make", "-s", "--no-print-directory", "-n", "prod"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "manage.py migrate" in dry_run
    assert dry_run.index("manage.py migrate") < dry_run.index("manage.py setup_code")
    assert dry_run.index("manage.py setup_code") < dry_run.index("bin/gunicorn")
