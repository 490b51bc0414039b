"""Leaving the list for a bulk job, a copy or saving set-ups keeps the place: their ways back
("Open the list", "Back to the list", after saving) land on the list as it was, with its filter,
order and page, and never on another address."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from handlers_app.models import Connection, Job, Team
from handlers_app.sandbox import Sandbox
from tests.helpers import client_for
from tests.sharing_support import add_connection

LIST_QUERY = {"type": "email", "order_by": "name", "order_type": "DESC", "page": "2"}
PLACE = "?page=2&type=email&order_by=name&order_type=DESC"


def list_url(connection: Connection) -> str:
    return reverse("handler_list", args=[connection.pk])


def links(html: str, element_id: str) -> str:
    before = rf'id="{element_id}"[^>]*href="([^"]+)"'
    after = rf'href="([^"]+)"[^>]*id="{element_id}"'
    found = re.search(f"{before}|{after}", html)
    assert found is not None, element_id
    return unescape(found.group(1) or found.group(2))


def enabled_ids(sandbox: Sandbox, api_key: str, count: int) -> list[int]:
    return [h["id"] for h in sandbox.handlers(api_key) if h["is_enabled"] == 1][:count]


def test_a_bulk_jobs_way_back_is_the_list_as_it_was(
    editor: User, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    client = client_for(editor)
    ids = ",".join(map(str, enabled_ids(sandbox, api_key, 2)))
    response = client.post(
        reverse("handler_bulk", args=[connection.pk]),
        {"action": "disable", "ids": ids, **LIST_QUERY},
    )
    job = Job.objects.get()
    job_url = reverse("handler_bulk_job", args=[connection.pk, job.pk])
    assert response["Location"] == f"{job_url}?next={quote(PLACE, safe='')}"

    page = client.get(response["Location"]).content.decode()
    assert links(page, "bulk-to-list") == list_url(connection) + PLACE


def test_a_place_that_is_not_the_lists_own_query_leads_to_the_plain_list(
    editor: User, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    client = client_for(editor)
    client.post(
        reverse("handler_bulk", args=[connection.pk]),
        {"action": "disable", "ids": str(enabled_ids(sandbox, api_key, 1)[0])},
    )
    job = Job.objects.get()
    job_url = reverse("handler_bulk_job", args=[connection.pk, job.pk])
    for foreign in ("https://evil.example/", "//evil.example/?page=2", "/admin/?page=2"):
        page = client.get(job_url, {"next": foreign}).content.decode()
        assert links(page, "bulk-to-list") == list_url(connection)
        assert 'href="https://evil' not in page and 'href="//evil' not in page
    # A query of the list is read as the list reads it: unknown words are dropped.
    page = client.get(job_url, {"next": "?page=3&evil=1&order_by=password"}).content.decode()
    assert links(page, "bulk-to-list") == list_url(connection) + "?page=3"


def test_a_copy_started_from_the_bulk_bar_leads_back_to_the_list_as_it_was(
    editor: User, owner: User, team: Team, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    add_connection(team, owner, name="Elsewhere", base_url=sandbox.base_url, key=api_key)
    client = client_for(editor)
    response = client.get(
        reverse("handler_bulk", args=[connection.pk]),
        {"action": "copy", "ids": "2", **LIST_QUERY},
    )
    copy_url = reverse("handlers_copy", args=[connection.pk])
    assert response["Location"] == f"{copy_url}?ids=2&next={quote(PLACE, safe='')}"
    page = client.get(response["Location"]).content.decode()
    back = re.search(rf'<a href="([^"]+)">{re.escape(connection.name)}</a>', page)
    assert back is not None and unescape(back.group(1)) == list_url(connection) + PLACE
    # The choice of destination is a form of its own: it carries the place along.
    assert f'<input type="hidden" name="next" value="{PLACE.replace("&", "&amp;")}">' in page


def test_the_more_dialog_and_saving_a_set_up_keep_the_place(
    editor: User, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    client = client_for(editor)
    handler = next(h for h in sandbox.handlers(api_key) if h["type"] == "telegram")
    more = client.get(
        reverse("handler_more", args=[connection.pk, handler["id"]]),
        HTTP_REFERER="http://testserver" + list_url(connection) + PLACE,
    ).content.decode()
    save_url = reverse("setup_save", args=[connection.pk, handler["id"]])
    assert f'href="{save_url}?next={quote(PLACE, safe="")}"' in more
    copy_url = reverse("handlers_copy", args=[connection.pk])
    assert f'href="{copy_url}?ids={handler["id"]}&amp;next={quote(PLACE, safe="")}"' in more

    form = client.get(save_url, {"next": PLACE}).content.decode()
    assert 'name="next" value="' in form
    saved = client.post(save_url, {"name": "Night bot", "next": PLACE})
    assert saved["Location"] == list_url(connection) + PLACE


def test_saving_several_set_ups_from_the_bulk_bar_leads_back_to_the_list(
    editor: User, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    client: Client = client_for(editor)
    ids = [h["id"] for h in sandbox.handlers(api_key) if h["type"] == "telegram"][:2]
    response = client.get(
        reverse("handler_bulk", args=[connection.pk]),
        {"action": "save_presets", "ids": ",".join(map(str, ids)), **LIST_QUERY},
    )
    assert f"next={quote(PLACE, safe='')}" in response["Location"]
    saved = client.post(
        reverse("setup_save_many", args=[connection.pk]),
        {"ids": ",".join(map(str, ids)), "next": PLACE},
    )
    assert saved["Location"] == list_url(connection) + PLACE
