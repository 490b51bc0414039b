from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from handlers_app.models import Connection, Membership, Role


def test_add_connection_takes_the_key_from_the_environment_and_prints_the_list_path(
    db: None, sandbox, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCLOOK_API_KEY", api_key)
    out = io.StringIO()
    call_command(
        "add_connection",
        "--team",
        "Ops",
        "--owner",
        "ops-admin",
        "--name",
        "Main",
        "--base-url",
        sandbox.base_url,
        stdout=out,
    )
    connection = Connection.objects.get(name="Main")
    assert out.getvalue().strip().splitlines()[-1] == f"/connections/{connection.pk}/handlers/"
    assert connection.api_key == api_key
    assert Membership.objects.get(team__name="Ops").role == Role.OWNER
    assert api_key not in out.getvalue()


def test_add_connection_reads_the_key_from_standard_input(
    db: None, sandbox, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOCLOOK_API_KEY", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(api_key + "\n"))
    call_command(
        "add_connection",
        "--team",
        "Ops",
        "--owner",
        "ops-admin",
        "--name",
        "Main",
        "--base-url",
        sandbox.base_url,
        stdout=io.StringIO(),
    )
    assert Connection.objects.get(name="Main").api_key == api_key


def test_add_connection_refuses_a_wrong_key(
    db: None, sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox.add_account(seed=1)
    monkeypatch.setenv("SOCLOOK_API_KEY", "not-a-real-key")
    with pytest.raises(CommandError, match="did not accept this API key"):
        call_command(
            "add_connection",
            "--team",
            "Ops",
            "--owner",
            "ops-admin",
            "--name",
            "Main",
            "--base-url",
            sandbox.base_url,
            stdout=io.StringIO(),
        )
    assert not Connection.objects.exists()
