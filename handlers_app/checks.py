"""System checks that need the database.

The first fourteen migrations are one squashed migration now
(`0001_squashed_0014_bulk_copy`). A database that has all of them, or none, moves on
as before; one that stopped part-way through them cannot, because the steps it still
lacks are no longer on disk. `manage.py migrate` runs this check first, so such a
database is told what to do instead of meeting Django's bare graph error.
"""

from __future__ import annotations

from importlib import import_module

from django.core.checks import Error, Tags, register
from django.db import DatabaseError, connections
from django.db.migrations.recorder import MigrationRecorder

SQUASHED = "handlers_app.migrations.0001_squashed_0014_bulk_copy"
# The last commit that still holds the fourteen migrations one by one.
LAST_RELEASE_WITH_THEM = "4ac7e65"


def _replaced_steps() -> set[str]:
    return {name for _, name in import_module(SQUASHED).Migration.replaces}


@register(Tags.database)
def migration_history(app_configs=None, databases=None, **kwargs):
    errors = []
    replaced = _replaced_steps()
    for alias in databases or ():
        recorder = MigrationRecorder(connections[alias])
        try:
            if not recorder.has_table():
                continue
            applied = {name for app, name in recorder.applied_migrations() if app == "handlers_app"}
        except DatabaseError:
            continue
        done = applied & replaced
        if done and done != replaced:
            errors.append(
                Error(
                    f"The database '{alias}' has {len(done)} of the dashboard's first "
                    f"{len(replaced)} migrations; they are one migration now, and the steps it "
                    "lacks are no longer separate files.",
                    hint=(
                        f"Check out commit {LAST_RELEASE_WITH_THEM}, run `manage.py migrate` "
                        "there, then come back to this version and migrate again."
                    ),
                    id="handlers_app.E001",
                )
            )
    return errors
