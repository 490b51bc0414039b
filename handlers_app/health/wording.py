"""What a check learned, in plain words in the reader's language (a stored finding keeps only
its code and values)."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from handlers_app.soclook.types import HandlerType

__all__ = ["NO_CHECK_CODE", "ONLY_SOCLOOK_CODE", "UNKNOWN_TYPE_CODE", "no_check_code", "sentence"]

# Why a handler has no silent check: its type has none but a test can be sent; only Soclook can
# reach its destination; the dashboard does not know its type.
NO_CHECK_CODE = "no_silent_check"
ONLY_SOCLOOK_CODE = "only_soclook"
UNKNOWN_TYPE_CODE = "unknown_type"

_SENTENCES: dict[str, Promise] = {
    "discord_fine": _("Posts as “%(name)s” to channel %(channel)s."),
    "discord_deleted": _("This Discord webhook was deleted: nothing posted to it arrives."),
    "discord_bad_token": _(
        "Discord does not accept this webhook's address any more: its token was reset."
    ),
    "telegram_fine": _("Posts as %(bot)s to “%(chat)s”."),
    "telegram_bad_token": _("Telegram does not know this bot token: it was revoked or mistyped."),
    "telegram_removed": _("The bot %(bot)s was removed from this chat."),
    "telegram_chat_not_found": _(
        "The bot %(bot)s cannot see this chat: nobody started the bot there, or the chat is gone."
    ),
    "x_fine": _("Posts as @%(handle)s."),
    "x_bad_keys": _("X does not accept these keys: they were revoked or regenerated."),
    "x_forbidden": _(
        "X refuses this account or app: it may be suspended, or the app lacks the permission."
    ),
    "email_fine": _("%(domain)s takes mail (its mail server is %(host)s)."),
    "email_fine_address": _("%(domain)s takes mail at its own address (it names no mail server)."),
    "email_no_domain": _("The domain %(domain)s does not exist: no mail reaches it."),
    "email_null_mx": _("The domain %(domain)s says it takes no mail."),
    "email_no_mail_server": _("%(domain)s has no mail server and no address: no mail reaches it."),
    "dns_timeout": _("The mail servers of %(domain)s could not be looked up in %(seconds)s s."),
    "dns_failed": _("The mail servers of %(domain)s could not be looked up just now."),
    "rate_limited": _("%(host)s asked to wait %(seconds)s s; the check is tried again later."),
    "timeout": _("%(host)s did not answer within %(seconds)s s."),
    "unreachable": _("%(host)s could not be reached."),
    "address_refused": _("This address may not be reached from the dashboard (%(host)s)."),
    "unclear_answer": _("%(host)s answered HTTP %(status)s, which says neither way."),
    NO_CHECK_CODE: _(
        "%(type)s offers no way to check a handler without posting to it: only “Send a test” "
        "can tell."
    ),
    ONLY_SOCLOOK_CODE: _(
        "Only Soclook can reach these destinations, so only an alert sent by Soclook can tell."
    ),
    UNKNOWN_TYPE_CODE: _("This dashboard cannot check handlers of this type."),
}


def no_check_code(handler_type: HandlerType) -> str:
    if not handler_type.is_known:
        return UNKNOWN_TYPE_CODE
    if handler_type.test_delivery is None:
        return ONLY_SOCLOOK_CODE
    return NO_CHECK_CODE


def sentence(code: str, params: Mapping[str, object]) -> str:
    template = _SENTENCES.get(code)
    if template is None:
        return str(_("The last check could not be read."))
    try:
        return str(template) % dict(params)
    except (KeyError, TypeError, ValueError):
        return str(_("The last check could not be read."))
