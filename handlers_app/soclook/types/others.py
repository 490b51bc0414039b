"""Types the registry does not hold (display-only types of sibling services, and types the
dashboard has never heard of), and the lookups that cover every type."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from django.utils.translation import gettext_lazy

from .fields import FieldKind, FieldSpec, Text
from .kinds import HandlerType
from .registry import HANDLER_TYPES


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
