"""The first fourteen migrations are one squashed migration. A database that ran them one by
one moves on to the newer ones as before; one that stopped part-way through them is told, by
`manage.py migrate`, what to do instead of meeting a bare graph error."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from handlers_app.checks import SQUASHED

pytestmark = pytest.mark.django_db

SQUASHED_KEY = ("handlers_app", "0001_squashed_0014_bulk_copy")
REPLACED = list(import_module(SQUASHED).Migration.replaces)


def record_only(names: list[str]) -> None:
    """Makes the migration table say the early migrations were run one by one: `names` only."""
    Migration = MigrationRecorder(connection).Migration
    Migration.objects.filter(app="handlers_app", name__in=[n for _, n in REPLACED]).delete()
    Migration.objects.filter(app="handlers_app", name=SQUASHED_KEY[1]).delete()
    for name in names:
        Migration.objects.create(app="handlers_app", name=name)


def test_a_database_that_ran_the_fourteen_one_by_one_counts_the_squashed_one_as_applied() -> None:
    record_only([name for _, name in REPLACED])

    loader = MigrationLoader(connection)

    assert SQUASHED_KEY in loader.applied_migrations
    assert ("handlers_app", "0015_one_job_model") in loader.applied_migrations
    call_command("check", databases=["default"])  # no error


def test_a_database_stopped_part_way_through_them_is_told_what_to_do_by_migrate() -> None:
    record_only([name for _, name in REPLACED[:5]])

    with pytest.raises(SystemCheckError) as refused:
        call_command("migrate", interactive=False, verbosity=0, skip_checks=False)

    said = str(refused.value)
    assert "handlers_app.E001" in said
    assert "has 5 of the dashboard's first 14 migrations" in said
    assert "Check out commit 4ac7e65, run `manage.py migrate` there" in said
