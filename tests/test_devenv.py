from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dashboard import devenv


@pytest.fixture
def env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / ".env"
    monkeypatch.setattr(devenv, "ENV_FILE", path)
    return path


def read(path: Path) -> dict[str, str]:
    pairs = (line.partition("=") for line in path.read_text().splitlines())
    return {name: value for name, sep, value in pairs if sep and not name.startswith("#")}


def test_a_first_run_writes_private_generated_secrets(env_file: Path) -> None:
    devenv.main()
    values = read(env_file)
    assert values["DEBUG"] == "1"
    assert len(values["SECRET_KEY"]) >= 50
    assert len(values["FIELD_ENCRYPTION_KEYS"]) == 44
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_a_later_run_never_replaces_what_is_there(env_file: Path) -> None:
    env_file.write_text("SECRET_KEY=kept\nDATABASE_URL=postgres://db/x\n")
    devenv.main()
    devenv.main()
    values = read(env_file)
    assert values["SECRET_KEY"] == "kept"
    assert values["DATABASE_URL"] == "postgres://db/x"
    assert env_file.read_text().count("FIELD_ENCRYPTION_KEYS=") == 1
