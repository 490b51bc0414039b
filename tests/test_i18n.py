"""Russian and English: the browser's language unless the person chose one, no URL prefixes,
and a Russian catalogue that covers every string in the code."""

# Russian text and typographic dashes are the point of this module, not look-alike characters.
# ruff: noqa: RUF001

from __future__ import annotations

import gettext
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import ngettext

from handlers_app.models import Connection
from handlers_app.sandbox import Sandbox
from tests.helpers import client_for

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "handlers_app" / "locale" / "ru" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOGUE.with_suffix(".mo")
RUSSIAN_PLURALS = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);"
)

RU = {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9,en;q=0.8"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


def text_of(response) -> str:
    return response.content.decode()


def list_url(connection: Connection) -> str:
    return reverse("handler_list", args=[connection.pk])


def new_url(connection: Connection) -> str:
    return reverse("handler_new", args=[connection.pk])


# --- pages in the browser's language ----------------------------------------------------------


@pytest.mark.django_db
def test_a_russian_browser_gets_the_sign_in_page_in_russian(owner: User) -> None:
    response = Client().get(reverse("login"), **RU)

    html = text_of(response)
    assert response.headers["Content-Language"] == "ru"
    assert '<html lang="ru">' in html
    assert "Войти" in html
    assert "Нет учётной записи? Попросите у владельца команды ссылку-приглашение." in html
    assert "Имя пользователя" in html
    assert "Sign in" not in html


@pytest.mark.django_db
def test_an_english_browser_gets_english(owner: User) -> None:
    html = text_of(Client().get(reverse("login"), **EN))

    assert '<html lang="en">' in html
    assert "No account? Ask a team owner for an invitation link." in html
    assert "Войти" not in html


@pytest.mark.django_db
def test_a_browser_language_the_dashboard_lacks_falls_back_to_english(owner: User) -> None:
    html = text_of(Client().get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9"))

    assert '<html lang="en">' in html
    assert "Sign in" in html


@pytest.mark.django_db
def test_the_home_page_is_in_russian(owner: User, connection: Connection) -> None:
    html = text_of(client_for(owner).get(reverse("home"), **RU))

    assert "Подключения" in html
    assert "Участники и приглашения" in html
    assert "Soclook main" in html
    assert "Выйти" in html


@pytest.mark.django_db
def test_the_handler_list_is_in_russian(owner: User, connection: Connection) -> None:
    html = text_of(client_for(owner).get(list_url(connection), **RU))

    assert "Обработчики уведомлений" in html
    assert "Показаны 1–25 из 40 обработчиков" in html
    assert "Электронная почта" in html
    assert "Включён" in html
    assert "Выключен" in html
    assert "Сбросить фильтры" not in html
    assert "Добавить обработчик" in html
    assert "Notification handlers" not in html


@pytest.mark.django_db
def test_the_table_swapped_by_htmx_is_in_russian_too(owner: User, connection: Connection) -> None:
    response = client_for(owner).get(
        list_url(connection), {"page": 2}, HTTP_HX_REQUEST="true", **RU
    )

    html = text_of(response)
    assert "<html" not in html
    assert "Показаны 26–40 из 40 обработчиков" in html
    assert "Следующая страница" in html


@pytest.mark.django_db
def test_the_create_form_shows_the_type_its_label_and_help_in_russian(
    editor: User, connection: Connection
) -> None:
    html = text_of(client_for(editor).get(new_url(connection), {"type": "telegram"}, **RU))

    assert "Куда отправлять уведомления?" in html
    assert "Бот Telegram отправляет уведомления человеку, в группу или в канал." in html
    assert "Токен бота" in html
    assert "ID чата" in html
    assert "В Telegram откройте чат с @BotFather" in html
    assert "Добавить обработчик" in html


@pytest.mark.django_db
def test_validation_errors_are_explained_in_russian(
    editor: User, connection: Connection, sandbox: Sandbox
) -> None:
    sandbox.clear_requests()

    response = client_for(editor).post(
        new_url(connection),
        {"name": "", "type": "telegram", "telegram": "123456:AAHtoken", "telegram_chat_id": "my"},
        **RU,
    )

    html = text_of(response)
    assert response.status_code == 200
    assert "Пожалуйста, исправьте:" in html
    assert "Обязательное поле." in html
    assert "Введите числовой ID чата, например 123456789 или -1001234567890" in html
    assert not [r for r in sandbox.requests if r.method == "POST"]


@pytest.mark.django_db
def test_messages_after_an_action_are_in_russian(
    editor: User, connection: Connection, sandbox: Sandbox, api_key: str
) -> None:
    handler = next(h for h in sandbox.handlers(api_key) if h["type"] == "webhook")
    client = client_for(editor)

    response = client.post(
        reverse("handler_delete", args=[connection.pk, handler["id"]]), follow=True, **RU
    )

    assert f"Обработчик «{escape(handler['name'])}» удалён." in text_of(response)


# --- the person's choice wins -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_language_cookie_overrides_the_browser(owner: User) -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = text_of(client.get(reverse("login"), **RU))

    assert '<html lang="en">' in html
    assert "Sign in" in html


@pytest.mark.django_db
def test_choosing_russian_with_the_switcher_overrides_an_english_browser(
    owner: User, connection: Connection
) -> None:
    client = client_for(owner)
    back = list_url(connection)

    response = client.post(reverse("set_language"), {"language": "ru", "next": back}, **EN)

    assert response.status_code == 302
    assert response.headers["Location"] == back
    html = text_of(client.get(back, **EN))
    assert "Обработчики уведомлений" in html


@pytest.mark.django_db
def test_choosing_english_with_the_switcher_overrides_a_russian_browser(owner: User) -> None:
    client = Client()

    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")}, **RU)

    html = text_of(client.get(reverse("login"), **RU))
    assert '<html lang="en">' in html
    assert "Sign in" in html


@pytest.mark.django_db
def test_a_language_the_dashboard_lacks_is_not_remembered(owner: User) -> None:
    client = Client()

    client.post(reverse("set_language"), {"language": "xx", "next": reverse("login")}, **RU)

    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies
    assert "Войти" in text_of(client.get(reverse("login"), **RU))


@pytest.mark.django_db
def test_addresses_have_no_language_prefix(owner: User, connection: Connection) -> None:
    with translation.override("ru"):
        assert list_url(connection) == f"/connections/{connection.pk}/handlers/"

    client = client_for(owner)
    assert client.get(list_url(connection), **RU).status_code == 200
    assert client.get(f"/ru{list_url(connection)}", **RU).status_code == 404


# --- the catalogue ----------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False


def _unquote(text: str) -> str:
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes[m[1]], text.strip()[1:-1])


def read_catalogue(path: Path) -> list[Entry]:
    """The entries of a .po file; just enough of the format for the checks below."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry, part = Entry(msgid=""), None
        parts: dict[str, str] = {}
        for line in block.strip().splitlines():
            if line.startswith("#~"):
                entry.obsolete = True
            elif line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                parts[part] += _unquote(line)
            else:
                part, _, value = line.partition(" ")
                parts[part] = _unquote(value)
        if "msgid" not in parts:
            continue
        entry.msgid = parts["msgid"]
        entry.msgid_plural = parts.get("msgid_plural")
        entry.msgstr = [parts[p] for p in sorted(parts) if p.startswith("msgstr")]
        entries.append(entry)
    return entries


def untranslated(entries: list[Entry]) -> list[str]:
    return [
        e.msgid
        for e in entries
        if e.msgid and not e.obsolete and ("fuzzy" in e.flags or not all(e.msgstr))
    ]


PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}|</?\w+[^>]*>")


def test_the_russian_catalogue_is_complete_and_keeps_every_placeholder() -> None:
    entries = read_catalogue(CATALOGUE)
    header = next(e for e in entries if e.msgid == "")

    assert "Language: ru\n" in header.msgstr[0]
    assert f"Plural-Forms: {RUSSIAN_PLURALS}\n" in header.msgstr[0]
    assert "fuzzy" not in header.flags
    assert untranslated(entries) == []
    for entry in (e for e in entries if e.msgid and not e.obsolete):
        source = entry.msgid_plural or entry.msgid
        expected = sorted(PLACEHOLDER.findall(source))
        assert len(entry.msgstr) == (3 if entry.msgid_plural else 1), entry.msgid
        for msgstr in entry.msgstr:
            assert sorted(PLACEHOLDER.findall(msgstr)) == expected, entry.msgid


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    """The .mo ships with the code; `make messages` rebuilds it after the .po changes."""
    with COMPILED.open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)

    stale = []
    for entry in read_catalogue(CATALOGUE):
        if not entry.msgid or entry.obsolete:
            continue
        if entry.msgid_plural:
            # 1, 2 and 5 take the three Russian forms in turn.
            found = [catalogue.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2, 5)]
        else:
            found = [catalogue.gettext(entry.msgid)]
        if found != entry.msgstr:
            stale.append(entry.msgid)
    assert stale == [], "run `make messages` to compile the catalogue"


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "1 изменение"),
        (2, "2 изменения"),
        (4, "4 изменения"),
        (5, "5 изменений"),
        (11, "11 изменений"),
        (12, "12 изменений"),
        (21, "21 изменение"),
        (22, "22 изменения"),
        (111, "111 изменений"),
        (0, "0 изменений"),
    ],
)
def test_russian_counts_take_the_right_plural_form(count: int, expected: str) -> None:
    with translation.override("ru"):
        text = ngettext("%(counter)s change", "%(counter)s changes", count) % {"counter": count}

    assert text == expected


@pytest.mark.skipif(
    not (shutil.which("xgettext") and shutil.which("msgmerge")),
    reason="GNU gettext tools are not installed",
)
def test_every_string_in_the_code_has_a_russian_translation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `makemessages` would add to the catalogue now must already be translated.

    It runs on a copy, so that the catalogue in the repository is never rewritten by a test.
    """
    skip = shutil.ignore_patterns("__pycache__", "sandbox", "*.mo")
    for folder in ("dashboard", "handlers_app", "templates"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=skip)
    locale = tmp_path / "handlers_app" / "locale"
    monkeypatch.chdir(tmp_path)

    with override_settings(LOCALE_PATHS=[locale]):
        call_command("makemessages", locale=["ru"], no_obsolete=True, verbosity=0)

    missing = untranslated(read_catalogue(locale / "ru" / "LC_MESSAGES" / "django.po"))
    assert missing == [], (
        "run `manage.py makemessages -l ru --no-obsolete` (ignoring .venv, static, staticfiles, "
        "tests and handlers_app/sandbox), translate these in the .po, then `make messages`"
    )
