"""How wide a file's header may be: a few columns more than the template, each still checked,
and no more (checking every row against every column must stay cheap)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.urls import reverse

from handlers_app.imports.reading import MAX_COLUMNS, template_header
from handlers_app.models import Connection, Job
from handlers_app.sandbox import Sandbox
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

ROW = "email,On-call mail,oncall@example.com"


def upload(user: User, connection: Connection, content: str) -> HttpResponse:
    file = SimpleUploadedFile("wide.csv", content.encode(), content_type="text/csv")
    return client_for(user).post(
        reverse("handler_import", args=[connection.pk]), {"file": file}, follow=True
    )


def test_a_header_of_40000_repeated_columns_is_refused_at_once_by_its_width(
    editor: User, connection: Connection, sandbox: Sandbox
) -> None:
    sandbox.clear_requests()

    html = upload(editor, connection, "type,name,email" + ",x" * 40_000 + f"\n{ROW}\n").text

    assert (
        f"The first row has 40003 columns; an import takes at most {MAX_COLUMNS} "
        f"(the template has {len(template_header())}). Start from the template."
    ) in html
    assert "appears more than once" not in html
    assert "not a column this import knows" not in html
    assert not Job.objects.exists()
    assert sandbox.requests == []


def test_one_empty_column_past_the_limit_is_refused(editor: User, connection: Connection) -> None:
    header = "type,name,email" + "," * (MAX_COLUMNS - 2)

    html = upload(editor, connection, f"{header}\n{ROW}\n").text

    assert f"The first row has {MAX_COLUMNS + 1} columns" in html
    assert not Job.objects.exists()


def test_a_header_as_wide_as_allowed_is_imported(editor: User, connection: Connection) -> None:
    header = ",".join([*template_header(), *[""] * (MAX_COLUMNS - len(template_header()))])

    html = upload(editor, connection, f"{header}\n{ROW}\n").text

    assert "1 of 1 rows is ready to import." in html


def test_every_column_of_a_header_as_wide_as_allowed_is_still_checked(
    editor: User, connection: Connection
) -> None:
    names = ["type", "name", "email", "email", "pager"]
    header = ",".join([*names, *["x"] * (MAX_COLUMNS - len(names))])

    html = upload(editor, connection, f"{header}\n{ROW}\n").text

    assert "The first row has" not in html
    assert "The column “email” and “x” appears more than once." in html
    assert "not a column this import knows" in html
    assert not Job.objects.exists()
