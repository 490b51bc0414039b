"""Recognising what was pasted into a settings field, per type: a channel link where a webhook
address belongs, a username where a bot token belongs, a webhook on a host that is not the
service's. Each check (a field's `recognise`) runs after the field kind's own (a well-formed
address, an unbroken token, ...) and raises `ValidationError` saying what the value is and where
to get the right thing, in the reader's language; when the kind's own check refused the value, it
is asked too, for a more precise word than the kind's, and stays silent on what it does not
recognise.

The shapes follow the services' documented formats, as Apprise's plugins read them:
- Slack: https://hooks.slack.com/services/T…/B…/…, and Workflow Builder's /workflows/ and
  /triggers/ addresses (also on hooks.slack-gov.com); a channel link is
  https://<workspace>.slack.com/archives/C… or https://app.slack.com/client/T…/C….
- Discord: https://discord.com/api/webhooks/<id>/<token> (also discordapp.com, the ptb. and
  canary. hosts, and an API version such as /api/v10/webhooks/); a channel link is
  https://discord.com/channels/<server>/<channel>, an invitation https://discord.gg/….
- Microsoft Teams: incoming webhooks live on several Microsoft hosts (webhook.office.com,
  logic.azure.com, powerplatform.com, ...), so only a channel link (teams.microsoft.com) is
  recognised as a mistake.
- Telegram: a bot token is the bot's number, a colon and a key (123456789:AAH…); a chat is a
  number, or @name for a public channel, never a bot (whose usernames end in "bot").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from .fields import FIELD_MESSAGES, Text

__all__ = [
    "PASTE_MESSAGES",
    "check_discord_webhook",
    "check_slack_webhook",
    "check_teams_webhook",
    "check_telegram_chat",
    "check_telegram_token",
    "setting_message",
]

_SLACK_HOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})
_SLACK_HOOK_PATH = re.compile(r"^/(services|workflows|triggers)/[A-Za-z0-9]")
_DISCORD_HOSTS = frozenset(
    {
        "discord.com",
        "discordapp.com",
        "ptb.discord.com",
        "canary.discord.com",
        "ptb.discordapp.com",
        "canary.discordapp.com",
    }
)
_DISCORD_HOOK_PATH = re.compile(r"^/api/(v\d+/)?webhooks/\d+/[A-Za-z0-9_-]+/?$")
_TEAMS_APP_HOSTS = frozenset({"teams.microsoft.com", "teams.live.com", "teams.cloud.microsoft"})
# Telegram's own format, as Apprise's telegram plugin reads it (without its optional "bot").
_TELEGRAM_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_TELEGRAM_TOKEN_IN_URL = re.compile(r"^bot\d+:[A-Za-z0-9_-]+$", re.IGNORECASE)
_TELEGRAM_LINK = re.compile(r"^(https?://)?(t\.me|telegram\.me)/(?P<name>[A-Za-z0-9_]+)/?$", re.I)
_TELEGRAM_USERNAME = re.compile(r"^@[A-Za-z0-9_]+$")
_BOT_USERNAME = re.compile(r"^@[A-Za-z0-9_]*bot$", re.IGNORECASE)


PASTE_MESSAGES: Mapping[str, Text] = MappingProxyType(
    {
        "slack_channel_link": gettext_lazy(
            "This is a link to a Slack channel, not a webhook address: Slack cannot post "
            "notifications through it. Make an incoming webhook for the channel at "
            "api.slack.com/apps (your app → Incoming Webhooks → “Add New Webhook to "
            "Workspace”) and paste the address that starts with "
            "https://hooks.slack.com/services/."
        ),
        "slack_not_a_webhook": gettext_lazy(
            "This Slack address is not an incoming webhook. Copy the whole address that "
            "starts with https://hooks.slack.com/services/ from your app's Incoming "
            "Webhooks page at api.slack.com/apps."
        ),
        "slack_other_host": gettext_lazy(
            "This address is on %(host)s, not on Slack: Slack's webhook addresses start with "
            "https://hooks.slack.com/services/. To send to a system of your own, choose the "
            "type “Webhook” instead."
        ),
        "discord_channel_link": gettext_lazy(
            "This is a link to a Discord channel or server, not a webhook address: Discord "
            "cannot post notifications through it. In Discord open Server Settings → "
            "Integrations → Webhooks, make a webhook for the channel, click “Copy Webhook "
            "URL” and paste that address (it starts with https://discord.com/api/webhooks/)."
        ),
        "discord_not_a_webhook": gettext_lazy(
            "This Discord address is not a webhook. In Discord open Server Settings → "
            "Integrations → Webhooks and use “Copy Webhook URL”: the address starts with "
            "https://discord.com/api/webhooks/."
        ),
        "discord_other_host": gettext_lazy(
            "This address is on %(host)s, not on Discord: Discord's webhook addresses start "
            "with https://discord.com/api/webhooks/. To send to a system of your own, choose "
            "the type “Webhook” instead."
        ),
        "teams_channel_link": gettext_lazy(
            "This is a link to a Teams channel, not a webhook address: Teams cannot post "
            "notifications through it. In Teams open the channel, click “⋯” → Workflows → "
            "“Post to a channel when a webhook request is received”, finish the steps and "
            "paste the address it shows."
        ),
        "telegram_token_username": gettext_lazy(
            "%(username)s is a Telegram username, not a bot token. In Telegram open the chat "
            "with @BotFather, send /mybots, choose your bot and then “API Token”; the token "
            "looks like 123456789:AAH…."
        ),
        "telegram_token_link": gettext_lazy(
            "This is a link to a Telegram chat or bot, not a bot token. In Telegram open "
            "the chat with @BotFather, send /mybots, choose your bot and then “API Token”; "
            "the token looks like 123456789:AAH…."
        ),
        "telegram_token_bot_prefix": gettext_lazy(
            "Leave out the “bot” in front: the token starts with the bot's number, as in "
            "123456789:AAH…."
        ),
        "telegram_token_chat_id": gettext_lazy(
            "This looks like a chat ID, not a bot token: it belongs in “Chat ID”. The "
            "token comes from @BotFather (/mybots → your bot → “API Token”) and looks like "
            "123456789:AAH…."
        ),
        "telegram_token_shape": gettext_lazy(
            "This is not a Telegram bot token: a token is the bot's number, a colon and a key, "
            "such as 123456789:AAH…. Copy it from @BotFather (/mybots → your bot → “API Token”)."
        ),
        "telegram_chat_link": gettext_lazy(
            "This is a link to a Telegram chat. For a public channel write its name as "
            "@%(name)s; for a person, a group or a private channel enter its numeric ID."
        ),
        "telegram_chat_token": gettext_lazy(
            "This is a bot token, not a chat ID: it belongs in “Bot token”. The chat ID says "
            "where the bot posts, such as 123456789 or -1001234567890."
        ),
        "telegram_chat_bot": gettext_lazy(
            "%(username)s is a bot, and a bot cannot write to another bot. Enter the ID of the "
            "person, group or channel that should receive the notifications (@userinfobot "
            "tells it), or a public channel's @name."
        ),
    }
)


def setting_message(code: str, params: Mapping[str, object] | None = None) -> str | None:
    """What a refused setting's `code` (a FieldSpec.validate refusal) says with its `params`, in
    the active language; None for a code no check raises."""
    message = PASTE_MESSAGES.get(code) or FIELD_MESSAGES.get(code)
    if message is None:
        return None
    return str(message) % params if params else str(message)


def _host_and_path(value: str) -> tuple[str, str]:
    try:
        parts = urlsplit(value)
    except ValueError:
        return "", ""
    return (parts.hostname or "").rstrip("."), parts.path


def _refuse(code: str, **params: str) -> ValidationError:
    return ValidationError(PASTE_MESSAGES[code], code=code, params=params or None)


def check_slack_webhook(value: str) -> None:
    host, path = _host_and_path(value)
    if not host or (host in _SLACK_HOOK_HOSTS and _SLACK_HOOK_PATH.match(path)):
        return
    if host == "app.slack.com" or (host.endswith(".slack.com") and "/archives/" in path):
        raise _refuse("slack_channel_link")
    if host in _SLACK_HOOK_HOSTS:
        raise _refuse("slack_not_a_webhook")
    raise _refuse("slack_other_host", host=host)


def check_discord_webhook(value: str) -> None:
    host, path = _host_and_path(value)
    if not host or (host in _DISCORD_HOSTS and _DISCORD_HOOK_PATH.match(path)):
        return
    invite_or_channel = path.startswith(("/channels/", "/invite/"))
    if host == "discord.gg" or (host in _DISCORD_HOSTS and invite_or_channel):
        raise _refuse("discord_channel_link")
    if host in _DISCORD_HOSTS:
        raise _refuse("discord_not_a_webhook")
    raise _refuse("discord_other_host", host=host)


def check_teams_webhook(value: str) -> None:
    host, _path = _host_and_path(value)
    if host in _TEAMS_APP_HOSTS:
        raise _refuse("teams_channel_link")


def check_telegram_token(value: str) -> None:
    # Spaces inside are the token kind's own word ("one unbroken string").
    if _TELEGRAM_TOKEN.match(value) or re.search(r"\s", value):
        return
    if _TELEGRAM_USERNAME.match(value):
        raise _refuse("telegram_token_username", username=value)
    if _TELEGRAM_LINK.match(value):
        raise _refuse("telegram_token_link")
    if _TELEGRAM_TOKEN_IN_URL.match(value):
        raise _refuse("telegram_token_bot_prefix")
    if re.fullmatch(r"-?\d+", value):
        raise _refuse("telegram_token_chat_id")
    raise _refuse("telegram_token_shape")


def check_telegram_chat(value: str) -> None:
    link = _TELEGRAM_LINK.match(value)
    if link:
        raise _refuse("telegram_chat_link", name=link.group("name"))
    if _TELEGRAM_TOKEN.match(value):
        raise _refuse("telegram_chat_token")
    if _BOT_USERNAME.match(value):
        raise _refuse("telegram_chat_bot", username=value)
