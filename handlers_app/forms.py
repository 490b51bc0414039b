from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import BaseUserCreationForm, PasswordResetForm, UserCreationForm
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Q
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext_lazy as _

from handlers_app import outbound, service_time
from handlers_app.first_run import SETUP_CODE_MAX_LENGTH
from handlers_app.imports.reading import (
    MAX_FILE_MEGABYTES,
    MAX_ROWS,
    ImportFileError,
    ParsedRow,
    read_upload,
)
from handlers_app.journal.queries import JournalFilter
from handlers_app.models import Connection, JournalAction, JournalEntry, Role, Team
from handlers_app.soclook import Handler, soclook_policy
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

# Django's own "150 characters or fewer. Letters, digits and @/./+/-/_ only." reads like a rule
# for a machine; this says the same for a person.
USERNAME_MAX_LENGTH: int = get_user_model()._meta.get_field("username").max_length
EMAIL_MAX_LENGTH: int = get_user_model()._meta.get_field("email").max_length
USERNAME_HELP = _(
    "The name you sign in with, which your colleagues see: up to %(max)d letters or digits, "
    "no spaces; the signs . @ + - _ are allowed too."
)


def _username_help() -> str:
    return str(USERNAME_HELP) % {"max": USERNAME_MAX_LENGTH}


class FirstAdminForm(BaseUserCreationForm):
    """The first administrator; with `needs_code`, only for whoever has the setup code."""

    setup_code = forms.CharField(
        label=_("Setup code"),
        max_length=SETUP_CODE_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
        help_text=_(
            "The server printed it to its log when it started, after “First-run setup code”. "
            "Each start prints a new one."
        ),
    )
    team_name = forms.CharField(
        label=_("Team name"),
        max_length=100,
        initial=_("My team"),
        help_text=_("The team that will share this dashboard. You can rename it later."),
    )
    field_order = ["setup_code"]

    class Meta(BaseUserCreationForm.Meta):
        model = get_user_model()
        fields = ("username",)

    def __init__(self, *args: Any, needs_code: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].help_text = _username_help()
        if not needs_code:
            del self.fields["setup_code"]


class ConnectionForm(forms.ModelForm):
    """Add or change a connection. The key is write-only: it is never put back into the form."""

    api_key = forms.CharField(
        label=_("API key"),
        max_length=512,
        strip=True,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "off", "data-reveal": ""}
        ),
        help_text=_("In your Soclook account: Account → API. It is stored encrypted."),
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none())
    service_offset = forms.TypedChoiceField(
        label=_("Soclook's time zone"),
        choices=[("", _("Detect automatically")), *service_time.offset_choices()],
        coerce=int,
        empty_value=None,
        required=False,
    )

    class Meta:
        model = Connection
        fields = ("name", "base_url")
        help_texts = {
            "name": _("A name your team will recognise, e.g. “Soclook, production”."),
            "base_url": _(
                "Soclook's is https://soclook.ru/api/. Services built on the same platform "
                "have their own address ending in /api/."
            ),
        }

    def __init__(self, *args: Any, teams: list[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["base_url"].initial = settings.SOCLOOK_DEFAULT_BASE_URL
        if self.instance.pk:
            del self.fields["team"]
            self.fields["api_key"].required = False
            keep = _(
                "Leave empty to keep it. If you change the address, type the key again: the "
                "stored key is only ever sent to the address it was entered for."
            )
            if self.instance.masked_key:
                hint = _("Set, ends in %(last4)s.") % {"last4": self.instance.masked_key}
            else:
                hint = _("Set.")
            self.fields["api_key"].help_text = f"{hint} {keep}"
        elif len(teams) > 1:
            self.fields["team"].queryset = Team.objects.filter(pk__in=[t.pk for t in teams])
        else:
            del self.fields["team"]
        self.fields["base_url"].assume_scheme = "https"
        self._init_service_offset()

    def _init_service_offset(self) -> None:
        field = self.fields["service_offset"]
        offset = self.instance.service_utc_offset
        if self.instance.service_offset_by_owner:
            field.initial = offset
            state = _("Set by an owner.")
        elif offset is not None:
            state = _("Detected automatically: %(offset)s.") % {
                "offset": service_time.format_offset(offset)
            }
        else:
            state = _("Not known yet: it is detected at the first change made from this dashboard.")
        field.help_text = format_html(
            "{} {}",
            _(
                "Soclook sends its times without a zone; the dashboard shows them in each "
                "viewer's own zone once it knows Soclook's."
            ),
            state,
        )

    def save(self, commit: bool = True) -> Connection:
        connection: Connection = super().save(commit=False)
        chosen = self.cleaned_data.get("service_offset")
        if chosen is not None:
            connection.service_utc_offset = chosen
            connection.service_offset_by_owner = True
        elif connection.service_offset_by_owner:
            # Back to detection: the owner's offset goes, the next write finds the zone.
            connection.service_utc_offset = None
            connection.service_offset_by_owner = False
        if commit:
            connection.save()
        return connection

    def clean_base_url(self) -> str:
        url: str = self.cleaned_data["base_url"].strip()
        if not url.startswith(("http://", "https://")):
            raise forms.ValidationError(_("Enter an address starting with https://."))
        try:
            outbound.check(url, soclook_policy())
        except outbound.Refused as exc:
            raise forms.ValidationError(exc.message, code="refused") from exc
        except outbound.OutboundError:
            # A name not found now is told by the key check that follows, in its own words.
            pass
        return url if url.endswith("/") else url + "/"


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


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ("name",)
        help_texts = {"name": _("The name your colleagues will see, e.g. “Support”.")}


class InvitationForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Role.choices,
        initial=Role.EDITOR,
        widget=forms.Select(attrs={"aria-describedby": "roles-help"}),
    )
    valid_for = forms.TypedChoiceField(
        label=_("The link works for"),
        coerce=int,
        choices=[(1, _("1 day")), (7, _("7 days")), (30, _("30 days"))],
        initial=7,
    )
    email = forms.EmailField(
        label=_("E-mail it to (optional)"),
        max_length=EMAIL_MAX_LENGTH,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "placeholder": "name@example.com"}),
        help_text=_("Leave empty to copy the link yourself."),
    )


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class InvitationSignupForm(UserCreationForm):
    """A new account for someone who opened an invitation link (password rules apply). The
    e-mail address is required: it is where a forgotten password's reset link goes."""

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")
        labels = {"email": _("E-mail address")}
        help_texts = {"email": _("Only for resetting a forgotten password.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].help_text = _username_help()
        self.fields["email"].required = True
        self.fields["email"].widget.attrs["autocomplete"] = "email"


class PasswordResetRequestForm(PasswordResetForm):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class _PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_username()


# What can happen to one handler; its own journal offers no team or connection events.
_HANDLER_ACTIONS = [
    (action.value, action.label)
    for action in (
        JournalAction.HANDLER_CREATED,
        JournalAction.HANDLER_CHANGED,
        JournalAction.HANDLER_ENABLED,
        JournalAction.HANDLER_DISABLED,
        JournalAction.HANDLER_DELETED,
        JournalAction.HANDLER_RESTORED,
        JournalAction.HANDLER_TESTED,
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
