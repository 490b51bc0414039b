"""Copying handlers to another connection: the preview, the copy, whose key and budget it
spends, and who may do it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from handlers_app.batches import MAX_SELECTED
from handlers_app.budget import CacheBudget, key_fingerprint
from handlers_app.models import (
    Connection,
    Job,
    JournalAction,
    JournalEntry,
    Membership,
    Role,
    Team,
)
from handlers_app.sandbox import Fault, Sandbox
from tests.helpers import client_for, make_user
from tests.sharing_support import (
    BOT_TOKEN,
    SLACK,
    add_chosen,
    add_connection,
    add_live_account,
)

pytestmark = pytest.mark.django_db


def text(html: str) -> str:
    return re.sub(r"\s+", " ", html)


@pytest.fixture
def live_sandbox() -> Iterator[Sandbox]:
    """A second Soclook at its own address: the live account the test account copies to."""
    with Sandbox() as server:
        yield server


@pytest.fixture
def live_key(live_sandbox: Sandbox) -> str:
    return add_live_account(live_sandbox)


@pytest.fixture
def live(team: Team, owner: User, live_sandbox: Sandbox, live_key: str) -> Connection:
    return add_connection(
        team, owner, name="Soclook live", base_url=live_sandbox.base_url, key=live_key
    )


@pytest.fixture
def chosen(sandbox: Sandbox, api_key: str) -> dict[str, int]:
    return add_chosen(sandbox, api_key)


def copy_url(connection: Connection, ids: list[int]) -> str:
    return reverse("handlers_copy", args=[connection.pk]) + "?ids=" + ",".join(map(str, ids))


def used_budget(connection: Connection) -> int:
    fingerprint = key_fingerprint(base_url=connection.base_url, api_key=connection.api_key)
    return CacheBudget(fingerprint=fingerprint).state().used


@pytest.fixture
def client(editor: User) -> Client:
    return client_for(editor)


def test_the_preview_lists_what_is_added_and_what_is_skipped(
    client: Client,
    connection: Connection,
    live: Connection,
    chosen: dict[str, int],
    sandbox: Sandbox,
    live_sandbox: Sandbox,
) -> None:
    sandbox.clear_requests()

    response = client.get(copy_url(connection, list(chosen.values())) + f"&destination={live.pk}")

    html = response.content.decode()
    assert response.status_code == 200
    added = html.split('id="copy-to-create"')[1].split("</ul>")[0]
    skipped = html.split('id="copy-to-skip"')[1].split("</ul>")[0]
    assert "On-call bot" in added and "Night shift" in added
    assert "stays switched off" in added
    assert "Ops mail" in skipped
    assert "already has a handler of this type sending to the same place: “Ops mail (live)”" in (
        skipped
    )
    assert "Copy 2 handlers" in html
    assert BOT_TOKEN not in html and "s3cr3tCopyPath" not in html
    assert [r.method for r in sandbox.requests + live_sandbox.requests if r.method != "GET"] == []


def test_copy_creates_in_the_destination_with_its_own_key_and_budget(
    client: Client,
    connection: Connection,
    live: Connection,
    chosen: dict[str, int],
    sandbox: Sandbox,
    live_sandbox: Sandbox,
    api_key: str,
    live_key: str,
) -> None:
    sandbox.clear_requests()

    response = client.post(
        reverse("handlers_copy", args=[connection.pk]),
        {"ids": ",".join(map(str, chosen.values())), "destination": live.pk},
    )

    assert response.status_code == 200
    assert "2 handlers were added to “Soclook live”." in response.content.decode()
    copies = {h["name"]: h for h in live_sandbox.handlers(live_key)}
    assert set(copies) == {"Ops mail (live)", "On-call bot", "Night shift"}
    assert copies["On-call bot"]["settings"]["telegram"] == BOT_TOKEN
    assert copies["On-call bot"]["settings"]["telegram_chat_id"] == "-1009876543210"
    assert copies["On-call bot"]["is_enabled"] == 1
    assert copies["Night shift"]["settings"]["slack"] == SLACK
    assert copies["Night shift"]["is_enabled"] == 0
    # Every write went to the destination's address with its key; the source was only read.
    assert {r.api_key for r in live_sandbox.requests} == {live_key}
    assert {r.api_key for r in sandbox.requests} == {api_key}
    assert [r.method for r in sandbox.requests] == ["GET"] * len(sandbox.requests)
    assert [r.method for r in live_sandbox.requests if r.method != "GET"] == ["POST"] * 3
    # Each key's budget counts the requests sent with it, and nothing else.
    assert used_budget(live) == len(live_sandbox.requests)
    assert used_budget(connection) == len(sandbox.requests)
    assert used_budget(connection) < used_budget(live)
    journal = JournalEntry.objects.filter(connection=live).values_list("action", "handler_name")
    assert sorted(journal) == [
        (JournalAction.HANDLER_CREATED, "Night shift"),
        (JournalAction.HANDLER_CREATED, "On-call bot"),
        (JournalAction.HANDLER_DISABLED, "Night shift"),
    ]
    assert not JournalEntry.objects.filter(connection=connection).exists()


def test_copying_again_adds_nothing(
    client: Client,
    connection: Connection,
    live: Connection,
    chosen: dict[str, int],
    live_sandbox: Sandbox,
    live_key: str,
) -> None:
    data = {"ids": ",".join(map(str, chosen.values())), "destination": live.pk}
    client.post(reverse("handlers_copy", args=[connection.pk]), data)

    response = client.post(reverse("handlers_copy", args=[connection.pk]), data)

    assert "0 handlers were added" in response.content.decode()
    assert "3 were skipped: they were already there." in response.content.decode()
    assert len(live_sandbox.handlers(live_key)) == 3


def test_all_handlers_matching_the_list_filter_can_be_copied(
    client: Client,
    connection: Connection,
    live: Connection,
    chosen: dict[str, int],
    live_sandbox: Sandbox,
    live_key: str,
) -> None:
    url = reverse("handlers_copy", args=[connection.pk])

    response = client.post(url, {"all": "1", "search": "Night", "destination": live.pk})

    assert "1 handler was added to “Soclook live”." in response.content.decode()
    assert "Night shift" in {h["name"] for h in live_sandbox.handlers(live_key)}


def test_a_filter_matching_more_than_one_copy_takes_is_refused_before_anything_is_written(
    client: Client,
    connection: Connection,
    live: Connection,
    sandbox: Sandbox,
    live_sandbox: Sandbox,
    api_key: str,
) -> None:
    for number in range(MAX_SELECTED + 1 - len(sandbox.handlers(api_key))):
        sandbox.add_handler(api_key, type="email", name=f"Mail {number}", settings={})
    sandbox.clear_requests()

    response = client.post(
        reverse("handlers_copy", args=[connection.pk]), {"all": "1", "destination": live.pk}
    )

    assert "1001 handlers match this filter; one copy takes at most 1000." in (
        response.content.decode()
    )
    assert [r.method for r in sandbox.requests] == ["GET"]
    assert live_sandbox.requests == []
    assert not Job.objects.exists()


def test_a_failing_destination_reports_each_handler(
    client: Client,
    connection: Connection,
    live: Connection,
    chosen: dict[str, int],
    live_sandbox: Sandbox,
) -> None:
    live_sandbox.add_fault(Fault("json_500", method="POST"))

    response = client.post(
        reverse("handlers_copy", args=[connection.pk]),
        {"ids": f"{chosen['bot']},{chosen['slack']}", "destination": live.pk},
        follow=True,
    )

    html = text(response.content.decode())
    assert "It stopped: Soclook stopped responding properly." in html
    assert (
        "0 added, 0 skipped as already there, 0 refused by Soclook, 0 unknown, 2 not sent." in html
    )
    assert BOT_TOKEN not in html
    assert [r.method for r in live_sandbox.requests if r.method == "POST"] == ["POST"]


@pytest.mark.parametrize("method", ["get", "post"])
def test_viewer_cannot_copy(
    method: str,
    viewer: User,
    connection: Connection,
    live: Connection,
    chosen: dict[str, int],
    sandbox: Sandbox,
    live_sandbox: Sandbox,
) -> None:
    sandbox.clear_requests()
    url = reverse("handlers_copy", args=[connection.pk])
    data = {"ids": ",".join(map(str, chosen.values())), "destination": live.pk}

    response = getattr(client_for(viewer), method)(url, data)

    assert response.status_code == 403
    assert sandbox.requests == [] and live_sandbox.requests == []
    assert not JournalEntry.objects.exists()


def test_a_destination_the_person_may_only_view_is_refused(
    connection: Connection,
    chosen: dict[str, int],
    live_sandbox: Sandbox,
    live_key: str,
) -> None:
    elsewhere = Team.objects.create(name="Platform")
    person = make_user("pavel")
    Membership.objects.create(user=person, team=connection.team, role=Role.OWNER)
    Membership.objects.create(user=person, team=elsewhere, role=Role.VIEWER)
    viewed = Connection(team=elsewhere, name="Viewed only", base_url=live_sandbox.base_url)
    viewed.set_api_key(live_key)
    viewed.save()
    live_sandbox.clear_requests()

    response = client_for(person).post(
        reverse("handlers_copy", args=[connection.pk]),
        {"ids": str(chosen["bot"]), "destination": viewed.pk},
    )

    assert "Viewed only" not in response.content.decode()
    assert "There is no other connection you may add handlers to." in response.content.decode()
    assert live_sandbox.requests == []


def test_only_an_owner_copies_secrets_to_another_team(
    editor: User,
    connection: Connection,
    chosen: dict[str, int],
    live_sandbox: Sandbox,
    live_key: str,
) -> None:
    theirs = Team.objects.create(name="Editor's own team")
    Membership.objects.create(user=editor, team=theirs, role=Role.OWNER)
    outside = Connection(team=theirs, name="Outside", base_url=live_sandbox.base_url)
    outside.set_api_key(live_key)
    outside.save()
    live_sandbox.clear_requests()
    client = client_for(editor)
    url = reverse("handlers_copy", args=[connection.pk])

    offered = client.get(url + f"?ids={chosen['bot']}").content.decode()
    response = client.post(url, {"ids": str(chosen["bot"]), "destination": outside.pk})

    assert "Outside" not in offered
    assert "Handlers can be copied to another team's connection only by an owner" in offered
    assert "There is no other connection you may add handlers to." in response.content.decode()
    assert live_sandbox.requests == []


def test_ids_that_are_not_numbers_are_refused_plainly(
    client: Client, connection: Connection, live: Connection, chosen: dict[str, int]
) -> None:
    url = reverse("handlers_copy", args=[connection.pk])

    response = client.get(url + f"?ids=x,{chosen['bot']},-3,²,{'9' * 40},{chosen['bot']}")

    assert response.status_code == 200
    assert "This address does not name handlers the dashboard can find." in text(
        response.content.decode()
    )


def test_a_type_the_dashboard_only_displays_is_shown_as_not_copyable_and_never_sent(
    client: Client,
    connection: Connection,
    live: Connection,
    chosen: dict[str, int],
    sandbox: Sandbox,
    live_sandbox: Sandbox,
    api_key: str,
    live_key: str,
) -> None:
    twilio = sandbox.add_handler(
        api_key, type="twilio", name="SMS to on-call", settings={"to": "+15550100"}
    )
    ids = f"{chosen['bot']},{twilio['id']}"
    url = reverse("handlers_copy", args=[connection.pk])

    preview = text(client.get(url, {"ids": ids, "destination": live.pk}).content.decode())
    live_sandbox.clear_requests()
    done = text(client.post(url, {"ids": ids, "destination": live.pk}).content.decode())

    assert "1 will be added" in preview and "1 cannot be copied" in preview
    assert "Soclook does not take new ones through its API" in preview
    assert "Copy 1 handler" in preview
    assert [r.method for r in live_sandbox.requests if r.method == "POST"] == ["POST"]
    assert [h["type"] for h in live_sandbox.handlers(live_key) if h["type"] == "twilio"] == []
    assert "1 handler was added" in done and "1 was not copied" in done
