"""One rule for "the same place" (handlers_app.same_place): creating, duplicating and importing
a handler that would send where one of its type already does asks first, as copying and saved
set-ups decide. The person may go on (nothing typed is lost) or leave it out."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from handlers_app.models import Connection, ItemOutcome
from handlers_app.sandbox import Sandbox
from tests.helpers import client_for
from tests.imports_support import csv_upload, import_url, latest_job, row_html

pytestmark = pytest.mark.django_db

SLACK_URL = "https://hooks.slack.com/services/T0SAME/B0SAME/samePlaceSecret42"
RU = {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9"}


@pytest.fixture
def client(editor: User) -> Client:
    return client_for(editor)


@pytest.fixture
def support(sandbox: Sandbox, api_key: str) -> dict:
    return sandbox.add_handler(
        api_key, type="slack", name="Support channel", settings={"slack": SLACK_URL}
    )


def text_of(markup: str) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", markup).split()))


def names(sandbox: Sandbox, api_key: str) -> list[str]:
    return [h["name"] for h in sandbox.handlers(api_key)]


def test_adding_a_second_handler_to_the_same_place_asks_first_and_keeps_what_was_typed(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, support: dict
) -> None:
    typed = {"name": "Support again", "type": "slack", "slack": SLACK_URL}

    response = client.post(reverse("handler_new", args=[connection.pk]), typed)

    page = response.content.decode()
    assert response.status_code == 200
    assert (
        "“Support channel” already sends notifications of this type to the same place"
        in text_of(page)
    )
    assert 'value="Support again"' in page
    assert f'value="{SLACK_URL}"' in page
    assert "Support again" not in names(sandbox, api_key)


def test_add_it_anyway_adds_it(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, support: dict
) -> None:
    typed = {"name": "Support again", "type": "slack", "slack": SLACK_URL, "same_place_ok": "1"}

    response = client.post(reverse("handler_new", args=[connection.pk]), typed)

    assert response.status_code == 302
    assert names(sandbox, api_key).count("Support again") == 1


def test_an_e_mail_address_is_the_same_place_whatever_its_letter_case(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    sandbox.add_handler(api_key, type="email", name="Duty", settings={"email": "duty@acme.test"})
    typed = {"name": "Duty 2", "type": "email", "email": "Duty@ACME.test"}

    response = client.post(reverse("handler_new", args=[connection.pk]), typed)

    assert "“Duty” already sends notifications" in text_of(response.content.decode())


def test_a_duplicate_left_sending_to_the_same_place_asks_first(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, support: dict
) -> None:
    url = reverse("handler_duplicate", args=[connection.pk, support["id"]])

    asked = client.post(url, {"name": "Copy of Support channel"})
    added = client.post(url, {"name": "Copy of Support channel", "same_place_ok": "1"})

    assert "“Support channel” already sends notifications" in text_of(asked.content.decode())
    assert SLACK_URL not in asked.content.decode()
    assert added.status_code == 302
    assert names(sandbox, api_key).count("Copy of Support channel") == 1


def test_a_duplicate_sending_elsewhere_is_added_at_once(
    client: Client, connection: Connection, sandbox: Sandbox, api_key: str, support: dict
) -> None:
    url = reverse("handler_duplicate", args=[connection.pk, support["id"]])
    elsewhere = "https://hooks.slack.com/services/T0SAME/B0OTHER/otherChannel7"

    response = client.post(url, {"name": "Sales channel", "slack": elsewhere})

    assert response.status_code == 302
    assert "Sales channel" in names(sandbox, api_key)


def test_an_import_leaves_out_rows_sending_where_a_handler_already_does(
    client: Client, connection: Connection, support: dict
) -> None:
    content = (
        "type,name,slack\n"
        f"slack,Support (imported),{SLACK_URL}\n"
        "slack,Sales,https://hooks.slack.com/services/T0/B0/salesChannel1\n"
        "slack,Sales twice,https://hooks.slack.com/services/T0/B0/salesChannel1\n"
    )

    response = client.post(import_url(connection), {"file": csv_upload(content)}, follow=True)

    page = response.content.decode()
    rows = {row.position: row for row in latest_job().items.all()}
    assert rows[2].outcome == ItemOutcome.SKIPPED
    assert rows[3].outcome == ItemOutcome.PENDING
    assert rows[4].outcome == ItemOutcome.SKIPPED
    assert "Left out: “Support channel” already sends to the same place." in text_of(
        row_html(page, 2)
    )
    assert "Left out: row 3 of the file sends to the same place." in text_of(row_html(page, 4))


def test_an_import_adds_them_all_when_asked_to(
    client: Client, connection: Connection, support: dict
) -> None:
    content = f"type,name,slack\nslack,Support (imported),{SLACK_URL}\n"

    client.post(import_url(connection), {"file": csv_upload(content), "same_place_ok": "on"})

    (row,) = latest_job().items.all()
    assert row.outcome == ItemOutcome.PENDING


def test_why_a_row_is_left_out_reads_in_the_language_of_whoever_looks(
    client: Client, connection: Connection, support: dict
) -> None:
    content = f"type,name,slack\nslack,Support (imported),{SLACK_URL}\n"
    client.post(import_url(connection), {"file": csv_upload(content)})
    job = latest_job()

    page = client.get(
        reverse("handler_import_job", args=[connection.pk, job.pk]), **RU
    ).content.decode()

    assert "«Support channel» уже отправляет туда же" in text_of(row_html(page, 2))
