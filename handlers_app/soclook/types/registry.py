"""The handler types Soclook can create, in the order the type picker shows them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from .fields import FieldKind, FieldSpec
from .kinds import Delivery, HandlerType, _sends
from .pastes import (
    check_discord_webhook,
    check_slack_webhook,
    check_teams_webhook,
    check_telegram_chat,
    check_telegram_token,
)

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
                    recognise=check_slack_webhook,
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
                    recognise=check_discord_webhook,
                ),
            ),
            docs_hint=_WEBHOOK_HELP_TAIL,
            test_delivery=_sends(Delivery.DISCORD, {"url": "discord"}),
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
                    example="123456789:AAH-example-token",
                    recognise=check_telegram_token,
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
                    recognise=check_telegram_chat,
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
                    recognise=check_teams_webhook,
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
