"""A long list stays light: a page of 1000 handlers stays under a megabyte before compression
(also reported by `make bench`), in English and in Russian, so that it arrives and renders
quickly on a slow link."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from handlers_app.models import Connection, Team

# Declared once, in tests/bench.py, which reports the target beside its measure.
from tests.bench import BIG_PAGE_BYTES_TARGET
from tests.helpers import client_for


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_page_of_1000_handlers_stays_under_a_megabyte(
    editor: User, team: Team, sandbox, owner: User, language: str
) -> None:
    connection = Connection(team=team, name="Big", base_url=sandbox.base_url)
    connection.set_api_key(sandbox.add_account(seed=1000))
    connection.save()

    response = client_for(editor).get(
        reverse("handler_list", args=[connection.pk]),
        {"results_per_page": 1000},
        headers={"accept-language": language},
    )

    assert response["Content-Language"] == language
    assert response.content.count(b'<tr id="handler-') == 1000
    assert len(response.content) < BIG_PAGE_BYTES_TARGET
