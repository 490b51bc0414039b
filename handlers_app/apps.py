from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandlersAppConfig(AppConfig):
    name = "handlers_app"
    verbose_name = _("Soclook handlers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the check that a database is not stopped inside the squashed migrations.
        from handlers_app import checks  # noqa: F401

        # Registers how the journal words a test's outcome (handlers_app.journal.readers).
        from handlers_app.testsend import outcomes  # noqa: F401
