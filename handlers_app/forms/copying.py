"""Copy handlers to another connection: where to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from handlers_app.models import Connection


class _DestinationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.team.name})"


class CopyDestinationForm(forms.Form):
    """Where a copy of handlers goes: one of `destinations` (see access.copy_destinations)."""

    destination = _DestinationChoiceField(
        label=_("Copy to the connection"),
        queryset=Connection.objects.none(),
        empty_label=None,
        error_messages={
            "required": _("Choose the connection to copy to."),
            "invalid_choice": _("Choose one of the connections shown."),
        },
    )

    def __init__(self, data: Mapping[str, Any] | None, *, destinations: Any) -> None:
        super().__init__(data)
        self.fields["destination"].queryset = destinations
