"""Forms of a team: its name, an invitation, a member's role."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from handlers_app.forms.accounts import EMAIL_MAX_LENGTH
from handlers_app.models import Role, Team


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
