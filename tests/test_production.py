"""Production settings: the deploy check, HTTPS, headers, cookies, sign-in throttling, sessions,
and the health check."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from handlers_app.views import ops
from tests.helpers import PASSWORD, client_for, make_user, sign_in

ROOT = Path(__file__).resolve().parent.parent
# Variables tests/settings.py sets for the test run, which a production start-up must not see.
_TEST_ONLY_ENV = (
    "DJANGO_SETTINGS_MODULE",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "ALLOWED_HOSTS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "SOCLOOK_ALLOW_PRIVATE_ADDRESSES",
)


def production_env(**overrides: str) -> dict[str, str]:
    """The environment of a production start-up: DEBUG off and only the required variables."""
    env = {k: v for k, v in os.environ.items() if k not in _TEST_ONLY_ENV}
    env.update(
        DJANGO_SETTINGS_MODULE="dashboard.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEYS="xNiyzypylWQj-ckgOJeF-iOaU50OEMlS9LVcsoO3aFs=",
        ALLOWED_HOSTS="dashboard.example.com",
    )
    env.update(overrides)
    return env


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


_PRINT_SETTINGS = """
import json
from django.conf import settings
names = ["DEBUG", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
         "SESSION_COOKIE_HTTPONLY", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
         "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_AGE", "SESSION_REFRESH_SECONDS"]
print(json.dumps({name: getattr(settings, name, None) for name in names}))
"""


def production_settings(**overrides: str) -> dict[str, object]:
    result = run_manage("shell", "-c", _PRINT_SETTINGS, env=production_env(**overrides))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- settings with DEBUG off ---------------------------------------------------------------------


def test_the_deploy_check_passes_with_debug_off_and_the_defaults() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_a_secret_key_a_production_server_refuses_to_start() -> None:
    env = production_env(SECRET_KEY="")
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_https_secure_cookies_and_hsts_are_on_by_default() -> None:
    found = production_settings()
    assert found["DEBUG"] is False
    assert found["SECURE_SSL_REDIRECT"] is True
    assert found["SESSION_COOKIE_SECURE"] is True
    assert found["CSRF_COOKIE_SECURE"] is True
    assert found["SESSION_COOKIE_HTTPONLY"] is True
    assert found["SECURE_HSTS_SECONDS"] >= 31536000
    assert found["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert found["SECURE_PROXY_SSL_HEADER"] is None


def test_each_https_setting_can_be_turned_off_for_a_trusted_network_and_the_proxy_header_on() -> (
    None
):
    found = production_settings(
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        USE_X_FORWARDED_PROTO="1",
    )
    assert found["SECURE_SSL_REDIRECT"] is False
    assert found["SESSION_COOKIE_SECURE"] is False
    assert found["CSRF_COOKIE_SECURE"] is False
    assert found["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


# --- HTTPS and headers, in the running app -------------------------------------------------------


@pytest.fixture
def https_only(settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True


@pytest.mark.django_db
@pytest.mark.usefixtures("https_only")
def test_plain_http_is_redirected_to_https(owner: User) -> None:
    response = client_for(owner).get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


@pytest.mark.django_db
@pytest.mark.usefixtures("https_only")
def test_behind_a_tls_proxy_the_forwarded_scheme_counts_as_https(owner: User) -> None:
    response = client_for(owner).get("/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.django_db
@pytest.mark.usefixtures("https_only")
def test_the_health_check_answers_over_plain_http() -> None:
    assert Client().get("/healthz").status_code == 200


@pytest.mark.django_db
@pytest.mark.usefixtures("https_only")
def test_sign_in_sets_secure_http_only_cookies(owner: User) -> None:
    client = Client()
    client.get("/accounts/login/", secure=True)
    response = client.post(
        "/accounts/login/", {"username": owner.username, "password": PASSWORD}, secure=True
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"]
    assert session["samesite"] == "Lax"
    assert client.cookies["csrftoken"]["secure"]


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(owner: User) -> None:
    response = client_for(owner).get("/")
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert "script-src 'self' 'nonce-" in policy
    assert "style-src 'self'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_no_page_may_be_stored_by_a_browser_or_proxy(owner: User) -> None:
    for response in (
        client_for(owner).get("/"),
        client_for(owner).get(reverse("connection_new")),
        Client().get("/accounts/login/"),
        Client().get("/healthz"),
    ):
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]


@pytest.mark.django_db
def test_static_files_stay_cacheable(client: Client) -> None:
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.django_db
def test_a_weak_password_is_refused(client: Client) -> None:
    response = client.post(
        reverse("first_admin"),
        {"username": "anna", "password1": "12345678", "password2": "12345678", "team_name": "T"},
    )
    assert response.status_code == 200
    assert not User.objects.exists()
    text = response.content.decode()
    assert "too common" in text
    assert "entirely numeric" in text


# --- sign-in throttling --------------------------------------------------------------------------


def attempt_sign_in(username: str, password: str, address: str) -> int:
    response = Client().post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )
    return response.status_code


@pytest.mark.django_db
def test_five_wrong_passwords_lock_that_name_from_that_address_until_the_cool_off(
    owner: User, settings
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt_sign_in(owner.username, "wrong", "203.0.113.7") == 200
    assert attempt_sign_in(owner.username, "wrong", "203.0.113.7") == 429

    assert attempt_sign_in(owner.username, PASSWORD, "203.0.113.7") == 429, "even the right one"
    assert attempt_sign_in(owner.username, PASSWORD, "198.51.100.2") == 302, "another address"
    other = make_user("oleg")
    assert attempt_sign_in(other.username, PASSWORD, "203.0.113.7") == 302, "another name"

    cool_off = timedelta(hours=settings.AXES_COOLOFF_TIME)
    AccessAttempt.objects.update(attempt_time=timezone.now() - cool_off - timedelta(seconds=1))
    assert attempt_sign_in(owner.username, PASSWORD, "203.0.113.7") == 302


@pytest.mark.django_db
def test_the_lockout_page_says_what_happened(owner: User, settings) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/accounts/login/", {"username": owner.username, "password": "x"})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()


@pytest.mark.django_db
def test_behind_trusted_proxies_the_forwarded_address_is_locked_not_the_proxy(
    owner: User, settings
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(
            "/accounts/login/",
            {"username": owner.username, "password": "wrong"},
            headers={"X-Forwarded-For": "evil-forged, 203.0.113.9"},
            **proxy,
        )
    locked = Client().post(
        "/accounts/login/",
        {"username": owner.username, "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.9"},
        **proxy,
    )
    elsewhere = Client().post(
        "/accounts/login/",
        {"username": owner.username, "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.4"},
        **proxy,
    )
    assert locked.status_code == 429
    assert elsewhere.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}


# --- idle sessions -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_idle_session_ends_and_an_active_one_does_not(owner: User, settings) -> None:
    settings.SESSION_COOKIE_AGE = 2
    client = Client()
    client.post("/accounts/login/", {"username": owner.username, "password": PASSWORD})
    for _ in range(3):
        time.sleep(0.8)
        assert client.get("/").status_code == 200, "each request extends the session"
    time.sleep(2.3)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_a_busy_session_is_not_written_on_every_request(owner: User) -> None:
    client = Client()
    client.post("/accounts/login/", {"username": owner.username, "password": PASSWORD})
    client.get("/")
    session = Session.objects.get()
    Session.objects.filter(pk=session.pk).update(expire_date=session.expire_date - timedelta(1))
    assert client.get("/").status_code == 200
    assert Session.objects.get().expire_date == session.expire_date - timedelta(1)


# --- the health check ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_health_check_says_ok_and_nothing_else() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_the_health_check_names_an_unreachable_cache(settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "cache": "error"}


class _BrokenDatabase:
    def cursor(self) -> object:
        raise OperationalError('connection to server at "db.internal" failed: password')


@pytest.mark.django_db
def test_the_health_check_names_a_failed_database_without_its_error(monkeypatch) -> None:
    monkeypatch.setattr(ops, "database", _BrokenDatabase())
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "cache": "ok"}
    assert b"db.internal" not in response.content


@pytest.mark.django_db
def test_the_health_check_only_answers_reads() -> None:
    assert Client().post("/healthz").status_code == 405


# --- in a browser --------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_load_without_content_security_policy_violations(
    page, connection, sandbox, api_key: str
) -> None:
    owner = connection.created_by
    owner.is_staff = True
    owner.save()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    sign_in(page, owner)
    paths = [
        "/",
        reverse("connection_new"),
        reverse("ops"),
        reverse("handler_list", args=[connection.pk]),
        reverse("handler_new", args=[connection.pk]),
        reverse("handler_edit", args=[connection.pk, sandbox.handlers(api_key)[1]["id"]]),
        reverse("journal"),
        reverse("team_detail", args=[connection.team_id]),
    ]
    for path in paths:
        page.goto(path)
        page.wait_for_load_state("networkidle")
    page.goto(reverse("handler_new", args=[connection.pk]))
    page.get_by_text("Telegram", exact=True).click()
    page.get_by_label("Bot token").wait_for()
    # The show/hide button beside it is named otherwise, so the label finds the box alone.
    page.locator("button[aria-controls=id_telegram]").wait_for()
    assert page.get_by_label("Bot token").count() == 1
    assert not [p for p in problems if "Content Security Policy" in p], problems


# --- gunicorn, wherever it is started from the project's folder --------------------------------

_PRINT_GUNICORN = """
import json, sys
sys.argv = ["gunicorn"]
from gunicorn.app.wsgiapp import WSGIApplication
app = WSGIApplication()
cfg = app.cfg
print(json.dumps({
    "app": app.app_uri, "worker_class": cfg.worker_class_str, "threads": cfg.threads,
    "workers": cfg.workers, "bind": cfg.bind, "forwarded_allow_ips": cfg.forwarded_allow_ips,
    "logger_class": cfg.logger_class.__module__ + "." + cfg.logger_class.__name__,
    "accesslog": cfg.accesslog,
}))
"""


def gunicorn_settings(**env: str) -> dict[str, object]:
    """What a plain `gunicorn` started in the project's folder would serve with."""
    result = subprocess.run(  # noqa: S603 - our own interpreter with a fixed script
        [sys.executable, "-c", _PRINT_GUNICORN],
        cwd=ROOT,
        env=production_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_plain_gunicorn_in_the_project_folder_serves_with_threads_and_the_access_logger() -> None:
    found = gunicorn_settings()
    assert found["app"] == "dashboard.wsgi:application"
    assert found["worker_class"] == "gthread"
    assert found["threads"] > 1
    assert found["logger_class"] == "handlers_app.access_log.AccessLogger"
    assert found["accesslog"] == "-"
    assert found["bind"] == ["127.0.0.1:8000"]
    assert found["forwarded_allow_ips"] == ["127.0.0.1"]


def test_gunicorn_takes_its_address_workers_and_trusted_proxy_from_the_environment() -> None:
    found = gunicorn_settings(
        BIND="0.0.0.0:9000",
        WEB_CONCURRENCY="5",
        GUNICORN_THREADS="3",
        FORWARDED_ALLOW_IPS="10.0.0.5",
    )
    assert found["bind"] == ["0.0.0.0:9000"]
    assert (found["workers"], found["threads"]) == (5, 3)
    assert found["forwarded_allow_ips"] == ["10.0.0.5"]


def test_make_prod_starts_gunicorn_with_the_configured_settings_on_its_address() -> None:
    dry_run = subprocess.run(
        ["make", "-s", "--no-print-directory", "-n", "prod", "HOST=0.0.0.0", "PORT=8123"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "BIND=0.0.0.0:8123 .venv/bin/gunicorn" in dry_run
    assert "--workers" not in dry_run


def test_a_ca_bundle_that_is_not_a_file_stops_the_start() -> None:
    result = run_manage("check", env=production_env(SOCLOOK_CA_BUNDLE="/nowhere/ca.pem"))
    assert result.returncode != 0
    assert "SOCLOOK_CA_BUNDLE names no file: /nowhere/ca.pem" in result.stderr
