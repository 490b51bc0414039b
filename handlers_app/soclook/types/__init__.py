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
- `HandlerType.test_delivery` says how the dashboard sends a test message to the destination
  (`DeliverySpec`: the way, and which settings field plays which part in it), or is None with
  `untestable_reason` saying why no test can be sent from outside Soclook (handlers_app.testsend).

Modules: `fields` (field kinds, cleaning and masking one value), `kinds` (`HandlerType`, how a
test is delivered), `registry` (`HANDLER_TYPES`), `others` (display-only and unknown types, the
lookups).
"""

from .fields import (
    MASK,
    NAME_MAX_LENGTH,
    VALUE_MAX_LENGTH,
    FieldKind,
    FieldSpec,
    refuse_unstorable,
    storable,
)
from .kinds import Delivery, DeliverySpec, HandlerType
from .others import (
    DISPLAY_ONLY_TYPES,
    DisplayOnlyType,
    filter_types,
    generic_type_for,
    get_handler_type,
    is_known_type,
    setting_label,
    type_choices,
)
from .pastes import setting_message
from .registry import HANDLER_TYPES

__all__ = [
    "DISPLAY_ONLY_TYPES",
    "HANDLER_TYPES",
    "MASK",
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
    "refuse_unstorable",
    "setting_label",
    "setting_message",
    "storable",
    "type_choices",
]
