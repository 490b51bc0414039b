"""Shared fixtures: the Soclook sandbox, a team with its people, and the browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.utils import translation

from handlers_app.models import Connection, Membership, Role, Team
from handlers_app.sandbox import Sandbox
from tests.helpers import make_user

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# between browser steps are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache (budgets, cached pages, call counts, sessions).

    With REDIS_URL this empties that Redis database: the suite must get a number of its own.
    """
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """A language a page or command activated in this thread ends with the test that chose it."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


# --- the Soclook sandbox -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Sandbox]:
    """One sandbox for the whole session; tests use `sandbox`, which starts each one clean."""
    server = Sandbox()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Iterator[Sandbox]:
    sandbox_server.reset()
    yield sandbox_server
    sandbox_server.reset()


# --- people and their team -------------------------------------------------------------------


@pytest.fixture
def team(db: None) -> Team:
    return Team.objects.create(name="Support")


@pytest.fixture
def owner(team: Team) -> User:
    user = make_user("olga")
    Membership.objects.create(user=user, team=team, role=Role.OWNER)
    return user


@pytest.fixture
def editor(team: Team) -> User:
    user = make_user("egor")
    Membership.objects.create(user=user, team=team, role=Role.EDITOR)
    return user


@pytest.fixture
def viewer(team: Team) -> User:
    user = make_user("vera")
    Membership.objects.create(user=user, team=team, role=Role.VIEWER)
    return user


@pytest.fixture
def stranger(db: None) -> User:
    """A member of another team, who must not learn that our team's objects exist."""
    user = make_user("stas")
    other = Team.objects.create(name="Elsewhere")
    Membership.objects.create(user=user, team=other, role=Role.OWNER)
    return user


@pytest.fixture
def api_key(sandbox) -> str:
    return sandbox.add_account(seed=40)


@pytest.fixture
def connection(team: Team, owner: User, sandbox, api_key: str) -> Connection:
    connection = Connection(team=team, name="Soclook main", base_url=sandbox.base_url)
    connection.set_api_key(api_key)
    connection.created_by = owner
    connection.save()
    return connection


# --- the browser ---------------------------------------------------------------------------------


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_context_args() -> dict[str, object]:
    # Without fades, a page is checked (axe's contrast above all) as it is, not half faded in.
    return {
        "locale": "en-US",
        "viewport": {"width": 1280, "height": 900},
        "reduced_motion": "reduce",
    }


@pytest.fixture
def page(browser, browser_context_args: dict[str, object], live_server) -> Iterator[object]:
    context = browser.new_context(base_url=live_server.url, **browser_context_args)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
