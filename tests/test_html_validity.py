"""The pages are valid HTML: the Nu HTML checker (vnu, the W3C's validator) finds no error in
them. It needs Java and the checker's jar (`make test` installs it from npm into .tools/, or set
VNU_JAR); without them the test is skipped and says why."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from handlers_app.models import Connection, JournalAction, JournalEntry
from tests.helpers import client_for

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_JAR = ROOT / ".tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def vnu_command() -> list[str]:
    java = shutil.which("java")
    if java is None:
        pytest.skip("Java is not installed, so the Nu HTML checker cannot run")
    jar = Path(os.environ.get("VNU_JAR", BUNDLED_JAR))
    if not jar.is_file():
        pytest.skip(f"the Nu HTML checker is not at {jar} (make test installs it; or set VNU_JAR)")
    return [java, "-jar", str(jar), "--errors-only", "--format", "json"]


def test_the_pages_have_no_html_error(
    owner: User, connection: Connection, sandbox, api_key: str, tmp_path: Path
) -> None:
    command = vnu_command()
    telegram = next(h for h in sandbox.handlers(api_key) if h["type"] == "telegram")
    JournalEntry.objects.create(
        team=connection.team,
        connection=connection,
        connection_name=connection.name,
        user=owner,
        user_name=owner.username,
        action=JournalAction.HANDLER_CHANGED,
        handler_id=telegram["id"],
        handler_name=telegram["name"],
        handler_type="telegram",
        changes=[{"field": "name", "before": "Old", "after": telegram["name"]}],
    )
    pages = {
        "home": reverse("home"),
        "list": reverse("handler_list", args=[connection.pk]),
        "new-handler": reverse("handler_new", args=[connection.pk]) + "?type=telegram",
        "edit-handler": reverse("handler_edit", args=[connection.pk, telegram["id"]]),
        "delete-handler": reverse("handler_delete", args=[connection.pk, telegram["id"]]),
        "more-for-handler": reverse("handler_more", args=[connection.pk, telegram["id"]]),
        "journal": reverse("journal"),
        "handler-journal": reverse("handler_journal", args=[connection.pk, telegram["id"]]),
        "team": reverse("team_detail", args=[connection.team_id]),
        "import": reverse("handler_import", args=[connection.pk]),
        "new-connection": reverse("connection_new"),
        "edit-connection": reverse("connection_edit", args=[connection.pk]),
        "tidy-up": reverse("tidy_up", args=[connection.pk]),
        "needs-attention": reverse("handler_list", args=[connection.pk]) + "?health=attention",
    }
    client = client_for(owner)
    files = []
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        path = tmp_path / f"{name}.html"
        path.write_bytes(response.content)
        files.append(str(path))

    result = subprocess.run(  # noqa: S603 (a fixed command on files this test wrote)
        [*command, *files], capture_output=True, text=True, timeout=300, check=False
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") == "error"
    ]
    assert errors == [], "\n".join(errors)
