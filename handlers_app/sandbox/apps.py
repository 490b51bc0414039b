from __future__ import annotations

from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """The Soclook sandbox and its `demo` and `soclook_sandbox` commands.

    Installed only with DEBUG (dashboard/settings.py) and in tests (tests/settings.py): a
    production dashboard has neither the emulator nor a command that creates a known login.
    """

    name = "handlers_app.sandbox"
    label = "soclook_sandbox"
