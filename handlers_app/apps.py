from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandlersAppConfig(AppConfig):
    name = "handlers_app"
    verbose_name = _("Soclook handlers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers how the journal words a test's outcome (handlers_app.journal.readers).
        from handlers_app.testsend import outcomes  # noqa: F401
