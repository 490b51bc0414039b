from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from handlers_app.first_run import setup_code_issue


class Command(BaseCommand):
    help = (
        "While no one has an account (and DEBUG is off), print a new one-time setup code to the "
        "log for the first-run page; the earlier code stops working. `make prod` runs it at "
        "start-up. Prints nothing once someone has an account."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        setup_code_issue()
