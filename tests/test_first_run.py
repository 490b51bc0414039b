from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client

from handlers_app.models import Membership, Role


def test_a_fresh_database_offers_to_create_the_first_administrator(db: None) -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"] == "/setup/"


def test_the_first_administrator_gets_a_team_and_is_signed_in(db: None) -> None:
    client = Client()
    response = client.post(
        "/setup/",
        {
            "username": "admin",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "team_name": "Support",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/connections/new/"
    user = User.objects.get(username="admin")
    assert user.is_superuser
    assert Membership.objects.get(user=user).role == Role.OWNER
    assert client.get("/connections/new/").status_code == 200


def test_the_setup_page_is_gone_once_someone_exists(owner: User) -> None:
    assert Client().get("/setup/").status_code == 404


def test_a_visitor_is_sent_to_sign_in(owner: User) -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_signing_in_with_username_and_password(owner: User) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "olga", "password": "correct-horse-battery-staple"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
