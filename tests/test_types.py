"""The handler-type registry: fields, validation, masking and types the dashboard does not know."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from handlers_app.soclook.types import (
    HANDLER_TYPES,
    MASK,
    FieldKind,
    FieldSpec,
    generic_type_for,
    get_handler_type,
    is_known_type,
    type_choices,
)

EXPECTED_FIELDS = {
    "email": ("email",),
    "webhook": ("webhook",),
    "slack": ("slack",),
    "discord": ("discord",),
    "telegram": ("telegram", "telegram_chat_id"),
    "microsoft_teams": ("microsoft_teams",),
    "x": ("x_consumer_key", "x_consumer_secret", "x_access_token", "x_access_token_secret"),
    "push_subscriber_id": ("push_subscriber_id",),
}

SLACK_URL = "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX"
BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def spec(kind: FieldKind, *, required: bool = True) -> FieldSpec:
    return FieldSpec(name="f", label="F", kind=kind, help_text="", required=required)


def error_code(field: FieldSpec, value: str) -> str | None:
    with pytest.raises(ValidationError) as caught:
        field.validate(value)
    return caught.value.code


def test_the_registry_lists_every_type_in_the_documented_order() -> None:
    assert list(HANDLER_TYPES) == list(EXPECTED_FIELDS)


@pytest.mark.parametrize(("slug", "fields"), EXPECTED_FIELDS.items())
def test_each_type_declares_exactly_its_settings_fields(slug: str, fields: tuple[str, ...]) -> None:
    assert HANDLER_TYPES[slug].field_names == fields


@pytest.mark.parametrize("handler_type", HANDLER_TYPES.values(), ids=list(HANDLER_TYPES))
def test_each_type_is_described_for_people(handler_type) -> None:
    assert handler_type.is_known
    assert str(handler_type.label)
    assert str(handler_type.description)
    assert handler_type.icon
    for field in handler_type.fields:
        assert len(str(field.help_text)) > 40, field.name
        assert field.max_length == 512


def test_the_help_texts_say_where_to_find_each_value() -> None:
    def help_of(slug: str, name: str) -> str:
        field = HANDLER_TYPES[slug].get_field(name)
        assert field is not None
        return str(field.help_text)

    assert "@userinfobot" in help_of("telegram", "telegram_chat_id")
    assert "-100" in help_of("telegram", "telegram_chat_id")
    assert "@BotFather" in help_of("telegram", "telegram")
    assert "api.slack.com/apps" in help_of("slack", "slack")
    assert "Incoming Webhooks" in help_of("slack", "slack")
    assert "Integrations" in help_of("discord", "discord")
    assert "Workflows" in help_of("microsoft_teams", "microsoft_teams")
    assert "Connectors" in help_of("microsoft_teams", "microsoft_teams")
    assert "developer" in help_of("x", "x_consumer_key")


def test_only_an_email_address_and_a_chat_id_are_not_secrets() -> None:
    kinds = {f.name: f.secret for t in HANDLER_TYPES.values() for f in t.fields}
    assert [name for name, secret in kinds.items() if not secret] == ["email", "telegram_chat_id"]


def test_type_choices_follow_the_registry() -> None:
    assert [slug for slug, _label in type_choices()] == list(HANDLER_TYPES)
    assert dict(type_choices())["microsoft_teams"] == HANDLER_TYPES["microsoft_teams"].label


@pytest.mark.parametrize("value", ["team@example.com", "  Hey.There+tag@sub.example.org  "])
def test_email_accepts_an_address(value: str) -> None:
    assert spec(FieldKind.EMAIL).validate(value) == value.strip()


@pytest.mark.parametrize("value", ["team", "team@", "@example.com", "a b@example.com"])
def test_email_refuses_what_is_not_an_address(value: str) -> None:
    assert error_code(spec(FieldKind.EMAIL), value) == "email"


@pytest.mark.parametrize(
    "value", [SLACK_URL, "http://example.com/hook?token=abc", "https://10.0.0.5:8443/in"]
)
def test_url_accepts_a_web_address(value: str) -> None:
    assert spec(FieldKind.URL).validate(value) == value


@pytest.mark.parametrize(
    "value",
    ["hooks.slack.com/services/T0/B0/X", "ftp://example.com/x", "https://", "javascript:alert(1)"],
)
def test_url_refuses_anything_but_http_with_a_host(value: str) -> None:
    assert error_code(spec(FieldKind.URL), value) == "url"


@pytest.mark.parametrize("value", ["123456789", "-1001234567890", "-42", "@my_channel"])
def test_chat_id_accepts_numbers_and_channel_names(value: str) -> None:
    assert spec(FieldKind.CHAT_ID).validate(f" {value} ") == value


@pytest.mark.parametrize("value", ["12 34", "chat123", "@", "@a", "-", "1.5", "@name with space"])
def test_chat_id_refuses_anything_else(value: str) -> None:
    assert error_code(spec(FieldKind.CHAT_ID), value) == "chat_id"


def test_a_token_is_one_unbroken_string() -> None:
    field = spec(FieldKind.TOKEN)
    assert field.validate(f"  {BOT_TOKEN}\n") == BOT_TOKEN
    assert error_code(field, "123456789:AAH dq") == "token_spaces"
    assert error_code(field, "123456789:\nAAHdq") == "token_spaces"


def test_text_takes_anything_within_the_length() -> None:
    assert spec(FieldKind.TEXT).validate(" any thing ") == "any thing"


@pytest.mark.parametrize("kind", list(FieldKind))
def test_a_required_field_refuses_a_blank_value(kind: FieldKind) -> None:
    assert error_code(spec(kind), "   ") == "required"


def test_an_optional_field_accepts_a_blank_value() -> None:
    assert spec(FieldKind.URL, required=False).validate("  ") == ""


@pytest.mark.parametrize("kind", list(FieldKind))
def test_no_value_may_exceed_512_characters(kind: FieldKind) -> None:
    field = spec(kind)
    with pytest.raises(ValidationError) as caught:
        field.validate("1" * 513)
    assert caught.value.code == "max_length"
    assert "512" in caught.value.messages[0]


def test_a_validation_message_is_written_for_people() -> None:
    with pytest.raises(ValidationError) as caught:
        spec(FieldKind.CHAT_ID).validate("my group")
    assert "-1001234567890" in caught.value.messages[0]


def test_masking_shows_an_email_address() -> None:
    assert spec(FieldKind.EMAIL).mask("team@example.com") == "team@example.com"


def test_masking_a_url_shows_only_its_host() -> None:
    field = spec(FieldKind.URL)
    assert field.mask(SLACK_URL) == "hooks.slack.com"
    assert field.mask("https://user:pass@example.com:8443/hook?token=s3cret") == "example.com"
    assert field.mask("not a url at all") == MASK


def test_masking_shows_a_chat_id_in_full() -> None:
    assert spec(FieldKind.CHAT_ID).mask("-1001234567890") == "-1001234567890"


@pytest.mark.parametrize("kind", [FieldKind.TOKEN, FieldKind.TEXT])
def test_masking_a_secret_shows_only_its_last_four_characters(kind: FieldKind) -> None:
    field = spec(kind)
    assert field.mask(BOT_TOKEN) == MASK + "Dsaw"
    assert field.mask("-1001234567890") == MASK + "7890"
    assert field.mask("short12") == MASK
    assert field.mask("") == ""


SECRET_ONLY_TYPES = [t for t in HANDLER_TYPES.values() if all(f.secret for f in t.fields)]


@pytest.mark.parametrize("handler_type", SECRET_ONLY_TYPES, ids=[t.slug for t in SECRET_ONLY_TYPES])
def test_no_mask_or_summary_reveals_more_than_four_secret_characters(handler_type) -> None:
    secret = "https://hooks.example.com/AAAASECRETBBBB-9999"
    settings = {name: secret for name in handler_type.field_names}
    shown = [handler_type.summary(settings)] + [
        f.mask(secret) for f in handler_type.fields if f.secret
    ]
    for text in shown:
        assert "SECRET" not in text
        assert "AAAA" not in text


def test_summaries_name_the_destination_without_secrets() -> None:
    assert HANDLER_TYPES["email"].summary({"email": "team@example.com"}) == "team@example.com"
    assert HANDLER_TYPES["slack"].summary({"slack": SLACK_URL}) == "hooks.slack.com"
    telegram = HANDLER_TYPES["telegram"].summary(
        {"telegram": BOT_TOKEN, "telegram_chat_id": "-1001234567890"}
    )
    assert telegram == "Chat ID -1001234567890"
    x = HANDLER_TYPES["x"].summary({"x_access_token": "1234567890-abcdefghijkl"})
    assert x == f"Access token {MASK}ijkl"
    assert HANDLER_TYPES["webhook"].summary({}) == ""


@pytest.mark.parametrize("slug", ["twilio", "google_chat", "internal_notification", ""])
def test_unknown_types_are_not_in_the_registry(slug: str) -> None:
    assert not is_known_type(slug)
    assert get_handler_type(slug).is_known is False


def test_an_unknown_type_mirrors_the_stored_settings_keys() -> None:
    handler_type = get_handler_type("carrier_pigeon", settings_keys=["pigeon", "loft"])
    assert handler_type.slug == "carrier_pigeon"
    assert str(handler_type.label) == "carrier_pigeon"
    assert handler_type.icon == "question-circle"
    assert handler_type.field_names == ("pigeon", "loft")
    assert all(
        f.kind == FieldKind.TEXT and f.secret and not f.required for f in handler_type.fields
    )
    assert handler_type.summary({"pigeon": "+15551234567"}) == f"pigeon {MASK}4567"


def test_a_blank_type_gets_a_readable_label() -> None:
    handler_type = generic_type_for("", ["email"])
    assert str(handler_type.label) == "Unknown type"
    assert handler_type.field_names == ("email",)


def test_known_types_ignore_the_settings_keys_they_are_given() -> None:
    assert get_handler_type("email", settings_keys=["other"]) is HANDLER_TYPES["email"]
