"""A limit is declared once, and the pages that state it read it from there."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from handlers_app.imports.reading import MAX_FILE_MEGABYTES, MAX_ROWS
from handlers_app.models import Connection
from handlers_app.soclook.types import NAME_MAX_LENGTH
from handlers_app.views.handlers import SEARCH_MAX_LENGTH
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def test_the_upload_page_states_the_name_and_file_limits_the_import_applies(
    editor: User, connection: Connection
) -> None:
    html = client_for(editor).get(reverse("handler_import", args=[connection.pk])).text

    assert f"<code>name</code>, at most {NAME_MAX_LENGTH} characters." in html
    assert f"at most {MAX_FILE_MEGABYTES} MB and {MAX_ROWS} handlers." in html


def test_the_upload_page_states_them_in_russian_too(editor: User, connection: Connection) -> None:
    html = (
        client_for(editor)
        .get(reverse("handler_import", args=[connection.pk]), headers={"Accept-Language": "ru"})
        .text
    )

    assert f"<code>name</code> — не больше {NAME_MAX_LENGTH} символов." in html
    assert f"размер не больше {MAX_FILE_MEGABYTES} МБ, обработчиков не больше {MAX_ROWS}." in html


def test_the_search_box_takes_no_more_than_the_list_searches(
    viewer: User, connection: Connection
) -> None:
    html = client_for(viewer).get(reverse("handler_list", args=[connection.pk])).text

    assert f'name="search" value="" maxlength="{SEARCH_MAX_LENGTH}"' in html
