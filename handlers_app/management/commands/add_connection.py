from __future__ import annotations

import os
import sys
from getpass import getpass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from handlers_app.models import Connection, Membership, Role, Team
from handlers_app.services import ConnectionCheckFailed, connection_save
from handlers_app.teams import account_create, member_add, membership_set_role, team_create


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
            user = self._owner(options["owner"])
            team = self._team_owned_by(user, options["team"])
            connection = Connection(team=team, name=options["name"], base_url=base_url)
            try:
                connection_save(
                    connection=connection,
                    api_key=api_key,
                    user=user,
                    check=not options["no_check"],
                )
            except ConnectionCheckFailed as exc:
                raise CommandError(exc.message) from exc
        self.stdout.write(f"Connection “{connection.name}” added to team “{team.name}”.")
        self.stdout.write(connection.get_absolute_url())

    def _owner(self, username: str) -> AbstractBaseUser:
        user = get_user_model().objects.filter(username=username).first()
        if user is not None:
            return user
        try:
            return account_create(username=username, password=None)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

    def _team_owned_by(self, user: AbstractBaseUser, name: str) -> Team:
        team = Team.objects.filter(name=name).first()
        if team is None:
            return team_create(user=user, name=name, from_shell=True)
        membership = Membership.objects.filter(user=user, team=team).first()
        if membership is None:
            member_add(team=team, member=user, role=Role.OWNER, by=None)
        else:
            membership_set_role(membership=membership, user=None, role=Role.OWNER)
        return team
