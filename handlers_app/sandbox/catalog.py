"""What the emulated service knows: handler types, their settings fields, list options, messages.

Development/test tool only. This table describes the *service*, not the dashboard: the dashboard's
own registry lives in `handlers_app/soclook/types/` and may know fewer types on purpose.
"""

from __future__ import annotations

# Types Soclook offers; only these can be created.
SOCLOOK_TYPES: dict[str, tuple[str, ...]] = {
    "email": ("email",),
    "webhook": ("webhook",),
    "slack": ("slack",),
    "discord": ("discord",),
    "telegram": ("telegram", "telegram_chat_id"),
    "microsoft_teams": ("microsoft_teams",),
    "x": ("x_consumer_key", "x_consumer_secret", "x_access_token", "x_access_token_secret"),
    "push_subscriber_id": ("push_subscriber_id",),
}

# Offered by sibling services on the same white-label platform. Accounts can still hold them
# (seeded), and an update may name them, but Soclook refuses to create them.
PLATFORM_ONLY_TYPES: dict[str, tuple[str, ...]] = {
    "twilio": ("twilio",),
    "twilio_call": ("twilio_call",),
    "whatsapp": ("whatsapp",),
    "google_chat": ("google_chat",),
    "internal_notification": (),
}

ALL_TYPES: dict[str, tuple[str, ...]] = {**SOCLOOK_TYPES, **PLATFORM_ONLY_TYPES}
ALL_SETTINGS_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(field for fields in ALL_TYPES.values() for field in fields)
)

RESULTS_PER_PAGE_CHOICES = (10, 25, 50, 100, 250, 500, 1000)
DEFAULT_RESULTS_PER_PAGE = 25
ORDER_BY_CHOICES = ("notification_handler_id", "datetime", "last_datetime", "name")
# The platform compares order_type against the upper-case words only.
ORDER_TYPE_CHOICES = ("ASC", "DESC")
SEARCH_BY_CHOICES = ("name",)
IS_ENABLED_FILTER_CHOICES = ("0", "1", "2")

NAME_MAX_LENGTH = 128
SETTING_MAX_LENGTH = 512

# Waiting for the owner to confirm an e-mail address.
IS_ENABLED_WAITING = 2

TITLE_BAD_KEY = "Неверный API ключ"
TITLE_HANDLER_NOT_FOUND = "Обработчик уведомлений не найден."
TITLE_PATH_NOT_FOUND = "Такого адреса в API нет."
TITLE_METHOD_NOT_ALLOWED = "Метод не поддерживается."
TITLE_RATE_LIMITED = "Слишком много запросов. Повторите попытку позже."
TITLE_FIELD_REQUIRED = "Поле «{field}» обязательно для заполнения."
TITLE_BAD_TYPE = "Недопустимый тип обработчика уведомлений: «{value}»."
TITLE_BAD_IS_ENABLED = "Поле «is_enabled» должно быть 0 или 1."
TITLE_PLAN_LIMIT = "Вы достигли лимита обработчиков этого типа на вашем тарифе."
