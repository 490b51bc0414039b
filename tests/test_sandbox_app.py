"""The sandbox is a development tool: an app of its own, installed only with DEBUG or in tests,
whose `demo` refuses to run without DEBUG, and which nothing in the dashboard imports."""

from __future__ import annotations

import ast
import io
from pathlib import Path
from typing import Any

import pytest
import requests
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from handlers_app.models import Connection
from handlers_app.sandbox.management.commands import demo
from tests.helpers import client_for
from tests.test_production import production_env, run_manage

ROOT = Path(__file__).resolve().parent.parent
SANDBOX = ROOT / "handlers_app" / "sandbox"


def test_the_demo_refuses_to_run_without_debug(db: None) -> None:
    with pytest.raises(CommandError, match=r"runs only with DEBUG on\. Set DEBUG=1 in \.env"):
        call_command("demo", "--sandbox-port", "0", stdout=io.StringIO())
    assert not User.objects.filter(username="demo").exists()
    assert not Connection.objects.exists()


def test_with_debug_the_demo_serves_a_demo_team_connected_to_a_seeded_sandbox(
    db: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEBUG = True
    pages = []

    def runserver(name: str, addr: str, **options: Any) -> None:
        assert (name, addr) == ("runserver", "127.0.0.1:8000")
        user = User.objects.get(username="demo")
        pages.append(client_for(user).get(f"/connections/{connection_pk()}/handlers/"))

    def connection_pk() -> int:
        return Connection.objects.get(team__name="Demo team", name="Soclook sandbox").pk

    monkeypatch.setattr(demo, "call_command", runserver)
    out = io.StringIO()
    call_command("demo", "--sandbox-port", "0", "--seed", "3", stdout=out)

    assert f"/connections/{connection_pk()}/handlers/" in out.getvalue()
    assert "user: demo   password: demo-password" in out.getvalue()
    assert User.objects.get(username="demo").check_password("demo-password")
    assert pages[0].status_code == 200
    assert "Showing 1\N{EN DASH}3 of 3 handlers" in pages[0].text
    with pytest.raises(requests.ConnectionError):
        requests.get(Connection.objects.get().base_url, timeout=2)


@pytest.mark.parametrize("command", ["demo", "soclook_sandbox"])
def test_a_production_start_up_has_no_sandbox_and_says_what_to_do(command: str) -> None:
    result = run_manage(command, env=production_env())
    assert result.returncode == 1
    assert f"`{command}` is a development tool and exists only with DEBUG on" in result.stderr
    assert "Set DEBUG=1 in .env" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_development_start_up_has_the_sandbox_commands() -> None:
    result = run_manage("help", "soclook_sandbox", env=production_env(DEBUG="1"))
    assert result.returncode == 0, result.stderr
    assert "Run the Soclook SANDBOX" in result.stdout


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, relative imports resolved against its package."""
    package = path.relative_to(ROOT).parts[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def test_nothing_in_the_dashboard_imports_the_sandbox() -> None:
    modules = [
        path
        for folder in ("handlers_app", "dashboard")
        for path in (ROOT / folder).rglob("*.py")
        if SANDBOX not in path.parents
    ]
    assert modules
    importers = [
        str(path.relative_to(ROOT))
        for path in modules
        if any(
            name == "handlers_app.sandbox" or name.startswith("handlers_app.sandbox.")
            for name in _imported_modules(path)
        )
    ]
    assert importers == []
