"""What a handler type is: its fields, how the list shows where it sends, and how a test
message reaches it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from django.utils.translation import gettext_lazy

from .fields import FieldKind, FieldSpec, Text


class Delivery(StrEnum):
    """The ways a test message reaches a destination, and the parts each needs from the
    settings (the keys of `DeliverySpec.parts`)."""

    # Through the dashboard's own mail settings: "address".
    EMAIL = "email"
    # A POST of {"test": true, "handler": ..., "message": ...} to "url".
    JSON_POST = "json_post"
    # The service's own incoming-webhook format, posted to "url".
    SLACK = "slack"
    DISCORD = "discord"
    TEAMS = "teams"
    # sendMessage through the bot "token" to "chat_id".
    TELEGRAM = "telegram"
    # A direct message from the account to itself (never a public post), signed with
    # "consumer_key", "consumer_secret", "access_token" and "access_token_secret".
    X_DIRECT_MESSAGE = "x_direct_message"

    @property
    def is_a_service(self) -> bool:
        """The destination is a service's own address (Telegram's API, Slack's hooks, ...), not
        one of a system of the person's own or a mail server: failing to reach it says nothing
        of the settings."""
        return self not in (Delivery.EMAIL, Delivery.JSON_POST)


@dataclass(frozen=True)
class DeliverySpec:
    way: Delivery
    # The part each settings field plays: {part: field name}.
    parts: Mapping[str, str]

    def values(self, settings: Mapping[str, str]) -> dict[str, str]:
        return {part: settings.get(name, "") for part, name in self.parts.items()}


def _sends(way: Delivery, parts: dict[str, str]) -> DeliverySpec:
    return DeliverySpec(way=way, parts=MappingProxyType(parts))


_NO_TEST_FOR_UNKNOWN_TYPE = gettext_lazy(
    "This dashboard does not know this type, so it cannot send a test to it."
)


@dataclass(frozen=True)
class HandlerType:
    slug: str
    label: Text
    description: Text
    icon: str
    fields: tuple[FieldSpec, ...]
    docs_hint: Text = ""
    # Which field the handler list shows as the destination; the first field when blank.
    summary_field: str = ""
    is_known: bool = True
    # How a test message is sent; None when only Soclook can reach the destination.
    test_delivery: DeliverySpec | None = None
    untestable_reason: Text = _NO_TEST_FOR_UNKNOWN_TYPE
    # The dotted path of the check that learns, without sending anything, whether the
    # destination still takes messages (handlers_app.health.checks); "" when none exists.
    silent_check: str = ""

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields)

    def get_field(self, name: str) -> FieldSpec | None:
        return next((field for field in self.fields if field.name == name), None)

    def destination_key(self, settings: Mapping[str, str]) -> str:
        """Where a handler of this type sends, for telling two handlers apart (never shown): the
        summary field's whole value, compared as typed but for surrounding spaces, and an
        e-mail address whatever its letter case."""
        field = self._summary_field(settings)
        if field is None:
            return ""
        value = str(settings.get(field.name, "")).strip()
        return value.casefold() if field.kind == FieldKind.EMAIL else value

    def destination_record(self, settings: Mapping[str, str]) -> dict[str, object]:
        """Where a handler sends as a record may keep it (the journal): the summary field's
        name and what a page may show of its value, worded when read (`summary` says it)."""
        field = self._summary_field(settings)
        if field is None:
            return {"field": "", "shown": "", "labelled": False}
        shown = field.mask(settings.get(field.name, ""))
        labelled = field.kind not in (FieldKind.EMAIL, FieldKind.URL)
        return {"field": field.name, "shown": shown, "labelled": labelled}

    def summary(self, settings: Mapping[str, str]) -> str:
        field = self._summary_field(settings)
        if field is None:
            return ""
        shown = field.mask(settings.get(field.name, ""))
        if not shown or field.kind in (FieldKind.EMAIL, FieldKind.URL):
            return shown
        return f"{field.label} {shown}"

    def destination(self, settings: Mapping[str, str]) -> str:
        """Where notifications go, as the list shows it: an e-mail address, a web address's
        host, the last characters of an ID. Never more of a secret than that, so the list's
        search may look in it."""
        field = self._summary_field(settings)
        if field is None:
            return ""
        return field.mask(settings.get(field.name, ""))

    def _summary_field(self, settings: Mapping[str, str]) -> FieldSpec | None:
        field = self.get_field(self.summary_field) if self.summary_field else None
        if field is None:
            field = next((f for f in self.fields if settings.get(f.name)), None)
        return field
