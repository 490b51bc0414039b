"""Helpers the tests share (fixtures are in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PASSWORD = "correct-horse-battery-staple"


def make_user(username: str) -> User:
    return User.objects.create_user(username=username, password=PASSWORD)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sign_in(page, user: User) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def screenshot(page, name: str) -> None:
    """Save a full-page screenshot for review, in the git-ignored test-artifacts/ folder."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def raw_cache_contents() -> bytes:
    """Every key and stored value, as the cache backend holds them (in-process or Redis)."""
    backend = cache._cache
    if isinstance(backend, dict):
        return b" ".join(
            key.encode() + (value if isinstance(value, bytes) else b"")
            for key, value in backend.items()
        )
    client = backend.get_client()
    return b" ".join(key + (client.get(key) or b"") for key in client.scan_iter())
