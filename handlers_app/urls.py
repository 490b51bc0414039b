from __future__ import annotations

from django.urls import path, register_converter

from handlers_app.models import ID_MAX_DIGITS
from handlers_app.views import (
    bulk,
    connections,
    exports,
    handler_forms,
    handlers,
    health,
    imports,
    journal,
    ops,
    presets,
    replacing,
    setup_links,
    sharing,
    snooze,
    teams,
    testsend,
)


class IdConverter:
    """An object's number: at most ID_MAX_DIGITS digits, so that a longer one is a 404 rather
    than an integer overflow in the database."""

    regex = f"[0-9]{{1,{ID_MAX_DIGITS}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

urlpatterns = [
    path("", connections.home, name="home"),
    path("setup/", connections.first_admin, name="first_admin"),
    path("healthz", ops.healthz, name="healthz"),
    path("ops/", ops.ops, name="ops"),
    path("connections/new/", connections.connection_new, name="connection_new"),
    path(
        "connections/<id:connection_id>/edit/", connections.connection_edit, name="connection_edit"
    ),
    path(
        "connections/<id:connection_id>/delete/",
        connections.connection_remove,
        name="connection_delete",
    ),
    path(
        "connections/<id:connection_id>/handlers/",
        handlers.handler_list,
        name="handler_list",
    ),
    path(
        "connections/<id:connection_id>/export/",
        exports.handler_export,
        name="handler_export",
    ),
    path(
        "connections/<id:connection_id>/handlers/<id:handler_id>/toggle/",
        handlers.handler_toggle,
        name="handler_toggle",
    ),
    path(
        "connections/<id:connection_id>/handlers/<id:handler_id>/more/",
        handlers.handler_more,
        name="handler_more",
    ),
    path(
        "connections/<id:connection_id>/handlers/<id:handler_id>/delete/",
        handlers.handler_remove,
        name="handler_delete",
    ),
    path(
        "connections/<id:connection_id>/handlers/new/",
        handler_forms.handler_new,
        name="handler_new",
    ),
    path(
        "connections/<id:connection_id>/handlers/fields/",
        handler_forms.handler_fields,
        name="handler_fields",
    ),
    path(
        "connections/<id:connection_id>/handlers/<id:handler_id>/edit/",
        handler_forms.handler_edit,
        name="handler_edit",
    ),
    path(
        "connections/<id:connection_id>/handlers/<id:handler_id>/fields/",
        handler_forms.handler_fields,
        name="handler_edit_fields",
    ),
    path(
        "connections/<id:connection_id>/handlers/<id:handler_id>/duplicate/",
        handler_forms.handler_duplicate_form,
        name="handler_duplicate",
    ),
    path(
        "connections/<id:connection_id>/handlers/copy/",
        sharing.handlers_copy_view,
        name="handlers_copy",
    ),
    path(
        "connections/<id:connection_id>/handlers/new/test/",
        testsend.handler_form_test,
        name="handler_form_test",
    ),
    path(
        "connections/<id:connection_id>/handlers/<id:handler_id>/edit/test/",
        testsend.handler_edit_test,
        name="handler_edit_test",
    ),
    path(
        "connections/<id:connection_id>/handlers/<id:handler_id>/test/",
        testsend.handler_test,
        name="handler_test",
    ),
    path(
        "connections/<id:connection_id>/handlers/import/",
        imports.handler_import,
        name="handler_import",
    ),
    path(
        "connections/<id:connection_id>/handlers/import/template.csv",
        imports.handler_import_template,
        name="handler_import_template",
    ),
    path(
        "connections/<id:connection_id>/handlers/import/<id:job_id>/",
        imports.handler_import_job,
        name="handler_import_job",
    ),
    path(
        "connections/<id:connection_id>/handlers/import/<id:job_id>/start/",
        imports.handler_import_start,
        name="handler_import_start",
    ),
    path(
        "connections/<id:connection_id>/handlers/import/<id:job_id>/stop/",
        imports.handler_import_stop,
        name="handler_import_stop",
    ),
    path("connections/<id:connection_id>/handlers/bulk/", bulk.handler_bulk, name="handler_bulk"),
    path(
        "connections/<id:connection_id>/handlers/bulk/<id:job_id>/",
        bulk.handler_bulk_job,
        name="handler_bulk_job",
    ),
    path(
        "connections/<id:connection_id>/handlers/bulk/<id:job_id>/cancel/",
        bulk.handler_bulk_cancel,
        name="handler_bulk_cancel",
    ),
    path("teams/new/", teams.team_new, name="team_new"),
    path("teams/<id:team_id>/", teams.team_detail, name="team_detail"),
    path("teams/<id:team_id>/edit/", teams.team_edit, name="team_edit"),
    path("teams/<id:team_id>/invitations/", teams.invitation_new, name="invitation_new"),
    path(
        "teams/<id:team_id>/invitations/<id:invitation_id>/withdraw/",
        teams.invitation_withdraw,
        name="invitation_withdraw",
    ),
    path(
        "teams/<id:team_id>/members/<id:membership_id>/role/",
        teams.member_role,
        name="member_role",
    ),
    path(
        "teams/<id:team_id>/members/<id:membership_id>/remove/",
        teams.member_remove,
        name="member_remove",
    ),
    path(
        "connections/<id:connection_id>/handlers/<id:handler_id>/save-setup/",
        presets.setup_save,
        name="setup_save",
    ),
    path(
        "connections/<id:connection_id>/handlers/save-setups/",
        presets.setup_save_many,
        name="setup_save_many",
    ),
    path("teams/<id:team_id>/setups/", presets.setup_list_page, name="setup_list"),
    path("teams/<id:team_id>/setups/<id:setup_id>/edit/", presets.setup_edit, name="setup_edit"),
    path(
        "teams/<id:team_id>/setups/<id:setup_id>/delete/",
        presets.setup_remove,
        name="setup_delete",
    ),
    path(
        "teams/<id:team_id>/setups/<id:setup_id>/apply/",
        presets.setup_apply_page,
        name="setup_apply",
    ),
    # Operating at scale: snooze.
    path(
        "connections/<id:connection_id>/handlers/<id:handler_id>/snooze/",
        snooze.handler_snooze,
        name="handler_snooze",
    ),
    path(
        "connections/<id:connection_id>/handlers/<id:handler_id>/snooze/end/",
        snooze.handler_snooze_end,
        name="handler_snooze_end",
    ),
    path(
        "connections/<id:connection_id>/handlers/snooze/",
        snooze.handlers_snooze,
        name="handlers_snooze",
    ),
    # Operating at scale: replace a destination everywhere.
    path("replace/", replacing.replace_everywhere, name="replace_everywhere"),
    # Operating at scale: linked set-ups.
    path(
        "teams/<id:team_id>/setups/<id:setup_id>/used/",
        setup_links.setup_used,
        name="setup_used",
    ),
    path("invitations/<str:token>/", teams.invitation_open, name="invitation_accept"),
    path("join/", teams.invitation_join, name="invitation_join"),
    path("journal/", journal.journal, name="journal"),
    path(
        "connections/<id:connection_id>/handlers/<id:handler_id>/journal/",
        journal.handler_journal,
        name="handler_journal",
    ),
    path(
        "connections/<id:connection_id>/journal/<id:entry_id>/restore/",
        journal.journal_restore,
        name="journal_restore",
    ),
]

# Health at a glance (handlers_app.health).
urlpatterns += [
    path(
        "connections/<id:connection_id>/handlers/<id:handler_id>/check/",
        health.handler_check_now,
        name="handler_check",
    ),
    path("connections/<id:connection_id>/tidy-up/", health.tidy_up, name="tidy_up"),
    path("connections/<id:connection_id>/check-all/", health.check_all, name="check_all"),
    path(
        "teams/<id:team_id>/health-emails/",
        health.team_health_emails,
        name="team_health_emails",
    ),
]
