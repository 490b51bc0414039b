"""The change journal's filters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from handlers_app.journal.queries import HANDLER_ACTIONS, JournalFilter
from handlers_app.models import Connection, JournalAction, JournalEntry, Team


class _PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_username()


# What can happen to one handler; its own journal offers no team or connection events.
_HANDLER_ACTIONS = [
    (action.value, action.label)
    for action in (
        *HANDLER_ACTIONS,
        JournalAction.HANDLER_TESTED,
        JournalAction.HANDLER_SNOOZED,
        JournalAction.HANDLER_SNOOZE_ENDED,
        JournalAction.HANDLER_CREATED_OUTSIDE,
        JournalAction.HANDLER_CHANGED_OUTSIDE,
        JournalAction.HANDLER_DELETED_OUTSIDE,
    )
]


class JournalFilterForm(forms.Form):
    """The journal's filters (GET). On one handler's page the handler and connection are fixed."""

    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("All teams")
    )
    connection = forms.ModelChoiceField(
        label=_("Connection"),
        queryset=Connection.objects.none(),
        required=False,
        empty_label=_("All connections"),
    )
    person = _PersonChoiceField(
        label=_("Person"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("Anyone"),
    )
    handler = forms.CharField(
        label=_("Handler"),
        max_length=200,
        required=False,
        help_text=_("Its number, or part of its name."),
    )
    action = forms.ChoiceField(
        label=_("Change"),
        choices=[("", _("Any change")), *JournalAction.choices],
        required=False,
    )
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )

    def __init__(
        self, data: Mapping[str, Any] | None, *, teams: list[Team], one_handler: bool = False
    ) -> None:
        super().__init__(data)
        if one_handler:
            del self.fields["connection"], self.fields["handler"]
            self.fields["action"].choices = [("", _("Any change")), *_HANDLER_ACTIONS]
        if one_handler or len(teams) < 2:
            del self.fields["team"]
        else:
            self.fields["team"].queryset = Team.objects.filter(pk__in=[t.pk for t in teams])
        if "connection" in self.fields:
            self.fields["connection"].queryset = Connection.objects.filter(team__in=teams)
        in_journal = JournalEntry.objects.filter(team__in=teams).values("user_id")
        self.fields["person"].queryset = (
            get_user_model()
            .objects.filter(Q(memberships__team__in=teams) | Q(pk__in=in_journal))
            .distinct()
            .order_by("username")
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    @property
    def filters(self) -> JournalFilter:
        """The filters that were valid (call is_valid() first); an invalid one is ignored."""
        data = getattr(self, "cleaned_data", {})
        team, connection, person = data.get("team"), data.get("connection"), data.get("person")
        return JournalFilter(
            team_id=team.pk if team else None,
            connection_id=connection.pk if connection else None,
            user_id=person.pk if person else None,
            handler=data.get("handler") or "",
            action=data.get("action") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
