"""The export's form: the file's format, and whether secrets go into it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class HandlerExportForm(forms.Form):
    """How to export (handlers_app.exports). Only owners are offered `include_secrets`; an export
    with secrets is downloaded only once `confirmed` (the page warns first)."""

    file_format = forms.ChoiceField(
        label=_("File format"),
        choices=[
            ("json", _("JSON: the whole set-up, for importing into another connection")),
            ("csv", _("CSV: one column per setting, named as on the form, for a spreadsheet")),
        ],
        initial="json",
        widget=forms.RadioSelect,
    )
    include_secrets = forms.BooleanField(
        label=_("Include secrets"),
        required=False,
        help_text=_(
            "Tokens, webhook addresses and other secrets go into the file as plain text. Without "
            "them the file can be shared, and the import asks for each missing secret."
        ),
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, can_include_secrets: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_include_secrets:
            del self.fields["include_secrets"]
