"""Calls to a Soclook API address go through the outbound guard: what a person sees when the
address is refused, redirects, drips, sends too much, or answers like some other service.

The sandbox plays each misbehaving server; SOCLOOK_TIMEOUT is lowered to 0.5 s.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from handlers_app.models import Connection
from handlers_app.outbound import PrivateAddress
from handlers_app.sandbox import Fault
from handlers_app.sandbox.api import list_page as list_page_payload
from handlers_app.sandbox.api import php_json
from handlers_app.sandbox.server import FOREIGN_HOST, REDIRECT_TARGET
from handlers_app.soclook import ListQuery
from handlers_app.soclook.client import MAX_ANSWER_BYTES, SoclookClient
from handlers_app.soclook.errors import AddressRefused, NotSoclook, OutcomeUnknown, Unavailable
from handlers_app.soclook.types import HANDLER_TYPES, NAME_MAX_LENGTH, VALUE_MAX_LENGTH
from tests.helpers import client_for
from tests.test_production import production_env, run_manage

PRIVATE = "This address is inside a private network"
ELSEWHERE = "This address sends you elsewhere."
NOT_SOCLOOK = "This address does not answer like the Soclook API."
TOO_LARGE = "The answer is too large."
UNAVAILABLE = "not responding properly"
UNKNOWN_ON_FORM = "may or may not have been saved"


@pytest.fixture(autouse=True)
def _short_timeout(settings, sandbox) -> None:
    settings.SOCLOOK_TIMEOUT = 0.5
    sandbox.slow_seconds = 3
    sandbox.huge_bytes = 16 * MAX_ANSWER_BYTES


@pytest.fixture
def client(editor: User) -> Client:
    return client_for(editor)


def list_page(client: Client, connection: Connection) -> str:
    response = client.get(reverse("handler_list", args=[connection.pk]))
    assert response.status_code == 200
    return response.text


def create(client: Client, connection: Connection) -> str:
    response = client.post(
        reverse("handler_new", args=[connection.pk]),
        {"name": "Night shift", "type": "email", "email": "night@example.com"},
    )
    assert response.status_code == 200
    assert 'value="night@example.com"' in response.text
    return response.text


# --- the address ---------------------------------------------------------------------------


def test_private_addresses_are_allowed_by_default_only_with_debug() -> None:
    script = "from django.conf import settings; print(settings.SOCLOOK_ALLOW_PRIVATE_ADDRESSES)"
    for debug, allowed in (("0", "False"), ("1", "True")):
        result = run_manage("shell", "-c", script, env=production_env(DEBUG=debug))
        assert result.stdout.split()[-1] == allowed, result.stderr


def test_the_demo_says_why_it_cannot_reach_the_sandbox(settings) -> None:
    settings.DEBUG = True
    settings.SOCLOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(CommandError, match="SOCLOOK_ALLOW_PRIVATE_ADDRESSES"):
        call_command("demo")


def test_a_private_api_address_is_refused_without_a_request(
    settings, client: Client, connection: Connection, sandbox
) -> None:
    settings.SOCLOOK_ALLOW_PRIVATE_ADDRESSES = False

    text = list_page(client, connection)

    assert "The handlers could not be loaded." in text
    assert PRIVATE in text
    assert sandbox.requests == []


def test_allowing_private_addresses_reaches_the_local_sandbox(
    client: Client, connection: Connection, sandbox
) -> None:
    assert PRIVATE not in list_page(client, connection)
    assert len(sandbox.requests) == 1


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        ("http://169.254.169.254/api/", PRIVATE),
        ("http://10.0.0.7:8080/api/", PRIVATE),
        ("http://[::1]/api/", PRIVATE),
        ("https://user@soclook.ru/api/", "must not contain a user name or password"),
        ("https://soclook.ru:22/api/", "a port that is not allowed (22)"),
    ],
)
def test_the_connection_form_refuses_an_address_the_guard_refuses(
    settings, owner: User, sandbox, base_url: str, message: str
) -> None:
    settings.SOCLOOK_ALLOW_PRIVATE_ADDRESSES = False

    response = client_for(owner).post(
        "/connections/new/", {"name": "Inside", "base_url": base_url, "api_key": "k" * 20}
    )

    assert response.status_code == 200
    assert message in response.text
    assert 'value="Inside"' in response.text
    assert not Connection.objects.exists()
    assert sandbox.requests == []


def test_the_connection_form_refuses_user_info_even_where_private_addresses_are_allowed(
    owner: User, sandbox, api_key: str
) -> None:
    base_url = sandbox.base_url.replace("http://", "http://admin@")
    response = client_for(owner).post(
        "/connections/new/", {"name": "Inside", "base_url": base_url, "api_key": api_key}
    )
    assert "must not contain a user name or password" in response.text
    assert not Connection.objects.exists()
    assert sandbox.requests == []


# --- what answers at the address ------------------------------------------------------------


def test_a_redirect_is_never_followed(client: Client, connection: Connection, sandbox) -> None:
    sandbox.add_fault(Fault("redirect"))

    text = list_page(client, connection)

    assert ELSEWHERE in text
    assert REDIRECT_TARGET not in text
    assert len(sandbox.requests) == 1


def test_a_redirected_write_is_not_sent_again(
    client: Client, connection: Connection, sandbox, api_key: str
) -> None:
    before = sandbox.handlers(api_key)
    sandbox.add_fault(Fault("redirect", method="POST"))

    assert ELSEWHERE in create(client, connection)
    assert len([r for r in sandbox.requests if r.method == "POST"]) == 1
    assert sandbox.handlers(api_key) == before


def test_a_dripping_answer_is_abandoned_at_the_deadline(
    client: Client, connection: Connection, sandbox
) -> None:
    sandbox.add_fault(Fault("drip"))

    text = list_page(client, connection)

    assert UNAVAILABLE in text
    assert len(sandbox.requests) == 1


def test_a_dripping_answer_to_a_write_leaves_the_outcome_unknown(
    client: Client, connection: Connection, sandbox
) -> None:
    sandbox.add_fault(Fault("drip", method="POST"))

    assert UNKNOWN_ON_FORM in create(client, connection)
    assert len([r for r in sandbox.requests if r.method == "POST"]) == 1


def test_a_huge_answer_is_abandoned_past_the_cap(
    client: Client, connection: Connection, sandbox
) -> None:
    sandbox.add_fault(Fault("huge"))

    assert TOO_LARGE in list_page(client, connection)


def test_another_services_answer_is_not_shown_as_handlers(
    client: Client, connection: Connection, sandbox
) -> None:
    sandbox.add_fault(Fault("foreign_json"))

    text = list_page(client, connection)

    assert NOT_SOCLOOK in text
    assert FOREIGN_HOST not in text


def test_another_services_answer_to_a_write_leaves_the_outcome_unknown(
    client: Client, connection: Connection, sandbox
) -> None:
    sandbox.add_fault(Fault("foreign_json", method="POST"))

    text = create(client, connection)

    assert UNKNOWN_ON_FORM in text
    assert FOREIGN_HOST not in text


def test_another_services_error_is_not_echoed(
    client: Client, connection: Connection, sandbox
) -> None:
    sandbox.add_fault(Fault("foreign_error", method="POST"))

    text = create(client, connection)

    assert NOT_SOCLOOK in text
    assert FOREIGN_HOST not in text


# --- the client's deadline and size cap ---------------------------------------------------------


def test_retries_stay_within_the_calls_deadline(sandbox, api_key: str) -> None:
    client = SoclookClient(base_url=sandbox.base_url, api_key=api_key, timeout=0.5, backoff=1)
    sandbox.add_fault(Fault("503", count=3))

    with pytest.raises(Unavailable) as caught:
        client.list_handlers()

    assert caught.value.status == 503
    assert len(sandbox.requests) == 1


def test_guard_failures_become_the_clients_errors(settings, sandbox, api_key: str) -> None:
    client = SoclookClient(base_url=sandbox.base_url, api_key=api_key, backoff=0)
    sandbox.add_fault(Fault("foreign_json"))
    with pytest.raises(NotSoclook):
        client.list_handlers()
    sandbox.add_fault(Fault("drip", method="POST"))
    with pytest.raises(OutcomeUnknown):
        client.create_handler(name="Ops", type="email", settings={"email": "ops@example.com"})
    settings.SOCLOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(AddressRefused) as caught:
        SoclookClient(base_url=sandbox.base_url, api_key=api_key).delete_handler(1)
    assert isinstance(caught.value.reason, PrivateAddress)
    assert caught.value.message == PrivateAddress().message


def test_a_thousand_handlers_at_the_longest_values_fit_under_the_cap(sandbox) -> None:
    key = sandbox.add_account(seed=0)
    widest = max(HANDLER_TYPES.values(), key=lambda handler_type: len(handler_type.fields))
    for number in range(1000):
        sandbox.add_handler(
            key,
            type=widest.slug,
            # Cyrillic names and slashes are what the live service's JSON spells longest.
            name=f"{number:04}".ljust(NAME_MAX_LENGTH, "ж"),
            settings=dict.fromkeys(widest.field_names, "/" * VALUE_MAX_LENGTH),
            datetime="2025-04-04 08:01:10",
            last_datetime="2025-04-04 08:01:10",
        )
    as_the_live_service_writes_it = php_json(
        list_page_payload(sandbox.handlers(key), {"results_per_page": "1000"}, "live", "x" * 60)
    )
    assert len(as_the_live_service_writes_it) <= MAX_ANSWER_BYTES

    page = SoclookClient(base_url=sandbox.base_url, api_key=key, timeout=30).list_handlers(
        ListQuery(results_per_page=1000)
    )

    assert len(page.items) == 1000
