"""The handler-type registry: every Soclook handler type, its settings fields and their rules.

This table is the only place that knows type names. Forms, templates and the client read it:

- `HANDLER_TYPES` maps each known slug to a `HandlerType`, in the order the type picker shows them.
- `DISPLAY_ONLY_TYPES` names the types sibling services on the platform offer (`twilio`,
  `google_chat`, ...): an account may hold them, Soclook cannot create them.
- `get_handler_type(slug, settings_keys=...)` returns the registry entry, or for a type the
  dashboard cannot create (a display-only one, one it has never heard of, a blanked `""`) a
  generic `HandlerType` built on the fly with `is_known=False` and one optional TEXT field per
  key in `settings_keys` (pass the handler's settings), named and labelled from
  `DISPLAY_ONLY_TYPES` where it is there, else by its slug with icon `question-circle`.
  `generic_type_for(slug, settings_keys)` builds that generic type directly. Such handlers can be
  listed, renamed, toggled and deleted; their settings are sent back untouched on every update.
- `FieldSpec.validate()` cleans one submitted value or raises `ValidationError`;
  `FieldSpec.mask()` and `HandlerType.summary()` give what a page may show. Every value except an
  e-mail address and a chat ID is a credential (webhook URLs embed tokens), so pages see at most
  its host or its last four characters. A chat ID only says where a bot posts, which staff need
  to see; the bot's token is what lets anyone post there.
- `HandlerType.silent_check` names the check that asks the destination, without sending a
  message, whether it still takes them (handlers_app.health), or is "" where no such way exists.
- `HandlerType.test_delivery` says how the dashboard sends a test message to the destination
  (`DeliverySpec`: the way, and which settings field plays which part in it), or is None with
  `untestable_reason` saying why no test can be sent from outside Soclook (handlers_app.testsend).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

__all__ = [
    "DISPLAY_ONLY_TYPES",
    "HANDLER_TYPES",
    "NAME_MAX_LENGTH",
    "VALUE_MAX_LENGTH",
    "Delivery",
    "DeliverySpec",
    "DisplayOnlyType",
    "FieldKind",
    "FieldSpec",
    "HandlerType",
    "filter_types",
    "generic_type_for",
    "get_handler_type",
    "is_known_type",
    "setting_label",
    "type_choices",
]

type Text = str | Promise

# The service keeps at most this many characters of a handler name, and of each setting.
NAME_MAX_LENGTH = 128
VALUE_MAX_LENGTH = 512
MASK = "••••"
_VISIBLE_TAIL = 4
# Showing the tail of a short value would give most of it away.
_MIN_LENGTH_TO_SHOW_TAIL = 8

_CHAT_ID_RE = re.compile(r"^(-?\d{1,20}|@[A-Za-z0-9_]{3,32})$")
_WHITESPACE_RE = re.compile(r"\s")

_email_validator = EmailValidator(
    message=gettext_lazy("Enter a full e-mail address, such as team@example.com.")
)
_url_validator = URLValidator(
    schemes=["http", "https"],
    message=gettext_lazy("Enter a full web address that starts with https:// (or http://)."),
)


class FieldKind(StrEnum):
    EMAIL = "email"
    URL = "url"
    TOKEN = "token"  # noqa: S105 (a field kind, not a password)
    CHAT_ID = "chat_id"
    TEXT = "text"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Text
    kind: FieldKind
    help_text: Text
    required: bool = True
    max_length: int = VALUE_MAX_LENGTH
    placeholder: str = ""

    @property
    def secret(self) -> bool:
        return self.kind not in (FieldKind.EMAIL, FieldKind.CHAT_ID)

    def validate(self, value: str) -> str:
        cleaned = value.strip()
        if not cleaned:
            if self.required:
                raise ValidationError(gettext_lazy("This field is required."), code="required")
            return ""
        if len(cleaned) > self.max_length:
            raise ValidationError(
                gettext_lazy("Keep this to at most %(max_length)d characters (it has %(length)d)."),
                code="max_length",
                params={"max_length": self.max_length, "length": len(cleaned)},
            )
        match self.kind:
            case FieldKind.EMAIL:
                _email_validator(cleaned)
            case FieldKind.URL:
                _url_validator(cleaned)
            case FieldKind.CHAT_ID:
                if not _CHAT_ID_RE.match(cleaned):
                    raise ValidationError(
                        gettext_lazy(
                            "Enter a numeric chat ID such as 123456789 or -1001234567890, "
                            "or a public channel as @channelname."
                        ),
                        code="invalid",
                    )
            case FieldKind.TOKEN:
                if _WHITESPACE_RE.search(cleaned):
                    raise ValidationError(
                        gettext_lazy(
                            "Remove the spaces and line breaks: a key or token is one unbroken "
                            "string. Copy it again with the copy button if there is one."
                        ),
                        code="invalid",
                    )
            case FieldKind.TEXT:
                pass
        return cleaned

    def mask(self, value: str) -> str:
        if not value:
            return ""
        match self.kind:
            case FieldKind.EMAIL | FieldKind.CHAT_ID:
                return value
            case FieldKind.URL:
                try:
                    host = urlsplit(value.strip()).hostname
                except ValueError:
                    host = None
                return host or MASK
            case _:
                if len(value) < _MIN_LENGTH_TO_SHOW_TAIL:
                    return MASK
                return MASK + value[-_VISIBLE_TAIL:]


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

    def summary(self, settings: Mapping[str, str]) -> str:
        field = self._summary_field(settings)
        shown = self.destination(settings)
        if field is None or not shown or field.kind in (FieldKind.EMAIL, FieldKind.URL):
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


_WEBHOOK_HELP_TAIL = gettext_lazy(
    "Treat this address like a password: anyone who has it can post messages."
)

HANDLER_TYPES: dict[str, HandlerType] = {
    handler_type.slug: handler_type
    for handler_type in (
        HandlerType(
            slug="email",
            label=gettext_lazy("E-mail"),
            description=gettext_lazy("Sends each notification to an e-mail address."),
            icon="envelope",
            fields=(
                FieldSpec(
                    name="email",
                    label=gettext_lazy("E-mail address"),
                    kind=FieldKind.EMAIL,
                    help_text=gettext_lazy(
                        "The address that receives the notifications. Soclook first sends a "
                        "confirmation e-mail there; notifications start once someone clicks "
                        "the link in it."
                    ),
                    placeholder="team@example.com",
                ),
            ),
            docs_hint=gettext_lazy(
                "Until the address is confirmed the handler shows as “waiting for "
                "confirmation”. Check the spam folder if the confirmation e-mail does not arrive."
            ),
            test_delivery=_sends(Delivery.EMAIL, {"address": "email"}),
            silent_check="handlers_app.health.checks.email",
        ),
        HandlerType(
            slug="webhook",
            label=gettext_lazy("Webhook"),
            description=gettext_lazy(
                "Sends each notification to a web address of your own system."
            ),
            icon="link-45deg",
            fields=(
                FieldSpec(
                    name="webhook",
                    label=gettext_lazy("Webhook URL"),
                    kind=FieldKind.URL,
                    help_text=gettext_lazy(
                        "The full address, starting with https://, that should receive a POST "
                        "request for every notification. The developers of the receiving "
                        "system or service give you this address."
                    ),
                    placeholder="https://example.com/hooks/soclook",
                ),
            ),
            docs_hint=_WEBHOOK_HELP_TAIL,
            test_delivery=_sends(Delivery.JSON_POST, {"url": "webhook"}),
        ),
        HandlerType(
            slug="slack",
            label=gettext_lazy("Slack"),
            description=gettext_lazy("Posts notifications into a Slack channel."),
            icon="slack",
            fields=(
                FieldSpec(
                    name="slack",
                    label=gettext_lazy("Slack webhook URL"),
                    kind=FieldKind.URL,
                    help_text=gettext_lazy(
                        "A Slack “incoming webhook” address. Go to api.slack.com/apps, open "
                        "your app (or create one for your workspace), choose Incoming Webhooks, "
                        "switch them on, click “Add New Webhook to Workspace” and pick the "
                        "channel. Copy the address that starts with "
                        "https://hooks.slack.com/services/."
                    ),
                    placeholder="https://hooks.slack.com/services/T000/B000/XXXX",
                ),
            ),
            docs_hint=_WEBHOOK_HELP_TAIL,
            test_delivery=_sends(Delivery.SLACK, {"url": "slack"}),
        ),
        HandlerType(
            slug="discord",
            label=gettext_lazy("Discord"),
            description=gettext_lazy("Posts notifications into a Discord channel."),
            icon="discord",
            fields=(
                FieldSpec(
                    name="discord",
                    label=gettext_lazy("Discord webhook URL"),
                    kind=FieldKind.URL,
                    help_text=gettext_lazy(
                        "In Discord, open Server Settings → Integrations → Webhooks, click "
                        "“New Webhook”, choose the channel, then “Copy Webhook URL”. It starts "
                        "with https://discord.com/api/webhooks/. You need the “Manage Webhooks” "
                        "permission on the server."
                    ),
                    placeholder="https://discord.com/api/webhooks/123/abc",
                ),
            ),
            docs_hint=_WEBHOOK_HELP_TAIL,
            test_delivery=_sends(Delivery.DISCORD, {"url": "discord"}),
            silent_check="handlers_app.health.checks.discord",
        ),
        HandlerType(
            slug="telegram",
            label=gettext_lazy("Telegram"),
            description=gettext_lazy(
                "A Telegram bot sends notifications to a person, group or channel."
            ),
            icon="telegram",
            fields=(
                FieldSpec(
                    name="telegram",
                    label=gettext_lazy("Bot token"),
                    kind=FieldKind.TOKEN,
                    help_text=gettext_lazy(
                        "The token of the Telegram bot that sends the messages. In Telegram, "
                        "open a chat with @BotFather and send /newbot (or /mybots for a bot you "
                        "already have, then “API Token”). The token looks like "
                        "123456789:AAH…; copy all of it."
                    ),
                    placeholder="123456789:AAH…",
                ),
                FieldSpec(
                    name="telegram_chat_id",
                    label=gettext_lazy("Chat ID"),
                    kind=FieldKind.CHAT_ID,
                    help_text=gettext_lazy(
                        "Where the bot posts. For a person: they forward any of their messages "
                        "to @userinfobot, which replies with their numeric ID, and press Start "
                        "in your bot once. For a group or channel: add the bot to it (as an "
                        "admin for a channel), then forward a message from it to @userinfobot; "
                        "group and channel IDs start with -100. A public channel can also be "
                        "written as @channelname."
                    ),
                    placeholder="-1001234567890",
                ),
            ),
            docs_hint=gettext_lazy(
                "The bot can only write to people who have started it and to groups or "
                "channels it is a member of."
            ),
            summary_field="telegram_chat_id",
            test_delivery=_sends(
                Delivery.TELEGRAM, {"token": "telegram", "chat_id": "telegram_chat_id"}
            ),
            silent_check="handlers_app.health.checks.telegram",
        ),
        HandlerType(
            slug="microsoft_teams",
            label=gettext_lazy("Microsoft Teams"),
            description=gettext_lazy("Posts notifications into a Microsoft Teams channel."),
            icon="microsoft-teams",
            fields=(
                FieldSpec(
                    name="microsoft_teams",
                    label=gettext_lazy("Teams incoming webhook URL"),
                    kind=FieldKind.URL,
                    help_text=gettext_lazy(
                        "An incoming webhook is an address Teams gives out so that other "
                        "services can post into a channel. In Teams, open the channel, click "
                        "“⋯” → Workflows and choose “Post to a channel when a webhook request "
                        "is received” (on older setups: “⋯” → Connectors → Incoming Webhook → "
                        "Configure). Finish the steps and copy the address it shows."
                    ),
                    placeholder="https://example.webhook.office.com/webhookb2/…",
                ),
            ),
            docs_hint=_WEBHOOK_HELP_TAIL,
            test_delivery=_sends(Delivery.TEAMS, {"url": "microsoft_teams"}),
        ),
        HandlerType(
            slug="x",
            label=gettext_lazy("X (Twitter)"),
            description=gettext_lazy("Posts notifications from an X (Twitter) account."),
            icon="twitter-x",
            fields=(
                FieldSpec(
                    name="x_consumer_key",
                    label=gettext_lazy("API key (consumer key)"),
                    kind=FieldKind.TOKEN,
                    help_text=gettext_lazy(
                        "In the X developer portal (developer.x.com), open Projects & Apps → "
                        "your app → “Keys and tokens”; it is under “Consumer Keys” as API Key."
                    ),
                ),
                FieldSpec(
                    name="x_consumer_secret",
                    label=gettext_lazy("API key secret (consumer secret)"),
                    kind=FieldKind.TOKEN,
                    help_text=gettext_lazy(
                        "Shown next to the API key under “Consumer Keys”. X shows it only once: "
                        "if it is lost, click “Regenerate” and update it here."
                    ),
                ),
                FieldSpec(
                    name="x_access_token",
                    label=gettext_lazy("Access token"),
                    kind=FieldKind.TOKEN,
                    help_text=gettext_lazy(
                        "Under “Authentication Tokens” → Access Token and Secret on the same "
                        "page. Set the app's permissions to “Read and write” before generating "
                        "it, otherwise posting fails."
                    ),
                ),
                FieldSpec(
                    name="x_access_token_secret",
                    label=gettext_lazy("Access token secret"),
                    kind=FieldKind.TOKEN,
                    help_text=gettext_lazy(
                        "Shown together with the access token, only once when it is generated."
                    ),
                ),
            ),
            docs_hint=gettext_lazy(
                "All four values come from the “Keys and tokens” page of your app in the X "
                "developer portal (developer.x.com)."
            ),
            summary_field="x_access_token",
            test_delivery=_sends(
                Delivery.X_DIRECT_MESSAGE,
                {
                    "consumer_key": "x_consumer_key",
                    "consumer_secret": "x_consumer_secret",
                    "access_token": "x_access_token",
                    "access_token_secret": "x_access_token_secret",
                },
            ),
            silent_check="handlers_app.health.checks.x",
        ),
        HandlerType(
            slug="push_subscriber_id",
            label=gettext_lazy("Push notification"),
            description=gettext_lazy(
                "Sends a push notification to a browser or device subscribed in Soclook."
            ),
            icon="bell",
            fields=(
                FieldSpec(
                    name="push_subscriber_id",
                    label=gettext_lazy("Push subscriber ID"),
                    kind=FieldKind.TOKEN,
                    help_text=gettext_lazy(
                        "The ID of a browser or device that subscribed to push notifications in "
                        "the Soclook app. Allow notifications when Soclook asks, then copy the "
                        "subscriber's ID from the push subscribers page of your Soclook account."
                    ),
                ),
            ),
            untestable_reason=gettext_lazy(
                "Push notifications reach the browsers and devices subscribed in Soclook, which "
                "only Soclook can address, so no test can be sent from here. Trigger an alert in "
                "Soclook to check this handler."
            ),
        ),
    )
}


@dataclass(frozen=True)
class DisplayOnlyType:
    """A type sibling services on Soclook's platform offer and Soclook itself cannot create.
    An account may still hold such handlers: the dashboard names them and their settings, and
    handles them like any type it does not know (settings kept exactly as stored)."""

    label: Text
    icon: str
    setting_labels: Mapping[str, Text]


_PHONE_NUMBER = gettext_lazy("Phone number")

DISPLAY_ONLY_TYPES: Mapping[str, DisplayOnlyType] = MappingProxyType(
    {
        "twilio": DisplayOnlyType(
            label=gettext_lazy("Twilio SMS"),
            icon="chat-left-text",
            setting_labels={"twilio": _PHONE_NUMBER},
        ),
        "twilio_call": DisplayOnlyType(
            label=gettext_lazy("Twilio call"),
            icon="telephone-outbound",
            setting_labels={"twilio_call": _PHONE_NUMBER},
        ),
        "whatsapp": DisplayOnlyType(
            label=gettext_lazy("WhatsApp"),
            icon="whatsapp",
            setting_labels={"whatsapp": _PHONE_NUMBER},
        ),
        "google_chat": DisplayOnlyType(
            label=gettext_lazy("Google Chat"),
            icon="google",
            setting_labels={"google_chat": gettext_lazy("Google Chat webhook URL")},
        ),
        "internal_notification": DisplayOnlyType(
            label=gettext_lazy("Internal notification"),
            icon="app-indicator",
            setting_labels={},
        ),
    }
)


def generic_type_for(slug: str, settings_keys: Iterable[str]) -> HandlerType:
    """A stand-in for a type missing from the registry; its fields mirror the stored settings.
    A display-only type lends it its name, icon and setting labels."""
    named = DISPLAY_ONLY_TYPES.get(slug)
    setting_labels = named.setting_labels if named is not None else {}
    fields = tuple(
        FieldSpec(
            name=key,
            label=setting_labels.get(key, key),
            kind=FieldKind.TEXT,
            help_text=gettext_lazy(
                "This dashboard does not know this type, so this value is kept exactly as "
                "Soclook stores it."
            ),
            required=False,
        )
        for key in dict.fromkeys(settings_keys)
    )
    if named is None:
        label: Text = slug or gettext_lazy("Unknown type")
        icon = "question-circle"
        description = gettext_lazy(
            "A type this dashboard does not know. It can be renamed, switched on or off and "
            "deleted here; its settings are kept as they are."
        )
    else:
        label, icon = named.label, named.icon
        description = gettext_lazy(
            "Soclook cannot create handlers of this type, so this dashboard cannot change its "
            "settings. It can be renamed, switched on or off and deleted here; its settings are "
            "kept as they are."
        )
    return HandlerType(
        slug=slug,
        label=label,
        description=description,
        icon=icon,
        fields=fields,
        is_known=False,
    )


def get_handler_type(slug: str, *, settings_keys: Iterable[str] = ()) -> HandlerType:
    known = HANDLER_TYPES.get(slug)
    if known is not None:
        return known
    return generic_type_for(slug, settings_keys)


def setting_label(key: str) -> Text:
    """What people call a settings key, whichever type holds it; the key itself when none does."""
    for handler_type in HANDLER_TYPES.values():
        spec = handler_type.get_field(key)
        if spec is not None:
            return spec.label
    for named in DISPLAY_ONLY_TYPES.values():
        if key in named.setting_labels:
            return named.setting_labels[key]
    return key


def is_known_type(slug: str) -> bool:
    return slug in HANDLER_TYPES


def type_choices() -> list[tuple[str, Text]]:
    return [(handler_type.slug, handler_type.label) for handler_type in HANDLER_TYPES.values()]


def filter_types(
    present: Iterable[str] | None, *, selected: str | None = None
) -> list[HandlerType]:
    """The types a list filter offers: every type the dashboard can create, then the other types
    of the account's handlers (`present`; when it is not known, every display-only type), and
    the `selected` one wherever it comes from."""
    shown = dict.fromkeys(DISPLAY_ONLY_TYPES if present is None else present)
    others = [slug for slug in DISPLAY_ONLY_TYPES if slug in shown]
    others += sorted(slug for slug in shown if slug and slug not in others)
    if selected:
        others.append(selected)
    slugs = dict.fromkeys((*HANDLER_TYPES, *others))
    return [get_handler_type(slug) for slug in slugs]
