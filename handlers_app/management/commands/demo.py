from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from handlers_app.models import Connection, Membership, Role, Team
from handlers_app.sandbox import Sandbox

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password"  # noqa: S105  (a documented login for the local demo only)
DEMO_API_KEY = "sandbox-demo-key"


class Command(BaseCommand):
    help = (
        "Try the dashboard without a Soclook key: starts the local Soclook sandbox (a development "
        "emulator) with seeded handlers, connects a demo team to it and serves the dashboard."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sandbox-port", type=int, default=8765)
        parser.add_argument("--seed", type=int, default=40)
        parser.add_argument("--latency", type=int, default=0, help="sandbox latency in ms")
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.SOCLOOK_ALLOW_PRIVATE_ADDRESSES:
            raise CommandError(
                "The sandbox listens on 127.0.0.1, which the dashboard refuses to call while "
                "SOCLOOK_ALLOW_PRIVATE_ADDRESSES is off. Run with DEBUG=1 (as `make demo` does "
                "through .env) or set SOCLOOK_ALLOW_PRIVATE_ADDRESSES=1."
            )
        sandbox = Sandbox(latency_ms=options["latency"])
        sandbox.add_account(seed=options["seed"], api_key=DEMO_API_KEY)
        sandbox.start(host="127.0.0.1", port=options["sandbox_port"])
        with transaction.atomic():
            user, _ = get_user_model().objects.get_or_create(
                username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            team, _ = Team.objects.get_or_create(name="Demo team")
            Membership.objects.update_or_create(user=user, team=team, defaults={"role": Role.OWNER})
            connection = Connection.objects.filter(team=team, name="Soclook sandbox").first()
            connection = connection or Connection(team=team, name="Soclook sandbox")
            connection.base_url = sandbox.base_url
            connection.created_by = user
            connection.set_api_key(DEMO_API_KEY)
            connection.save()
        self.stdout.write(
            self.style.SUCCESS(
                f"\nSoclook SANDBOX (development only) with {options['seed']} handlers at "
                f"{sandbox.base_url}\n"
                f"Dashboard: http://{options['addr']}/connections/{connection.pk}/handlers/\n"
                f"Sign in as  user: {DEMO_USERNAME}   password: {DEMO_PASSWORD}\n"
            )
        )
        try:
            call_command("runserver", options["addr"], use_reloader=False)
        finally:
            sandbox.stop()
