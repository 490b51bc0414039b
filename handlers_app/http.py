from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request as the views see it: django-htmx's details attached."""

    htmx: HtmxDetails
    user: AbstractBaseUser | AnonymousUser
