"""The dashboard's own error pages: refused, not found and our own failure, in the reader's
language, under the top bar, with a way back; the failure page renders without the database."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.urls import reverse

from handlers_app.models import Connection
from handlers_app.views import errors, handlers
from tests.helpers import client_for


def test_a_viewer_opening_the_add_link_gets_the_dashboards_refusal_page(
    viewer: User, connection: Connection
) -> None:
    response = client_for(viewer).get(reverse("handler_new", args=[connection.pk]))
    assert response.status_code == 403
    page = response.content.decode()
    assert "You cannot open this page" in page
    assert "Your role in this team does not allow it." in page
    # The top bar, and a way back.
    assert 'aria-label="Main"' in page
    assert f'href="{reverse("journal")}"' in page
    assert 'id="error-home"' in page


def test_the_refusal_page_offers_the_page_the_viewer_came_from(
    viewer: User, connection: Connection
) -> None:
    came_from = "http://testserver" + reverse("handler_list", args=[connection.pk]) + "?page=2"
    response = client_for(viewer).get(
        reverse("handler_new", args=[connection.pk]), HTTP_REFERER=came_from
    )
    assert f'id="error-back" href="{came_from}"' in response.content.decode()


def test_the_refusal_page_never_links_back_to_another_site(
    viewer: User, connection: Connection
) -> None:
    response = client_for(viewer).get(
        reverse("handler_new", args=[connection.pk]), HTTP_REFERER="https://evil.example/x"
    )
    assert "evil.example" not in response.content.decode()


def test_the_pages_speak_russian_to_a_russian_reader(viewer: User, connection: Connection) -> None:
    client = client_for(viewer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    refused = client.get(reverse("handler_new", args=[connection.pk])).content.decode()
    assert "Эта страница вам недоступна" in refused
    missing = client.get("/no/such/page/").content.decode()
    assert "Такой страницы нет" in missing
    assert '<html lang="ru">' in missing


def test_an_unknown_address_gets_the_dashboards_not_found_page(editor: User) -> None:
    response = client_for(editor).get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "This page does not exist" in page
    assert 'aria-label="Main"' in page
    assert 'id="error-home"' in page


def test_a_failure_of_ours_gets_the_dashboards_page_with_the_request_id(
    editor: User, connection: Connection, monkeypatch
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(handlers, "handler_page", broken)
    client = Client(raise_request_exception=False)
    client.force_login(editor)
    response = client.get(reverse("handler_list", args=[connection.pk]))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert response["X-Request-ID"] in page
    assert "the database went away" not in page
    assert 'id="error-home"' in page


def test_the_failure_page_renders_without_the_database() -> None:
    # No django_db mark: any query fails the test.
    request = RequestFactory().get("/")
    request.request_id = "abc123"
    response = errors.server_error(request)
    assert response.status_code == 500
    assert "abc123" in response.content.decode()
    assert 'aria-label="Main"' in response.content.decode()


@pytest.mark.parametrize("status", [403, 404, 500])
def test_the_error_pages_are_the_dashboards_own(status: int) -> None:
    from dashboard import urls

    assert getattr(urls, f"handler{status}").startswith("handlers_app.views.errors.")
