"""The make targets: the set-up's choice of Python (Django 6 needs 3.12 or newer), and the
import workers and their housekeeping started beside the server."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def check_python(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        ["make", "-s", "--no-print-directory", "check-python", *args],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_suitable_python_is_found_without_being_named() -> None:
    assert check_python().returncode == 0


def test_a_named_python_that_is_too_old_is_refused_with_the_fix() -> None:
    result = check_python("PYTHON=/usr/bin/false")
    assert result.returncode != 0
    assert "is not a Python 3.12 or newer" in result.stderr
    assert "make run PYTHON=/path/to/python3.12" in result.stderr


def test_no_python_at_all_is_refused_with_the_fix() -> None:
    result = check_python("PYTHON=")
    assert result.returncode != 0
    assert "no Python 3.12 or newer found" in result.stderr


def recipe(target: str, *args: str) -> str:
    """What `make target` would run, without running it."""
    return subprocess.run(  # noqa: S603
        ["make", "-n", "-s", "--no-print-directory", target, *args],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.parametrize("target", ["run", "demo", "prod"])
def test_the_server_starts_beside_three_import_workers_unless_told_otherwise(target: str) -> None:
    worker = "manage.py db_worker --no-reload &"

    assert recipe(target).count(worker) == 3
    assert recipe(target, "IMPORT_WORKERS=5").count(worker) == 5


@pytest.mark.parametrize("target", ["run", "demo", "prod"])
def test_import_housekeeping_runs_once_beside_the_workers_each_minute(target: str) -> None:
    assert recipe(target).count("manage.py jobs_housekeeping --every 60 &") == 1
