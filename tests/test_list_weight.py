"""A long list stays light: a page of 1000 handlers must not grow past its ceiling before
compression (the target, a megabyte, is reported by `make bench`), so that it arrives and renders
quickly on a slow link."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.urls import reverse

from handlers_app.models import Connection, Team

# Declared once, in tests/bench.py, which reports the target beside its measure.
from tests.bench import BIG_PAGE_BYTES_CEILING
from tests.helpers import client_for


def test_a_page_of_1000_handlers_stays_under_its_ceiling(
    editor: User, team: Team, sandbox, owner: User
) -> None:
    connection = Connection(team=team, name="Big", base_url=sandbox.base_url)
    connection.set_api_key(sandbox.add_account(seed=1000))
    connection.save()

    response = client_for(editor).get(
        reverse("handler_list", args=[connection.pk]), {"results_per_page": 1000}
    )

    assert response.content.count(b'<tr id="handler-') == 1000
    assert len(response.content) < BIG_PAGE_BYTES_CEILING
