"""The form of a connection to a Soclook account."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from handlers_app import outbound, service_time
from handlers_app.clients import soclook_policy
from handlers_app.models import Connection, Team


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
