"""Imports and bulk actions become one job model (handlers_app.batches.models): the bulk tables
are renamed and widened, every import and its rows are moved into them, and the import tables
are dropped. An import's sealed settings move as they are (the same ciphertext), so no key is
needed to migrate."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _checks_now(schema_editor):
    """PostgreSQL defers the foreign-key checks of the rows written here to the end of the
    transaction; the table changes that follow in it cannot run with checks pending."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def imports_into_jobs(apps, schema_editor):
    ImportJob = apps.get_model("handlers_app", "ImportJob")
    ImportRow = apps.get_model("handlers_app", "ImportRow")
    Job = apps.get_model("handlers_app", "Job")
    JobItem = apps.get_model("handlers_app", "JobItem")
    for old in ImportJob.objects.all().iterator():
        job = Job.objects.create(
            connection_id=old.connection_id,
            created_by_id=old.created_by_id,
            action="import",
            status=old.status,
            stop_reason=old.stop_reason,
            stop_requested=old.stop_requested,
            created_at=old.created_at,
            started_at=old.started_at,
            finished_at=old.finished_at,
            waiting_until=old.waiting_until,
            list_cache_cleared=old.list_cache_cleared,
            file_name=old.file_name,
            payload_encrypted=old.payload_encrypted,
        )
        # auto_now would stamp the move as the job's last heartbeat.
        Job.objects.filter(pk=job.pk).update(updated_at=old.updated_at)
        JobItem.objects.bulk_create(
            JobItem(
                job=job,
                position=row.number,
                handler_id=row.handler_id,
                name=row.name,
                type=row.type,
                summary=row.summary,
                problems=row.problems,
                outcome=row.outcome,
                message=row.message,
                enabled=row.enabled,
            )
            for row in ImportRow.objects.filter(job_id=old.pk)
        )
    _checks_now(schema_editor)


def jobs_into_imports(apps, schema_editor):
    ImportJob = apps.get_model("handlers_app", "ImportJob")
    ImportRow = apps.get_model("handlers_app", "ImportRow")
    Job = apps.get_model("handlers_app", "Job")
    JobItem = apps.get_model("handlers_app", "JobItem")
    for job in Job.objects.filter(action="import").iterator():
        old = ImportJob.objects.create(
            connection_id=job.connection_id,
            created_by_id=job.created_by_id,
            file_name=job.file_name,
            status=job.status,
            stop_reason=job.stop_reason,
            stop_requested=job.stop_requested,
            payload_encrypted=job.payload_encrypted,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            waiting_until=job.waiting_until,
            list_cache_cleared=job.list_cache_cleared,
        )
        ImportRow.objects.bulk_create(
            ImportRow(
                job_id=old.pk,
                number=item.position,
                type=item.type,
                name=item.name,
                summary=item.summary,
                problems=item.problems,
                outcome=item.outcome if item.outcome != "done" else "created",
                handler_id=item.handler_id,
                message=item.message,
                enabled=item.enabled,
            )
            for item in JobItem.objects.filter(job_id=job.pk)
        )
    # In SQL rather than through the ORM's collector, which would follow relations of models
    # this state no longer has.
    schema_editor.execute(
        "DELETE FROM handlers_app_jobitem WHERE job_id IN "
        "(SELECT id FROM handlers_app_job WHERE action = 'import')"
    )
    schema_editor.execute("DELETE FROM handlers_app_job WHERE action = 'import'")
    _checks_now(schema_editor)


ACTIONS = [
    ("import", "Import"),
    ("enable", "Switch on"),
    ("disable", "Switch off"),
    ("delete", "Delete"),
    ("copy", "Copy to a connection"),
]
STATUSES = [
    ("preview", "Waiting for confirmation"),
    ("queued", "Waiting to start"),
    ("running", "Running"),
    ("finished", "Finished"),
    ("stopped", "Stopped"),
]
OUTCOMES = [
    ("pending", "Waiting"),
    ("sending", "Sending"),
    ("created", "Created"),
    ("done", "Done"),
    ("unchanged", "Already so"),
    ("skipped", "Skipped"),
    ("gone", "No longer exists"),
    ("refused", "Refused"),
    ("unknown", "Unknown — check the list"),
    ("not_sent", "Not sent"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("handlers_app", "0001_squashed_0014_bulk_copy"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel("BulkJob", "Job"),
        migrations.RenameModel("BulkItem", "JobItem"),
        migrations.RenameIndex(
            model_name="job", new_name="job_by_connection", old_name="bulk_by_connection"
        ),
        migrations.RemoveConstraint(model_name="jobitem", name="one_bulk_item_per_handler"),
        migrations.AlterField(
            model_name="job",
            name="connection",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="jobs",
                to="handlers_app.connection",
            ),
        ),
        migrations.AlterField(
            model_name="job",
            name="action",
            field=models.CharField(choices=ACTIONS, max_length=16),
        ),
        migrations.AlterField(
            model_name="job",
            name="status",
            field=models.CharField(choices=STATUSES, default="queued", max_length=16),
        ),
        migrations.AddField(
            model_name="job",
            name="stopped_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="job",
            name="file_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="job",
            name="payload_encrypted",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AlterField(
            model_name="jobitem",
            name="handler_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="jobitem",
            name="outcome",
            field=models.CharField(choices=OUTCOMES, default="pending", max_length=16),
        ),
        migrations.AddField(
            model_name="jobitem",
            name="summary",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="jobitem",
            name="problems",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="jobitem",
            name="enabled",
            field=models.BooleanField(default=True),
        ),
        migrations.AddConstraint(
            model_name="jobitem",
            constraint=models.UniqueConstraint(
                fields=("job", "position"), name="one_job_item_per_position"
            ),
        ),
        migrations.AddConstraint(
            model_name="jobitem",
            constraint=models.UniqueConstraint(
                fields=("job", "handler_id"), name="one_job_item_per_handler"
            ),
        ),
        migrations.AlterField(
            model_name="journalentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("handler_created", "Handler created"),
                    ("handler_changed", "Handler changed"),
                    ("handler_enabled", "Handler switched on"),
                    ("handler_disabled", "Handler switched off"),
                    ("handler_deleted", "Handler deleted"),
                    ("handler_restored", "Handler restored"),
                    ("handler_tested", "Test sent"),
                    ("handlers_exported_secrets", "Handlers exported with their secrets"),
                    ("connection_added", "Connection added"),
                    ("connection_changed", "Connection changed"),
                    ("connection_change_refused", "Connection change refused"),
                    ("connection_removed", "Connection removed"),
                    ("team_created", "Team created"),
                    ("team_renamed", "Team renamed"),
                    ("member_joined", "Member joined"),
                    ("member_role_changed", "Member's role changed"),
                    ("member_removed", "Member removed"),
                    ("invitation_created", "Invitation created"),
                    ("invitation_revoked", "Invitation withdrawn"),
                    ("setup_saved", "Set-up saved"),
                    ("setup_changed", "Set-up changed"),
                    ("setup_used", "Set-up used"),
                    ("setup_deleted", "Set-up deleted"),
                    ("secrets_sent", "Secrets sent to another team"),
                ],
                max_length=32,
            ),
        ),
        migrations.RunPython(imports_into_jobs, jobs_into_imports),
        migrations.DeleteModel(name="ImportRow"),
        migrations.DeleteModel(name="ImportJob"),
    ]
