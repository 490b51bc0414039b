from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandlersAppConfig(AppConfig):
    name = "handlers_app"
    verbose_name = _("Soclook handlers")
    default_auto_field = "django.db.models.BigAutoField"
