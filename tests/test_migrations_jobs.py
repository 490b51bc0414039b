"""The move of imports and bulk actions into one job model (migration 0015) keeps what an
existing database holds: every import with its rows, its sealed settings and its outcomes, and
every bulk job, and can be undone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("handlers_app", "0001_squashed_0014_bulk_copy")]
AFTER = [("handlers_app", "0015_one_job_model")]


def migrate(to: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(to)
    return executor.loader.project_state(to).apps


def test_imports_and_bulk_jobs_move_into_one_job_model_and_back() -> None:
    old = migrate(BEFORE)
    team = old.get_model("handlers_app", "Team").objects.create(name="Support")
    conn = old.get_model("handlers_app", "Connection").objects.create(
        team=team, name="Main", base_url="https://soclook.example/api/", api_key_encrypted="x"
    )
    ImportJob = old.get_model("handlers_app", "ImportJob")
    imported = ImportJob.objects.create(
        connection=conn,
        file_name="handlers.csv",
        status="running",
        payload_encrypted="sealed-settings",
    )
    rows = old.get_model("handlers_app", "ImportRow").objects
    rows.create(job=imported, number=2, type="email", name="Mail", outcome="created", handler_id=7)
    rows.create(
        job=imported, number=3, type="slack", name="Slack", outcome="pending", enabled=False
    )
    bulk = old.get_model("handlers_app", "BulkJob").objects.create(
        connection=conn, action="disable", status="finished"
    )
    old.get_model("handlers_app", "BulkItem").objects.create(
        job=bulk, position=0, handler_id=9, name="Hook", outcome="done"
    )

    new = migrate(AFTER)
    Job = new.get_model("handlers_app", "Job")

    moved = Job.objects.get(action="import")
    assert (moved.file_name, moved.status, moved.payload_encrypted) == (
        "handlers.csv",
        "running",
        "sealed-settings",
    )
    assert list(
        moved.items.order_by("position").values_list(
            "position", "name", "outcome", "handler_id", "enabled"
        )
    ) == [(2, "Mail", "created", 7, True), (3, "Slack", "pending", None, False)]
    kept = Job.objects.get(action="disable")
    assert list(kept.items.values_list("handler_id", "outcome")) == [(9, "done")]

    back = migrate(BEFORE)
    restored = back.get_model("handlers_app", "ImportJob").objects.get()
    assert restored.payload_encrypted == "sealed-settings"
    assert sorted(restored.rows.values_list("number", "outcome")) == [
        (2, "created"),
        (3, "pending"),
    ]
    migrate([("handlers_app", max_migration())])


def max_migration() -> str:
    executor = MigrationExecutor(connection)
    return max(name for app, name in executor.loader.graph.leaf_nodes() if app == "handlers_app")
