from __future__ import annotations

import os
import sys
from getpass import getpass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from handlers_app.models import Membership, Role, Team
from handlers_app.teams import TeamRuleError, account_create, member_add, membership_set_role


class Command(BaseCommand):
    help = (
        "Put a person in a team with a role, creating their account if it does not exist. A new "
        "account's password is read from DJANGO_MEMBER_PASSWORD or standard input, never from "
        "the command line. Someone already in the team gets the new role."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", required=True, help="the team's name (or its id)")
        parser.add_argument("--username", required=True, help="the person's user name")
        parser.add_argument("--role", required=True, choices=Role.values)

    def handle(self, *args: Any, **options: Any) -> None:
        team = self._team(options["team"])
        role = Role(options["role"])
        user_model = get_user_model()
        username = options["username"].strip()
        user = user_model.objects.filter(username=username).first()
        with transaction.atomic():
            if user is None:
                try:
                    user = account_create(username=username, password=self._password())
                except ValidationError as exc:
                    raise CommandError(" ".join(exc.messages)) from exc
                self.stdout.write(f"Created the account “{username}”.")
            membership = Membership.objects.filter(user=user, team=team).first()
            if membership is None:
                member_add(team=team, member=user, role=role, by=None)
            else:
                try:
                    membership_set_role(membership=membership, user=None, role=role)
                except TeamRuleError as exc:
                    raise CommandError(exc.message) from exc
        self.stdout.write(f"“{username}” is now {role.value} in team “{team.name}”.")

    def _team(self, name_or_id: str) -> Team:
        teams = list(Team.objects.filter(name=name_or_id))
        if not teams and name_or_id.isdigit():
            teams = list(Team.objects.filter(pk=int(name_or_id)))
        if not teams:
            raise CommandError(f"No team named “{name_or_id}”.")
        if len(teams) > 1:
            ids = ", ".join(str(team.pk) for team in teams)
            raise CommandError(f"Several teams are named “{name_or_id}” (ids {ids}): pass the id.")
        return teams[0]

    def _password(self) -> str:
        password = os.environ.get("DJANGO_MEMBER_PASSWORD", "")
        if not password:
            if sys.stdin.isatty():
                password = getpass("Password for the new account: ")
            else:
                password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError(
                "No password for the new account: set DJANGO_MEMBER_PASSWORD or pass it on "
                "standard input."
            )
        return password
