"""The settings fields of handler types: their kinds, and how a submitted value is cleaned,
checked and masked for pages."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

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

# What a person is told when a value is refused, by the code the refusal keeps (an import row
# stores the code and its values, and says it in the language of whoever reads it later).
FIELD_MESSAGES: Mapping[str, Text] = MappingProxyType(
    {
        "required": gettext_lazy("This field is required."),
        "max_length": gettext_lazy(
            "Keep this to at most %(max_length)d characters (it has %(length)d)."
        ),
        "unstorable": gettext_lazy(
            "This holds a character that cannot be stored: an invisible control character, "
            "or half of one that was cut when it was copied. Type it again, or paste it as "
            "plain text."
        ),
        "email": gettext_lazy("Enter a full e-mail address, such as team@example.com."),
        "url": gettext_lazy("Enter a full web address that starts with https:// (or http://)."),
        "chat_id": gettext_lazy(
            "Enter a numeric chat ID such as 123456789 or -1001234567890, "
            "or a public channel as @channelname."
        ),
        "token_spaces": gettext_lazy(
            "Remove the spaces and line breaks: a key or token is one unbroken "
            "string. Copy it again with the copy button if there is one."
        ),
    }
)

_email_validator = EmailValidator(message=FIELD_MESSAGES["email"], code="email")
_url_validator = URLValidator(schemes=["http", "https"], message=FIELD_MESSAGES["url"], code="url")

# Characters no database column can hold: NUL (PostgreSQL refuses it in text) and halves of a
# UTF-16 pair on their own (a JSON file may spell them as \ud800; UTF-8 cannot encode them).
_UNSTORABLE_RE = re.compile(r"[\x00\ud800-\udfff]")


def refused(code: str, **params: object) -> ValidationError:
    """The ValidationError for `code` of FIELD_MESSAGES."""
    return ValidationError(FIELD_MESSAGES[code], code=code, params=params or None)


def storable(value: str) -> str:
    """`value` with each character that cannot be stored replaced by U+FFFD, for what is kept
    only to be shown (a column name of a refused row)."""
    return _UNSTORABLE_RE.sub("\ufffd", value)


def refuse_unstorable(value: str) -> None:
    """Raise a ValidationError when `value` holds a character that cannot be stored or sent."""
    if _UNSTORABLE_RE.search(value):
        raise refused("unstorable")


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
    # A made-up value of the right shape, for the import template; the placeholder when blank.
    example: str = ""
    # What this field's values look like (handlers_app.soclook.types.pastes): raises a
    # ValidationError naming what was pasted instead.
    recognise: Callable[[str], None] | None = None

    @property
    def secret(self) -> bool:
        return self.kind not in (FieldKind.EMAIL, FieldKind.CHAT_ID)

    def validate(self, value: str) -> str:
        cleaned = value.strip()
        if not cleaned:
            if self.required:
                raise refused("required")
            return ""
        if len(cleaned) > self.max_length:
            raise refused("max_length", max_length=self.max_length, length=len(cleaned))
        refuse_unstorable(cleaned)
        try:
            self._check_kind(cleaned)
        except ValidationError:
            # The recogniser may know what was pasted better than the kind's general rule.
            if self.recognise is not None:
                self.recognise(cleaned)
            raise
        if self.recognise is not None:
            self.recognise(cleaned)
        return cleaned

    def _check_kind(self, cleaned: str) -> None:
        match self.kind:
            case FieldKind.EMAIL:
                _email_validator(cleaned)
            case FieldKind.URL:
                _url_validator(cleaned)
            case FieldKind.CHAT_ID:
                if not _CHAT_ID_RE.match(cleaned):
                    raise refused("chat_id")
            case FieldKind.TOKEN:
                if _WHITESPACE_RE.search(cleaned):
                    raise refused("token_spaces")
            case FieldKind.TEXT:
                pass

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
