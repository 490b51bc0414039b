from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import BaseUserCreationForm
from django.utils.translation import gettext_lazy as _

from handlers_app.models import Connection, Team


class FirstAdminForm(BaseUserCreationForm):
    team_name = forms.CharField(
        label=_("Team name"),
        max_length=100,
        initial=_("My team"),
        help_text=_("The team that will share this dashboard. You can rename it later."),
    )

    class Meta(BaseUserCreationForm.Meta):
        model = get_user_model()
        fields = ("username",)


class ConnectionForm(forms.ModelForm):
    """Add or change a connection. The key is write-only: it is never put back into the form."""

    api_key = forms.CharField(
        label=_("API key"),
        max_length=512,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("In your Soclook account: Account → API. It is stored encrypted."),
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none())

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
            self.fields["api_key"].help_text = _(
                "Set, ends in %(last4)s. Leave empty to keep it."
            ) % {"last4": self.instance.masked_key}
        elif len(teams) > 1:
            self.fields["team"].queryset = Team.objects.filter(pk__in=[t.pk for t in teams])
        else:
            del self.fields["team"]
        self.fields["base_url"].assume_scheme = "https"

    def clean_base_url(self) -> str:
        url: str = self.cleaned_data["base_url"].strip()
        if not url.startswith(("http://", "https://")):
            raise forms.ValidationError(_("Enter an address starting with https://."))
        return url if url.endswith("/") else url + "/"
