"""A handler's form, built from the handler-type registry (handlers_app.soclook.types)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext_lazy as _

from handlers_app.soclook import Handler
from handlers_app.soclook.types import (
    HANDLER_TYPES,
    MASK,
    NAME_MAX_LENGTH,
    FieldKind,
    FieldSpec,
    HandlerType,
    refuse_unstorable,
    type_choices,
)


class SettingInput(forms.TextInput):
    """A settings value. A secret is a password box (app.js adds a button that shows what was
    typed); on an edit page it is write-only: whatever the field holds, the page gets it back
    empty."""

    def __init__(
        self, *, input_type: str = "text", render_value: bool = True, attrs: dict | None = None
    ) -> None:
        super().__init__(attrs)
        self.input_type = input_type
        self.render_value = render_value

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict[str, Any]:
        return super().get_context(name, value if self.render_value else None, attrs)


class StorableCharField(forms.CharField):
    """Text that can be stored and sent: NUL and lone surrogates are refused in plain words
    (the registry's), instead of Django's "Null characters are not allowed"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]
        self.validators.append(refuse_unstorable)


class SettingField(StorableCharField):
    """One settings field of a handler type; its rules come from the registry's FieldSpec."""

    def __init__(self, *, spec: FieldSpec, **kwargs: Any) -> None:
        self.spec = spec
        super().__init__(label=spec.label, **kwargs)

    def clean(self, value: Any) -> str:
        cleaned: str = super().clean(value)
        return self.spec.validate(cleaned) if cleaned else ""


_INPUT_TYPES = {FieldKind.EMAIL: "email", FieldKind.URL: "url"}


def _setting_widget(spec: FieldSpec, *, render_value: bool, example: bool) -> SettingInput:
    attrs = {"spellcheck": "false", "autocapitalize": "none"}
    # An example in an empty box beside "Set, ends in ••••1234" would read as the stored value.
    if spec.placeholder and example:
        attrs["placeholder"] = _("e.g. %(example)s") % {"example": spec.placeholder}
    # Browsers offer saved passwords and old entries for anything that looks like a login.
    attrs["autocomplete"] = "email" if spec.kind == FieldKind.EMAIL else "off"
    if spec.secret:
        attrs["data-reveal"] = ""
        input_type = "password"
    else:
        input_type = _INPUT_TYPES.get(spec.kind, "text")
    return SettingInput(input_type=input_type, render_value=render_value, attrs=attrs)


def _stored_secret_note(spec: FieldSpec, stored: str) -> str:
    shown = spec.mask(stored)
    if shown.startswith(MASK) and shown != MASK:
        return _("Set, ends in %(tail)s; leave empty to keep it.") % {"tail": shown}
    if shown != MASK:
        return _("Set, an address at %(host)s; leave empty to keep it.") % {"host": shown}
    return str(_("Set; leave empty to keep it."))


class HandlerForm(forms.Form):
    """Create or change a handler; every part specific to a type comes from the registry.

    The chosen type (submitted, or `initial`, or the edited handler's) decides which settings
    fields exist; field names are the API's own parameter names. On an edit (`current` given, or
    `editing` when the stored record could not be read) a secret field starts empty, is never
    rendered with a value, and may stay empty to keep what is stored. A handler of a type the
    dashboard does not know keeps its type and settings: only its name can change.

    A new handler may start from a `source` (a handler to duplicate, with `fixed_type`, or a saved
    set-up): its secret fields start empty like an edit's, and one left empty is the source's,
    filled in on the server; for another type the source gives nothing.
    """

    name = StorableCharField(
        label=_("Name"),
        max_length=NAME_MAX_LENGTH,
        help_text=_(
            "What your team will see in the list, e.g. “Support chat” or “On-call e-mail”."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    # Whether a stored secret's note shows its last characters ("Set, ends in ••••1234").
    shows_secret_tail = True

    type = forms.ChoiceField(
        label=_("Type"),
        choices=type_choices,
        error_messages={
            "required": _("Choose where the notifications should go."),
            "invalid_choice": _("Choose one of the types shown."),
        },
    )

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        current: Handler | None = None,
        editing: bool = False,
        initial: Mapping[str, Any] | None = None,
        source: Handler | None = None,
        fixed_type: bool = False,
    ) -> None:
        self.current = current
        self.source = source
        self.editing = editing or current is not None
        # A new handler's starting point (a saved set-up): its secrets stay on the server.
        self.source = None if self.editing else source
        # Secrets typed into an edit form that the re-rendered page leaves empty.
        self.to_retype: list[str] = []
        starting: dict[str, Any] = {}
        stored_record = current or self.source
        if stored_record is not None:
            starting = {"name": stored_record.name, "type": stored_record.type}
        starting.update(initial or {})
        super().__init__(data, initial=starting)
        if stored_record is not None and not stored_record.handler_type.is_known:
            self.handler_type: HandlerType | None = stored_record.handler_type
            self.fields["type"] = forms.CharField(disabled=True, required=False)
            return
        if self.source is not None and fixed_type:
            # A duplicate has its source's type: the copied secrets only fit that type.
            self.fields["type"].disabled = True
            slug = self.source.type
        else:
            slug = data.get("type", "") if data is not None else starting.get("type", "")
        self.handler_type = HANDLER_TYPES.get(slug)
        stored = self._stored_settings()
        for spec in self.handler_type.fields if self.handler_type else ():
            self.fields[spec.name] = self._setting_field(spec, stored.get(spec.name, ""))
            if not spec.secret and spec.name in stored:
                self.initial.setdefault(spec.name, stored[spec.name])

    @property
    def type_is_editable(self) -> bool:
        return not self.fields["type"].disabled

    @property
    def type_options(self) -> list[HandlerType]:
        return list(HANDLER_TYPES.values())

    @property
    def setting_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if isinstance(self.fields[name], SettingField)]

    @property
    def stored_summary(self) -> list[tuple[str, str]]:
        """What a page may show of the stored settings of a type the dashboard does not know."""
        stored_record = self.current or self.source
        if stored_record is None or self.handler_type is None:
            return []
        return [
            (str(spec.label), spec.mask(stored_record.settings.get(spec.name, "")))
            for spec in self.handler_type.fields
        ]

    @property
    def copies_secrets(self) -> bool:
        """A duplicate whose source has a secret the server fills in."""
        stored = self._stored_settings()
        return self.source is not None and any(
            spec.secret and stored.get(spec.name)
            for spec in (self.handler_type.fields if self.handler_type else ())
        )

    @property
    def settings(self) -> dict[str, str]:
        """The cleaned settings fields; an empty secret on an edit means "keep the stored one"."""
        return {field.name: self.cleaned_data[field.name] for field in self.setting_fields}

    def _stored_settings(self) -> Mapping[str, str]:
        stored_record = self.current or self.source
        if (
            stored_record is None
            or self.handler_type is None
            or stored_record.type != self.handler_type.slug
        ):
            return {}
        return stored_record.settings

    def _setting_field(self, spec: FieldSpec, stored: str) -> SettingField:
        copied = self.source is not None and spec.secret
        write_only = (self.editing and spec.secret) or copied
        # An edit whose stored record could not be read: whether a value is stored is unknown.
        unknown = self.editing and self.current is None
        notes: list[str] = []
        if write_only and self._was_typed(spec.name):
            # Otherwise an error elsewhere in the form would quietly turn a change into "keep".
            self.to_retype.append(spec.name)
            notes.append(str(_("What you typed here is not shown again: type it again.")))
        if copied and stored:
            notes.append(
                _("Taken from “%(name)s”; leave empty to use it, or type a new one to replace it.")
                % {"name": self.source.name}
            )
        elif write_only and stored and not self.shows_secret_tail:
            notes.append(str(_("Set; leave empty to keep it.")))
        elif write_only and stored:
            notes.append(_stored_secret_note(spec, stored))
        elif write_only and unknown:
            notes.append(str(_("Leave empty to keep the stored value.")))
        help_text = conditional_escape(spec.help_text)
        if notes:
            help_text = format_html("<strong>{}</strong> {}", " ".join(notes), help_text)
        return SettingField(
            spec=spec,
            required=spec.required and not (write_only and (stored or unknown)),
            help_text=help_text,
            widget=_setting_widget(
                spec, render_value=not write_only, example=not (write_only and stored)
            ),
        )

    def _was_typed(self, name: str) -> bool:
        source = self.data if self.is_bound else self.initial
        return bool(str(source.get(name, "")).strip())
