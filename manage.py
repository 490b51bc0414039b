#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

from __future__ import annotations

import os
import sys

# The sandbox app's commands. Without DEBUG the app is not installed, and Django alone would
# answer only "Unknown command".
DEVELOPMENT_COMMANDS = ("demo", "soclook_sandbox")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    from django.conf import settings
    from django.core.management import execute_from_command_line

    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command in DEVELOPMENT_COMMANDS and "handlers_app.sandbox" not in settings.INSTALLED_APPS:
        sys.exit(
            f"`{command}` is a development tool and exists only with DEBUG on. Set DEBUG=1 in "
            f".env (`make run` writes it there) and try again; never on a production database."
        )
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
