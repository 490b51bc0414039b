"""Replace a destination everywhere: every handler sending to an e-mail address, a web address
(webhooks, Slack, Discord, Teams) or a Telegram chat, across every connection a person may edit,
found and then pointed at a new one.

The replacing is a job kind of handlers_app.batches (`ReplaceJob`), one job per connection,
with the old and new values sealed in its payload: each handler is read again and changed
through `services.handler_update`, so each change is journalled with the handler as it was, and
"Undo this change" puts the old destination back. A web address is a secret of the team whose
connection holds it: it is written only as handlers_app.secret_flow allows.

What counts as a destination comes from the registry's field kinds (an e-mail field, a web
address field, a chat ID field), so no type is named here. Each connection's handlers are read
once, through the read cache, with its own key. Web addresses are secrets (they carry tokens):
a page shows the handlers found by their names and masked destinations, never the address; the
person typed the old one and types the new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from handlers_app.batches import Kind, Target, item_handler, item_settle, job_of_handlers
from handlers_app.models import Connection, ItemOutcome, Job, JobAction, JobItem
from handlers_app.secret_flow import SecretsMayNotGo, secrets_may_go, secrets_send_check
from handlers_app.selectors import handler_all
from handlers_app.services import handler_update
from handlers_app.soclook import Handler
from handlers_app.soclook.errors import SoclookError
from handlers_app.soclook.types import HANDLER_TYPES, VALUE_MAX_LENGTH, FieldKind, FieldSpec

__all__ = [
    "Found",
    "FoundHandler",
    "ReplaceForm",
    "ReplaceJob",
    "ReplaceKind",
    "field_of_kind",
    "replace_find",
    "replace_jobs_create",
    "replaced_settings",
]


class ReplaceKind(models.TextChoices):
    EMAIL = FieldKind.EMAIL.value, _("An e-mail address")
    URL = FieldKind.URL.value, _("A web address: a webhook, Slack, Discord or Teams")
    CHAT_ID = FieldKind.CHAT_ID.value, _("A Telegram chat")


def field_of_kind(kind: ReplaceKind) -> FieldSpec:
    """A field of the kind, to check a value typed for it as its own form would."""
    for handler_type in HANDLER_TYPES.values():
        for field in handler_type.fields:
            if field.kind == kind:
                return field
    raise LookupError(f"no handler type has a {kind} field")


@dataclass(frozen=True)
class FoundHandler:
    """A handler sending to the old destination, and which of its settings hold it."""

    handler: Handler
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Found:
    """One connection: its handlers sending to the old destination, or why it could not be
    read (`error`)."""

    connection: Connection
    handlers: tuple[FoundHandler, ...] = ()
    error: str = ""


def replace_find(*, connections: Iterable[Connection], kind: ReplaceKind, old: str) -> list[Found]:
    """Each connection's handlers that send to `old` (a value of `kind`), in the connections'
    order; a connection none of whose handlers does is left out, one that could not be read is
    kept with its error."""
    found = []
    for connection in connections:
        try:
            handlers = handler_all(connection=connection)
        except SoclookError as exc:
            found.append(Found(connection=connection, error=exc.message))
            continue
        matching = []
        for handler in handlers:
            fields = _fields_holding(handler, kind, old)
            if fields:
                matching.append(FoundHandler(handler=handler, fields=fields))
        if matching:
            found.append(Found(connection=connection, handlers=tuple(matching)))
    return found


def replace_jobs_create(
    *, user: AbstractBaseUser, found: Iterable[Found], kind: ReplaceKind, old: str, new: str
) -> list[Job]:
    """One job per connection of `found` with handlers to change, to be run by
    `batches.job_start()`. A secret destination is checked against the rule of where secrets
    may go (SecretsMayNotGo) before anything is kept."""
    jobs = []
    for place in found:
        if not place.handlers:
            continue
        if field_of_kind(kind).secret:
            secrets_send_check(
                user, source_team_id=place.connection.team_id, destination=place.connection
            )
        jobs.append(
            job_of_handlers(
                connection=place.connection,
                user=user,
                action=JobAction.REPLACE,
                handlers=[match.handler for match in place.handlers],
                payload={"kind": str(kind), "old": old, "new": new},
            )
        )
    return jobs


class ReplaceJob(Kind):
    """Point one handler at the new destination, if it still sends to the old one."""

    def run(
        self, job: Job, item: JobItem, target: Target, *, resumed: bool, settle_only: bool
    ) -> None:
        payload = job.payload
        kind, old, new = ReplaceKind(payload["kind"]), payload["old"], payload["new"]
        connection = target.connection
        current = item_handler(item, target, resumed=resumed)
        fields = _fields_holding(current, kind, old)
        if not fields:
            done = resumed and _fields_holding(current, kind, new)
            item_settle(item, ItemOutcome.DONE if done else ItemOutcome.UNCHANGED)
            return
        if settle_only:
            item_settle(item, ItemOutcome.NOT_SENT)
            return
        if field_of_kind(kind).secret and not secrets_may_go(
            target.user, source_team_id=connection.team_id, destination=connection
        ):
            item_settle(item, ItemOutcome.REFUSED, message=SecretsMayNotGo.message)
            return
        handler_update(
            connection=connection,
            user=target.user,
            current=current,
            name=current.name,
            type=current.type,
            settings=replaced_settings(settings=current.settings, fields=fields, new=new),
        )
        item_settle(item, ItemOutcome.DONE)


def replaced_settings(
    *, settings: Mapping[str, str], fields: Iterable[str], new: str
) -> dict[str, str]:
    """The handler's settings with `new` in the fields that held the old destination."""
    return {**settings, **dict.fromkeys(fields, new)}


def _fields_holding(handler: Handler, kind: ReplaceKind, old: str) -> tuple[str, ...]:
    handler_type = handler.handler_type
    if not handler_type.is_known:
        return ()
    return tuple(
        field.name
        for field in handler_type.fields
        if field.kind == kind and _same(kind, handler.settings.get(field.name, ""), old)
    )


def _same(kind: ReplaceKind, stored: str, typed: str) -> bool:
    """Whether a stored value is the destination typed: an e-mail address whatever its case."""
    stored, typed = stored.strip(), typed.strip()
    if not stored or not typed:
        return False
    if kind == ReplaceKind.EMAIL:
        return stored.casefold() == typed.casefold()
    return stored == typed


class ReplaceForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What to replace"),
        choices=ReplaceKind.choices,
        widget=forms.RadioSelect,
        initial=ReplaceKind.EMAIL,
    )
    old = forms.CharField(label=_("Handlers now sending to"), max_length=VALUE_MAX_LENGTH)
    new = forms.CharField(label=_("Send to this instead"), max_length=VALUE_MAX_LENGTH)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if not kind:
            return cleaned
        field = field_of_kind(ReplaceKind(kind))
        for name in ("old", "new"):
            if name in cleaned:
                try:
                    cleaned[name] = field.validate(str(cleaned[name]))
                except ValidationError as exc:
                    self.add_error(name, exc)
        old, new = cleaned.get("old"), cleaned.get("new")
        if old and new and _same(ReplaceKind(kind), old, new):
            self.add_error("new", _("This is the destination being replaced."))
        return cleaned
