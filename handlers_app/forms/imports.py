"""The import's form: the file to read."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from handlers_app.imports.reading import (
    MAX_FILE_MEGABYTES,
    MAX_ROWS,
    ImportFileError,
    ParsedRow,
    read_upload,
)


class HandlerImportForm(forms.Form):
    """A CSV file of handlers, or a JSON export. Once valid, `rows` holds every row checked
    against the registry (see handlers_app.imports); a problem with the whole file is an error
    of the field."""

    file = forms.FileField(
        label=_("CSV file, or a JSON export"),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv,.json,application/json"}),
        error_messages={"required": _("Choose the CSV file to import.")},
    )
    same_place_ok = forms.BooleanField(
        label=_("Also add handlers that send where one already does"),
        required=False,
        help_text=_(
            "Without this, a row is left out when the connection already has a handler of its "
            "type sending to the same place, or an earlier row of the file does."
        ),
    )

    rows: list[ParsedRow]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "UTF-8, separated by commas or semicolons, at most %(size)d MB and %(max)d handlers."
        ) % {"size": MAX_FILE_MEGABYTES, "max": MAX_ROWS}

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            self.rows = read_upload(upload)
        except ImportFileError as exc:
            raise forms.ValidationError(exc.messages) from None
        return upload
