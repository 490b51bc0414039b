"""Saved set-ups: save a handler as one, change one, add one to several connections."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from handlers_app.forms.handlers import HandlerForm
from handlers_app.models import Connection
from handlers_app.soclook import Handler
from handlers_app.soclook.types import NAME_MAX_LENGTH


class SetupSaveForm(forms.Form):
    """Save a handler as a set-up of its team: only the set-up's name is asked."""

    name = forms.CharField(
        label=_("Name of the set-up"),
        max_length=NAME_MAX_LENGTH,
        help_text=_(
            "How your team will find it, e.g. “On-call Slack”. Handlers added from it start "
            "with this name."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class SetupForm(HandlerForm):
    """A saved set-up's name and settings. Its type stays; a secret is write-only, as on a
    handler's edit page, and shown only as set."""

    shows_secret_tail = False

    def __init__(self, data: Mapping[str, Any] | None = None, *, stored: Handler) -> None:
        if data is not None:
            # The type is not a field of this form, but it decides which settings fields exist.
            data = {**{key: data.get(key) for key in data}, "type": stored.type}
        super().__init__(data, current=stored)
        self.fields["name"].label = _("Name of the set-up")
        self.fields["name"].help_text = _("Handlers added from it start with this name.")
        self.fields["type"] = forms.CharField(disabled=True, required=False, initial=stored.type)


class SetupApplyForm(forms.Form):
    """Add a set-up to several connections: which ones, and the new handlers' name."""

    name = forms.CharField(
        label=_("Name of the new handlers"),
        max_length=NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    connections = forms.TypedMultipleChoiceField(
        label=_("Connections"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one connection."),
            "invalid_choice": _("Choose among the connections shown."),
        },
    )

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        connections: list[Connection],
        max_connections: int,
        initial: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        self.max_connections = max_connections
        several_teams = len({c.team_id for c in connections}) > 1
        self.fields["connections"].choices = [
            (c.pk, f"{c.name} · {c.team.name}" if several_teams else c.name) for c in connections
        ]
        self.fields["connections"].help_text = _(
            "The connections you may change, in any of your teams; at most %(max)d at a time."
        ) % {"max": max_connections}

    def clean_connections(self) -> list[int]:
        chosen: list[int] = self.cleaned_data["connections"]
        if len(chosen) > self.max_connections:
            raise forms.ValidationError(
                _("Choose at most %(max)d connections at a time (you chose %(count)d)."),
                params={"max": self.max_connections, "count": len(chosen)},
            )
        return chosen
