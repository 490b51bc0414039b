"""`make demo` signs a newcomer in as staff never would be: a team owner without staff rights.
The superuser is there too, printed after it, and `make help` and the README say how to move
the demo's ports."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from handlers_app.models import Membership, Role
from handlers_app.sandbox.management.commands import demo
from tests.helpers import client_for

ROOT = Path(__file__).resolve().parent.parent


def run_demo(monkeypatch: pytest.MonkeyPatch, settings: Any) -> tuple[str, list[str]]:
    """The demo's printout and the home page its first login sees, with the server not run."""
    settings.DEBUG = True
    pages: list[str] = []

    def runserver(name: str, addr: str, **options: Any) -> None:
        pages.append(client_for(User.objects.get(username="demo")).get("/").text)

    monkeypatch.setattr(demo, "call_command", runserver)
    out = io.StringIO()
    call_command("demo", "--sandbox-port", "0", "--seed", "1", stdout=out)
    return out.getvalue(), pages


def test_the_demo_login_is_a_team_owner_without_staff_rights(
    db: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, pages = run_demo(monkeypatch, settings)

    person = User.objects.get(username="demo")
    assert not person.is_staff
    assert not person.is_superuser
    assert Membership.objects.get(user=person, team__name="Demo team").role == Role.OWNER
    assert "Sign in as  user: demo   password: demo-password" in out
    assert ">Operations<" not in pages[0]
    assert ">Admin<" not in pages[0]
    assert client_for(person).get("/ops/").status_code == 403


def test_the_demo_prints_its_superuser_too(
    db: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _pages = run_demo(monkeypatch, settings)

    admin = User.objects.get(username="demo-admin")
    assert admin.is_superuser
    assert admin.check_password("demo-admin-password")
    assert "Superuser   user: demo-admin   password: demo-admin-password" in out
    assert client_for(admin).get("/ops/").status_code == 200


def test_a_demo_login_left_as_superuser_by_an_older_demo_loses_staff_rights(
    db: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    User.objects.create_superuser("demo", password="old")

    run_demo(monkeypatch, settings)

    person = User.objects.get(username="demo")
    assert not person.is_staff
    assert not person.is_superuser
    assert person.check_password("demo-password")


def test_make_help_says_how_to_move_the_demo_ports() -> None:
    result = subprocess.run(
        ["make", "-s", "--no-print-directory", "help", "PORT=8001", "SANDBOX_PORT=8766"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    assert "http://127.0.0.1:8001" in result.stdout
    assert "port 8766" in result.stdout
    assert "PORT=..." in result.stdout
    assert "SANDBOX_PORT=..." in result.stdout


def test_the_readme_says_how_to_move_the_demo_ports() -> None:
    readme = (ROOT / "README.md").read_text()

    assert "make demo PORT=8001 SANDBOX_PORT=8766" in readme
    assert "`demo-admin` / `demo-admin-password`" in readme
