"""The snooze form: a length, or a moment (`until`, as a `datetime-local` field sends it, in the
viewer's zone)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from handlers_app.snooze.state import SnoozeLength, snooze_end

MOMENT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


class SnoozeForm(forms.Form):
    length = forms.ChoiceField(
        label=_("Switch it off"),
        choices=SnoozeLength.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    until = forms.DateTimeField(
        label=_("Until"),
        required=False,
        input_formats=MOMENT_FORMATS,
        widget=forms.DateTimeInput(format=MOMENT_FORMATS[0], attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args: Any, zone_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["until"].help_text = _("In your time zone, %(zone)s.") % {"zone": zone_name}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        length, until = cleaned.get("length"), cleaned.get("until")
        if not length:
            # A moment given alone is the moment chosen.
            cleaned["length"] = length = SnoozeLength.MOMENT if until else ""
        if not length and "until" not in self.errors:
            self.add_error("length", _("Choose how long it stays off."))
        elif length == SnoozeLength.MOMENT and not until and "until" not in self.errors:
            self.add_error("until", _("Choose the moment it switches back on."))
        return cleaned

    def end(self, *, now: datetime, zone: tzinfo) -> datetime:
        """When the snooze ends (call is_valid() first)."""
        length = SnoozeLength(self.cleaned_data["length"])
        if length == SnoozeLength.MOMENT:
            return self.cleaned_data["until"]
        return snooze_end(length, now=now, zone=zone)
