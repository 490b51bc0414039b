"""Importing handlers from a CSV file: reading and checking it, then creating the handlers in
the background.

1. `read_csv()` reads an uploaded file and checks every row against the type registry, without
   a single request to the service. A problem with the whole file raises `ImportFileError`; a
   problem with one row is listed on that row, and the rest can still be imported.
2. `import_job_create()` keeps the rows as an `ImportJob` waiting for confirmation: names, types
   and masked destinations in `ImportRow`s, the settings of the valid rows encrypted on the job.
3. `import_job_start()` queues the `import_handlers` task (django.tasks; `manage.py db_worker`
   runs it), which creates the handlers one by one through `services.handler_create`, so each
   is journalled and the cached list refreshed. It works in slices of a few rows, each queued
   behind the other jobs waiting, so that imports of several teams move together. It shares the
   key's request budget with the people using the dashboard: it leaves them a few requests each
   minute, waits (without holding a worker) when the budget is spent, and never sends a row
   twice. When the job ends its encrypted settings are erased.
"""

from __future__ import annotations

import csv
import io
import string
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from time import monotonic, sleep
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.tasks import task
from django.utils import timezone, translation
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from handlers_app.csv_files import unguard_cell
from handlers_app.models import (
    Connection,
    ImportJob,
    ImportRow,
    ImportRowOutcome,
    ImportStatus,
    ImportStopReason,
    Membership,
    Role,
)
from handlers_app.selectors import budget_state, handler_cache_clear
from handlers_app.services import handler_create
from handlers_app.soclook.errors import (
    BadKey,
    OutcomeUnknown,
    RateLimited,
    SoclookError,
    Unavailable,
)
from handlers_app.soclook.types import (
    HANDLER_TYPES,
    NAME_MAX_LENGTH,
    FieldKind,
    FieldSpec,
    HandlerType,
)

__all__ = [
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "ImportFileError",
    "ParsedRow",
    "import_handlers",
    "import_job_create",
    "import_job_expire_if_stalled",
    "import_job_mark_list_refreshed",
    "import_job_start",
    "import_job_stop",
    "import_jobs_recent",
    "import_jobs_sweep",
    "parse_csv_text",
    "preview_expired",
    "read_csv",
    "template_header",
    "template_rows",
]

MAX_FILE_BYTES = 1024 * 1024
MAX_ROWS = 1000
# What the rows table keeps of a name too long to import, to show which row it was.
_STORED_NAME_LENGTH = 200
_FIXED_COLUMNS = ("type", "name")

# The task sends an import in slices of at most this many rows, and starts no new row once a
# slice has taken this long; then it queues the next slice behind the jobs already waiting for
# a worker, so that a long import, or one that meets a slow Soclook, never keeps another team's
# waiting for long (README, "Production": how many workers, and why).
SLICE_ROWS = 10
SLICE_SECONDS = 20
# A wait for the request budget never lasts longer than this, whatever the service announces;
# a row still refused after this many waits stops the import. A worker is not held by a wait:
# the next slice is queued to start after it.
MAX_WAIT_SECONDS = 90
MAX_WAITS_PER_ROW = 5
# Where a wait is spent in the worker (a task backend that cannot defer), it is cut into slices
# of this many seconds, so that "Stop" is heard and the heartbeat keeps beating.
_WAIT_SLICE_SECONDS = 5
# An import leaves the people using the dashboard this many requests of each minute (at most a
# quarter of the plan's limit), so that the list and the forms keep working while it runs.
PEOPLE_HEADROOM = 10
# A running job whose heartbeat is older than this lost its worker (it beats before each row and
# when it queues its next slice, and a wait between slices lasts at most MAX_WAIT_SECONDS).
STALLED_AFTER = timedelta(minutes=5)
# A preview nobody confirmed is thrown away, secrets and all, after this long.
PREVIEW_KEPT_FOR = timedelta(hours=1)
# A queued job no worker picked up is given up after this long.
QUEUED_KEPT_FOR = timedelta(days=1)

_EXAMPLE_BY_KIND = {
    FieldKind.EMAIL: "alerts@example.com",
    FieldKind.URL: "https://example.com/hooks/notifications",
    FieldKind.CHAT_ID: "-1001234567890",
    FieldKind.TEXT: "",
}


class ImportFileError(Exception):
    """The file as a whole cannot be imported; `messages` say why, in words a person can act on."""

    def __init__(self, *messages: str) -> None:
        super().__init__(*messages)
        self.messages = list(messages)


@dataclass(frozen=True)
class ParsedRow:
    """One row of the file after checking. `settings` holds the cleaned values of the type's
    fields that passed; `summary` is what a page may show of the destination."""

    number: int
    type: str
    name: str
    settings: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    problems: tuple[str, ...] = ()

    @property
    def is_valid(self) -> bool:
        return not self.problems


# --- the file's columns and the template ------------------------------------------------------


def template_header() -> list[str]:
    """`type`, `name`, then every settings field of every type, in the registry's order."""
    settings_columns = (name for t in HANDLER_TYPES.values() for name in t.field_names)
    return list(dict.fromkeys((*_FIXED_COLUMNS, *settings_columns)))


# A file may have a few more columns than the template (spreadsheets keep empty ones at the end),
# and no more: every row is checked against every column.
MAX_COLUMNS = len(template_header()) + 10


def template_rows() -> list[list[str]]:
    """The template file: the header and one example row per type."""
    header = template_header()
    rows = [header]
    for handler_type in HANDLER_TYPES.values():
        row = dict.fromkeys(header, "")
        row["type"] = handler_type.slug
        row["name"] = _("Example: %(type)s") % {"type": handler_type.label}
        for spec in handler_type.fields:
            row[spec.name] = _example_value(spec)
        rows.append(list(row.values()))
    return rows


def _example_value(spec: FieldSpec) -> str:
    for candidate in (spec.placeholder, _EXAMPLE_BY_KIND.get(spec.kind)):
        if candidate:
            try:
                return spec.validate(candidate)
            except ValidationError:
                continue
    return "your-" + spec.name.replace("_", "-")


# --- reading and checking a file ---------------------------------------------------------------


def read_csv(upload: UploadedFile) -> list[ParsedRow]:
    """Every row of an uploaded file, checked; raises ImportFileError when the file as a whole
    cannot be imported (too big, not UTF-8, no usable header, too many rows, no rows)."""
    if upload.size is not None and upload.size > MAX_FILE_BYTES:
        raise ImportFileError(_file_too_big())
    raw = upload.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise ImportFileError(_file_too_big())
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            _(
                "The file is not in UTF-8. In Excel choose File → Save As → “CSV UTF-8 (comma "
                "delimited)”; in LibreOffice or Google Sheets save or download it as CSV, which "
                "is UTF-8."
            )
        ) from None
    return parse_csv_text(text)


def parse_csv_text(text: str) -> list[ParsedRow]:
    if "\x00" in text:
        raise ImportFileError(_not_csv())
    # The header holds only column names, so whichever separator it uses more is the file's
    # (spreadsheets set to a comma decimal separator save with semicolons).
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        records = list(_records(text, delimiter))
    except csv.Error:
        raise ImportFileError(_not_csv()) from None
    if not records:
        raise ImportFileError(_("The file is empty. Start from the template."))
    (_header_number, header), *body = records
    columns = _columns(header)
    types = _types_by_name()
    rows = [_parse_row(number, cells, columns, types) for number, cells in body]
    if not rows:
        raise ImportFileError(_("The file has a header but no handlers below it."))
    return _mark_repeats(rows)


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) for each record that is not blank; numbers count blank rows too, as
    a spreadsheet does. Stops with ImportFileError past the header and MAX_ROWS rows."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    seen = 0
    for number, cells in enumerate(reader, start=1):
        if not any(cell.strip() for cell in cells):
            continue
        seen += 1
        if seen > MAX_ROWS + 1:
            raise ImportFileError(
                _(
                    "The file has more than %(max)d handlers. Split it into files of at most "
                    "%(max)d rows and import them one after the other."
                )
                % {"max": MAX_ROWS}
            )
        # A file this dashboard wrote has its formula-like cells guarded (see csv_files).
        yield number, [unguard_cell(cell) for cell in cells]


def _columns(header: Sequence[str]) -> list[str]:
    """The header's column names, lowercased; "" for a column without a name."""
    if len(header) > MAX_COLUMNS:
        raise ImportFileError(
            _(
                "The first row has %(count)d columns; an import takes at most %(max)d (the "
                "template has %(template)d). Start from the template."
            )
            % {"count": len(header), "max": MAX_COLUMNS, "template": len(template_header())}
        )
    columns = [cell.strip().lower() for cell in header]
    known = set(template_header())
    unknown = [i for i, name in enumerate(columns) if name and name not in known]
    counts = Counter(name for name in columns if name)
    repeated = sorted(name for name, count in counts.items() if count > 1)
    problems: list[str] = []
    if unknown:
        # Named by their letters, not their text: a file without a header has data here.
        problems.append(
            _(
                "The first row must name the columns; column %(letters)s of it is not a column "
                "this import knows."
            )
            % {"letters": get_text_list([_column_letter(i) for i in unknown], _("and"))}
        )
    if repeated:
        problems.append(
            _("The column %(names)s appears more than once.")
            % {"names": get_text_list([f"“{name}”" for name in repeated], _("and"))}
        )
    if not set(_FIXED_COLUMNS) <= set(columns):
        problems.append(
            _(
                "The first row must name the columns, and it needs at least “type” and “name”. "
                "Download the template to start from the right header."
            )
        )
    if problems:
        raise ImportFileError(*problems)
    return columns


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = string.ascii_uppercase[remainder] + letters
    return letters


def _parse_row(
    number: int, cells: Sequence[str], columns: Sequence[str], types: dict[str, HandlerType]
) -> ParsedRow:
    values: dict[str, str] = {}
    problems: list[str] = []
    stray = False
    for index, cell in enumerate(cells):
        column = columns[index] if index < len(columns) else ""
        if column:
            values[column] = cell
        elif cell.strip():
            stray = True
    if stray:
        problems.append(
            _("This row has values outside the named columns: check its separators and quotes.")
        )

    raw_type = values.get("type", "").strip()
    handler_type = types.get(raw_type.casefold())
    if not raw_type:
        problems.append(_("Type: this field is required. Use one of: %(types)s.") % _types())
    elif handler_type is None:
        problems.append(
            _("Type: not a type this dashboard knows. Use one of: %(types)s.") % _types()
        )

    name = values.get("name", "").strip()
    if not name:
        problems.append(_("Name: this field is required."))
    elif len(name) > NAME_MAX_LENGTH:
        problems.append(
            _("Name: keep it to at most %(max)d characters (it has %(length)d).")
            % {"max": NAME_MAX_LENGTH, "length": len(name)}
        )

    settings: dict[str, str] = {}
    if handler_type is not None:
        for spec in handler_type.fields:
            try:
                settings[spec.name] = spec.validate(values.get(spec.name, ""))
            except ValidationError as exc:
                problems.extend(
                    f"{spec.label} ({spec.name}): {message}" for message in exc.messages
                )
        unused = [
            column
            for column in columns
            if column
            and column not in _FIXED_COLUMNS
            and column not in handler_type.field_names
            and values.get(column, "").strip()
        ]
        if unused:
            problems.append(
                _("Leave %(columns)s empty: a “%(type)s” handler does not use them.")
                % {
                    "columns": get_text_list([f"“{c}”" for c in unused], _("and")),
                    "type": handler_type.slug,
                }
            )
    return ParsedRow(
        number=number,
        type=handler_type.slug if handler_type is not None else "",
        name=name,
        settings=settings,
        # Only checked values: a secret typed into the e-mail column must not be shown.
        summary=handler_type.summary(settings) if handler_type is not None else "",
        problems=tuple(problems),
    )


def _types_by_name() -> dict[str, HandlerType]:
    """What a type cell may say, casefolded: the API name, or the label in English or in the
    language of the page."""
    names: dict[str, HandlerType] = {}
    for handler_type in HANDLER_TYPES.values():
        with translation.override("en"):
            names[str(handler_type.label).casefold()] = handler_type
        names[str(handler_type.label).casefold()] = handler_type
        names[handler_type.slug] = handler_type
    return names


def _types() -> dict[str, str]:
    return {"types": ", ".join(HANDLER_TYPES)}


def _mark_repeats(rows: list[ParsedRow]) -> list[ParsedRow]:
    """A valid row identical to an earlier one is a slip (a pasted row), not a second handler."""
    first_seen: dict[tuple[Any, ...], int] = {}
    result: list[ParsedRow] = []
    for row in rows:
        if row.is_valid:
            key = (row.type, row.name, tuple(sorted(row.settings.items())))
            if key in first_seen:
                problem = _("The same as row %(number)d, so it is left out.") % {
                    "number": first_seen[key]
                }
                row = replace(row, settings={}, problems=(problem,))
            else:
                first_seen[key] = row.number
        result.append(row)
    return result


def _not_csv() -> str:
    return _("This does not read as a CSV file. Save it from your spreadsheet as CSV.")


def _file_too_big() -> str:
    return _(
        "The file is larger than %(size)d MB. Split it into smaller files and import them one "
        "after the other."
    ) % {"size": MAX_FILE_BYTES // (1024 * 1024)}


# --- jobs ----------------------------------------------------------------------------------------


def import_job_create(
    *,
    connection: Connection,
    user: AbstractBaseUser,
    file_name: str,
    rows: Sequence[ParsedRow],
) -> ImportJob:
    """Keep checked rows as an import waiting for the person to confirm it."""
    import_jobs_sweep()
    job = ImportJob(connection=connection, created_by=user, file_name=file_name[:200])
    job.set_payload({str(row.number): row.settings for row in rows if row.is_valid})
    with transaction.atomic():
        job.save()
        ImportRow.objects.bulk_create(
            ImportRow(
                job=job,
                number=row.number,
                type=row.type,
                name=_shortened(row.name),
                summary=row.summary[:300],
                problems=list(row.problems),
                outcome=ImportRowOutcome.PENDING if row.is_valid else ImportRowOutcome.SKIPPED,
            )
            for row in rows
        )
    return job


def import_job_start(*, job: ImportJob) -> bool:
    """Queue a confirmed import; False when it was not waiting for confirmation (a second
    click, or an expired preview)."""
    if job.status != ImportStatus.PREVIEW or preview_expired(job):
        return False
    started = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEW).update(
        status=ImportStatus.QUEUED, updated_at=timezone.now()
    )
    if not started:
        return False
    if not job.rows.filter(outcome=ImportRowOutcome.PENDING).exists():
        _end(job, reason=None)
        return True
    import_handlers.enqueue(job_id=job.pk)
    return True


def import_job_stop(*, job: ImportJob) -> None:
    """Throw away an unconfirmed import, or stop one that is queued or running.

    A running job stops before its next row; the row being sent finishes first. Between two
    slices (waiting for the budget or for a worker) nothing is being sent, so it ends at once.
    """
    if job.status == ImportStatus.PREVIEW:
        job.delete()
        return
    reason = ImportStopReason.STOPPED_BY_PERSON
    if _end(job, reason=reason, if_status=(ImportStatus.QUEUED,)):
        return
    if _end(job, reason=reason, if_status=(ImportStatus.RUNNING,), between_slices=True):
        return
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(stop_requested=True)


def import_job_expire_if_stalled(*, job: ImportJob) -> bool:
    """End a job whose worker went away (its heartbeat stopped); True if it was ended."""
    now = timezone.now()
    stalled = (job.status == ImportStatus.RUNNING and job.updated_at < now - STALLED_AFTER) or (
        job.status == ImportStatus.QUEUED and job.updated_at < now - QUEUED_KEPT_FOR
    )
    return stalled and _end(
        job, reason=ImportStopReason.INTERRUPTED, if_status=(ImportStatus(job.status),)
    )


def import_jobs_sweep() -> None:
    """Erase what abandoned imports still hold: old previews, and jobs whose worker is gone."""
    now = timezone.now()
    ImportJob.objects.filter(
        status=ImportStatus.PREVIEW, created_at__lt=now - PREVIEW_KEPT_FOR
    ).delete()
    for job in ImportJob.objects.filter(
        Q(status=ImportStatus.RUNNING, updated_at__lt=now - STALLED_AFTER)
        | Q(status=ImportStatus.QUEUED, updated_at__lt=now - QUEUED_KEPT_FOR)
    ):
        import_job_expire_if_stalled(job=job)


def import_jobs_recent(*, connection: Connection, limit: int = 10) -> QuerySet[ImportJob]:
    """The connection's latest confirmed imports, with their rows counted by outcome."""
    counts = {
        f"{outcome}_count": Count("rows", filter=Q(rows__outcome=outcome))
        for outcome in ImportRowOutcome.values
    }
    return (
        ImportJob.objects.filter(connection=connection)
        .exclude(status=ImportStatus.PREVIEW)
        .select_related("created_by")
        .annotate(**counts)[:limit]
    )


def import_job_mark_list_refreshed(*, job: ImportJob) -> None:
    """Once, after a job ended: forget the cached list in this process.

    The worker cleared the cache after each create, but with the in-process cache (no
    REDIS_URL) that was the worker's own memory, not the web server's.
    """
    if not job.is_over or job.list_cache_cleared:
        return
    if ImportJob.objects.filter(pk=job.pk, list_cache_cleared=False).update(
        list_cache_cleared=True
    ):
        job.list_cache_cleared = True
        if job.rows.filter(
            outcome__in=(ImportRowOutcome.CREATED, ImportRowOutcome.UNKNOWN)
        ).exists():
            handler_cache_clear(connection=job.connection)


def preview_expired(job: ImportJob) -> bool:
    """An unconfirmed import kept past PREVIEW_KEPT_FOR can no longer be started."""
    return job.created_at < timezone.now() - PREVIEW_KEPT_FOR


def _shortened(name: str) -> str:
    if len(name) <= _STORED_NAME_LENGTH:
        return name
    return name[: _STORED_NAME_LENGTH - 1] + "…"


# --- the task ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _NextSlice:
    """Where a slice stopped before the import's end: after how many seconds the next slice may
    start, and how many times its first row was already refused for the rate limit."""

    after: int = 0
    waits: int = 0


@task
def import_handlers(*, job_id: int, waits: int = 0) -> dict[str, int]:
    """Create the next slice of a confirmed import's rows, then queue the slice after it, or end
    the job; returns the count of rows by outcome once the job ended.

    `waits`: how many times the next row was already refused for the rate limit.
    """
    job = _claim(job_id)
    if job is None:
        # Stopped or given up meanwhile, or a slice of it is running already.
        return {}
    try:
        step = _create_slice(job, waits=waits)
    except (KeyboardInterrupt, SystemExit):
        # The worker was told to stop at once.
        _end(job, reason=ImportStopReason.INTERRUPTED)
        raise
    except Exception:
        _end(job, reason=ImportStopReason.ERROR)
        raise
    if isinstance(step, _NextSlice) and _stop_requested(job):
        step = ImportStopReason.STOPPED_BY_PERSON
    if isinstance(step, _NextSlice):
        _queue_next_slice(job, step)
        return {}
    _end(job, reason=step)
    return dict(Counter(job.rows.values_list("outcome", flat=True)))


def _claim(job_id: int) -> ImportJob | None:
    """The job, now running this slice: a queued job starts; a running one goes on only from
    between two slices, so that no two slices of it ever run at once."""
    now = timezone.now()
    started = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=now, updated_at=now
    )
    resumed = started or ImportJob.objects.filter(
        pk=job_id, status=ImportStatus.RUNNING, waiting_until__isnull=False
    ).update(waiting_until=None, updated_at=now)
    if not resumed:
        return None
    return ImportJob.objects.select_related("created_by").get(pk=job_id)


def _create_slice(job: ImportJob, *, waits: int) -> _NextSlice | ImportStopReason | None:
    """Send the next rows, at most SLICE_ROWS of them and no more once SLICE_SECONDS have
    passed; None when no row is left to send, a reason when the import must stop."""
    started = monotonic()
    settings_by_row = job.payload
    pending = job.rows.filter(outcome=ImportRowOutcome.PENDING).order_by("number")
    for index, row in enumerate(pending[:SLICE_ROWS]):
        # Only the first row of a slice may have been refused for the rate limit before.
        row_waits = waits if index == 0 else 0
        if index and monotonic() - started >= SLICE_SECONDS:
            return _NextSlice(waits=row_waits)
        go_on = _may_go_on(job)
        if isinstance(go_on, ImportStopReason):
            return go_on
        connection, user = go_on
        spare = _seconds_to_spare_for_people(connection)
        if spare:
            return _NextSlice(after=spare, waits=row_waits)
        step = _create_row(
            row,
            connection=connection,
            user=user,
            settings=settings_by_row[str(row.number)],
            waits=row_waits,
        )
        _touch(job)
        if step is not None:
            return step
    if pending.exists():
        return _NextSlice()
    return None


def _may_go_on(job: ImportJob) -> tuple[Connection, AbstractBaseUser] | ImportStopReason:
    """The connection as it now stands and whom to send as, or why the import must stop
    before its next row."""
    state = ImportJob.objects.filter(pk=job.pk).values("status", "stop_requested").first()
    if state is None or state["status"] != ImportStatus.RUNNING:
        # Deleted with its connection, or given up for stalled while this worker hung.
        return ImportStopReason.INTERRUPTED
    if state["stop_requested"]:
        return ImportStopReason.STOPPED_BY_PERSON
    # Its key or address may have been changed meanwhile.
    connection = Connection.objects.filter(pk=job.connection_id).first()
    if connection is None:
        return ImportStopReason.INTERRUPTED
    user = job.created_by
    membership = Membership.objects.filter(user_id=job.created_by_id, team=connection.team_id)
    allowed = membership.first()
    if user is None or allowed is None or not allowed.allows(Role.EDITOR):
        return ImportStopReason.NO_PERMISSION
    return connection, user


def _seconds_to_spare_for_people(connection: Connection) -> int:
    """How long to wait before the next create, to leave the people using the dashboard their
    share of the key's budget; 0 to go on now."""
    budget = budget_state(connection=connection)
    headroom = min(PEOPLE_HEADROOM, budget.limit // 4)
    if budget.remaining <= headroom and budget.resets_in:
        return max(1, budget.resets_in)
    return 0


def _create_row(
    row: ImportRow,
    *,
    connection: Connection,
    user: AbstractBaseUser,
    settings: dict[str, str],
    waits: int,
) -> _NextSlice | ImportStopReason | None:
    """Send one row; None when it is settled, a next slice to send it again after the rate
    limit's wait, a reason when the import must stop."""
    rows = ImportRow.objects.filter(pk=row.pk)
    # Claimed by its outcome: a row is sent by one slice only.
    if not rows.filter(outcome=ImportRowOutcome.PENDING).update(outcome=ImportRowOutcome.SENDING):
        return None
    try:
        handler_id = handler_create(
            connection=connection, user=user, name=row.name, type=row.type, settings=settings
        )
    except RateLimited as exc:
        # Refused before it was applied (here or by the service): safe to send again.
        rows.update(outcome=ImportRowOutcome.PENDING)
        if waits == MAX_WAITS_PER_ROW:
            return ImportStopReason.RATE_LIMITED
        return _NextSlice(after=max(1, exc.retry_after), waits=waits + 1)
    except OutcomeUnknown:
        # It may exist now: sending it again could make a second one.
        rows.update(outcome=ImportRowOutcome.UNKNOWN)
    except BadKey:
        rows.update(outcome=ImportRowOutcome.NOT_SENT)
        return ImportStopReason.BAD_KEY
    except Unavailable:
        rows.update(outcome=ImportRowOutcome.NOT_SENT)
        return ImportStopReason.UNAVAILABLE
    except SoclookError as exc:
        rows.update(outcome=ImportRowOutcome.REFUSED, message=exc.message[:300])
    else:
        rows.update(outcome=ImportRowOutcome.CREATED, handler_id=handler_id)
    return None


def _queue_next_slice(job: ImportJob, step: _NextSlice) -> None:
    """Queue the next slice behind the jobs already waiting for a worker, `step.after` seconds
    from now at the earliest (at most MAX_WAIT_SECONDS); the page shows until when it waits."""
    seconds = min(step.after, MAX_WAIT_SECONDS)
    resume_at = timezone.now() + timedelta(seconds=seconds)
    _touch(job, waiting_until=resume_at)
    next_slice = import_handlers
    if seconds and import_handlers.get_backend().supports_defer:
        # The worker is free meanwhile for other jobs.
        next_slice = import_handlers.using(run_after=resume_at)
    elif seconds:
        # A backend that cannot defer (the immediate one, which runs the next slice inside this
        # call) waits here.
        _wait(job, seconds)
    next_slice.enqueue(job_id=job.pk, waits=step.waits)


def _wait(job: ImportJob, seconds: int) -> None:
    """Sleep through a wait in slices, so that the heartbeat keeps beating and "Stop" is heard."""
    left = seconds
    while left > 0 and not _stop_requested(job):
        step = min(left, _WAIT_SLICE_SECONDS)
        sleep(step)
        left -= step
        _touch(job)


def _stop_requested(job: ImportJob) -> bool:
    """Someone asked it to stop, or it was ended meanwhile."""
    return not ImportJob.objects.filter(
        pk=job.pk, status=ImportStatus.RUNNING, stop_requested=False
    ).exists()


def _touch(job: ImportJob, **changes: Any) -> None:
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now(), **changes)


def _end(
    job: ImportJob,
    *,
    reason: ImportStopReason | None,
    if_status: Sequence[ImportStatus] = (ImportStatus.QUEUED, ImportStatus.RUNNING),
    between_slices: bool = False,
) -> bool:
    """Close a job that is still in one of `if_status` (and, with `between_slices`, has no
    slice running): erase its encrypted settings and settle the rows left open. False when it
    was not (someone else closed or claimed it first)."""
    jobs = ImportJob.objects.filter(pk=job.pk, status__in=if_status)
    if between_slices:
        jobs = jobs.filter(waiting_until__isnull=False)
    with transaction.atomic():
        ended = jobs.update(
            status=ImportStatus.FINISHED if reason is None else ImportStatus.STOPPED,
            stop_reason=reason or "",
            finished_at=timezone.now(),
            waiting_until=None,
            payload_encrypted="",
        )
        if ended:
            # A row whose request was under way when the worker went away may exist now.
            job.rows.filter(outcome=ImportRowOutcome.SENDING).update(
                outcome=ImportRowOutcome.UNKNOWN
            )
            job.rows.filter(outcome=ImportRowOutcome.PENDING).update(
                outcome=ImportRowOutcome.NOT_SENT
            )
    return bool(ended)
