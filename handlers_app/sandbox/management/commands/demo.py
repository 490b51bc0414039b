"""Serve the dashboard beside a seeded Soclook sandbox, with a demo team and login.

DEVELOPMENT ONLY: it creates logins with documented passwords, a superuser among them, so it
refuses to run without DEBUG, even where the sandbox app is installed (as in tests).

The login it offers first is the team's owner without staff rights, who sees the dashboard as
the people it is made for do; the superuser, for the Operations page and the admin, is printed
after it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from handlers_app.models import Connection, Membership, Role, Team
from handlers_app.sandbox import DEMO_API_KEY, Sandbox

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password"  # noqa: S105  (a documented login for the local demo only)
DEMO_ADMIN_USERNAME = "demo-admin"
DEMO_ADMIN_PASSWORD = "demo-admin-password"  # noqa: S105  (as above)

NEEDS_DEBUG = (
    "The demo is a development tool: it creates the logins demo/demo-password and a "
    "superuser, so it runs only with DEBUG on. Set DEBUG=1 in .env (`make run` writes it "
    "there) and run `make demo`; never on a production database."
)


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
        if not settings.DEBUG:
            raise CommandError(NEEDS_DEBUG)
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
            user = _login(DEMO_USERNAME, DEMO_PASSWORD, staff=False)
            _login(DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD, staff=True)
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
                f"Sign in as  user: {DEMO_USERNAME}   password: {DEMO_PASSWORD}"
                "   (the team's owner, as staff would see it)\n"
                f"Superuser   user: {DEMO_ADMIN_USERNAME}   password: {DEMO_ADMIN_PASSWORD}"
                "   (adds Operations and the admin)\n"
            )
        )
        try:
            call_command("runserver", options["addr"], use_reloader=False)
        finally:
            sandbox.stop()


def _login(username: str, password: str, *, staff: bool) -> Any:
    """The demo login, its rights set again on every start (an older demo's owner was staff)."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.is_staff = user.is_superuser = staff
    user.set_password(password)
    user.save()
    return user
