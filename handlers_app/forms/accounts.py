"""Forms of people's accounts: the first administrator, signing up from an invitation, a
forgotten password."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import BaseUserCreationForm, PasswordResetForm, UserCreationForm
from django.utils.translation import gettext_lazy as _

from handlers_app.first_run import SETUP_CODE_MAX_LENGTH

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
