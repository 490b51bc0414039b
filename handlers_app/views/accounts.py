"""Django's password pages, throttled like sign-in (handlers_app.throttle)."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.forms import ValidationError
from django.http import HttpRequest, HttpResponse

from handlers_app.forms.accounts import PasswordResetRequestForm
from handlers_app.throttle import (
    RESET_LINKS,
    RESET_REQUESTS,
    attempt_counted,
    attempt_refused,
)


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """The old password is checked as a sign-in is, so that django-axes counts a wrong one and
    refuses even the right one while that name is paused at that address."""

    def __init__(self, user: Any, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        old_password: str = self.cleaned_data["old_password"]
        person = authenticate(
            self.request, username=self.user.get_username(), password=old_password
        )
        if person is None or person.pk != self.user.pk:
            raise ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = ThrottledPasswordChangeForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordResetView(auth_views.PasswordResetView):
    """Each request for a reset e-mail counts; an address over the limit is sent nothing. The
    e-mail goes out in the language of the page it was asked for on."""

    form_class = PasswordResetRequestForm

    @property
    def extra_email_context(self) -> dict[str, Any]:
        return {"link_hours": math.ceil(settings.PASSWORD_RESET_TIMEOUT / 3600)}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = attempt_refused(request, name=RESET_REQUESTS) or attempt_counted(
            request, name=RESET_REQUESTS
        )
        return refused or super().post(request, *args, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """A reset link that does not work counts; a paused address is told so before any check."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = attempt_refused(request, name=RESET_LINKS)
        if refused:
            return refused
        response = super().dispatch(request, *args, **kwargs)
        if not self.validlink and response.status_code == 200:
            return attempt_counted(request, name=RESET_LINKS) or response
        return response
