from __future__ import annotations

import os
import sys
from getpass import getpass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from handlers_app.models import Connection, Membership, Role, Team
from handlers_app.services import ConnectionCheckFailed, connection_save


class Command(BaseCommand):
    help = (
        "Add a connection from a shell. The API key is read from SOCLOOK_API_KEY or standard "
        "input, never from the command line. Prints the handler-list path last."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", required=True, help="team name (created if missing)")
        parser.add_argument("--owner", required=True, help="user name (created if missing)")
        parser.add_argument("--name", required=True, help="the connection's display name")
        parser.add_argument("--base-url", required=True, help="e.g. https://soclook.ru/api/")
        parser.add_argument(
            "--no-check", action="store_true", help="save without trying the key first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        api_key = os.environ.get("SOCLOOK_API_KEY", "").strip()
        if not api_key:
            api_key = (getpass("API key: ") if sys.stdin.isatty() else sys.stdin.readline()).strip()
        if not api_key:
            raise CommandError("No API key: set SOCLOOK_API_KEY or pass it on standard input.")
        base_url = options["base_url"].strip()
        if not base_url.startswith(("http://", "https://")):
            raise CommandError("--base-url must start with http:// or https://")
        base_url = base_url if base_url.endswith("/") else base_url + "/"
        with transaction.atomic():
            user, _ = get_user_model().objects.get_or_create(username=options["owner"])
            team = Team.objects.filter(name=options["team"]).first() or Team.objects.create(
                name=options["team"]
            )
            Membership.objects.update_or_create(user=user, team=team, defaults={"role": Role.OWNER})
            connection = Connection(team=team, name=options["name"], base_url=base_url)
            if options["no_check"]:
                connection.set_api_key(api_key)
                connection.created_by = user
                connection.save()
            else:
                try:
                    connection_save(connection=connection, api_key=api_key, user=user)
                except ConnectionCheckFailed as exc:
                    raise CommandError(exc.message) from exc
        self.stdout.write(f"Connection “{connection.name}” added to team “{team.name}”.")
        self.stdout.write(connection.get_absolute_url())
