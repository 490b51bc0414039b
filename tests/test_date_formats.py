"""One way to write a moment per language on every page, never ambiguous: "7 Dec 2026 05:59"
and "7 декабря 2026 05:59", never "12/07/2026" or "5:59 a.m."."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from handlers_app.models import Connection, Job, JobAction, JobStatus, SavedSetup, Team
from tests.helpers import client_for

MOMENT = datetime(2026, 12, 7, 5, 59, tzinfo=UTC)
# What Django writes by default somewhere: numeric dates, a.m./p.m., "Dec." with a dot.
AMBIGUOUS = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b|\d{2}\.\d{2}\.\d{4}|\b[ap]\.m\.|\bDec\. ")


def rendered(source: str, language: str, **values: object) -> str:
    with translation.override(language):
        return Template("{% load moments %}" + source).render(Context(values))


def test_a_moment_reads_the_same_in_every_template_in_english() -> None:
    assert ">7 Dec 2026 05:59</time>" in rendered("{{ when|moment }}", "en", when=MOMENT)
    assert rendered('{{ when|date:"SHORT_DATETIME_FORMAT" }}', "en", when=MOMENT) == (
        "7 Dec 2026 05:59"
    )
    assert rendered('{{ when|date:"SHORT_DATE_FORMAT" }}', "en", when=MOMENT) == "7 Dec 2026"
    assert rendered("{{ when }}", "en", when=MOMENT) == "7 Dec 2026 05:59"


def test_a_moment_reads_the_same_in_every_template_in_russian() -> None:
    assert ">7 декабря 2026 05:59</time>" in rendered("{{ when|moment }}", "ru", when=MOMENT)
    assert rendered('{{ when|date:"SHORT_DATETIME_FORMAT" }}', "ru", when=MOMENT) == (
        "7 декабря 2026 05:59"
    )
    assert rendered('{{ when|date:"SHORT_DATE_FORMAT" }}', "ru", when=MOMENT) == "7 декабря 2026"


def _setup(team: Team, user: User) -> SavedSetup:
    setup = SavedSetup(team=team, name="Duty bot", type="telegram", created_by=user)
    setup.set_settings({"telegram": "123:AAHdates", "telegram_chat_id": "-100123"})
    setup.save()
    return setup


def test_the_set_ups_team_and_bulk_job_pages_write_dates_one_way(
    owner: User, team: Team, connection: Connection
) -> None:
    _setup(team, owner)
    job = Job.objects.create(
        connection=connection,
        action=JobAction.DISABLE,
        status=JobStatus.FINISHED,
        created_by=owner,
    )
    client = client_for(owner)
    for language in ("en", "ru"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for url in (
            reverse("setup_list", args=[team.pk]),
            reverse("team_detail", args=[team.pk]),
            reverse("handler_bulk_job", args=[connection.pk, job.pk]),
        ):
            page = client.get(url).content.decode()
            assert not AMBIGUOUS.findall(page), (url, language)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    setups = client.get(reverse("setup_list", args=[team.pk])).content.decode()
    assert re.search(r"Saved by \w+ on <time datetime=\"[^\"]+\"[^>]*>\d{1,2} \w{3} \d{4} ", setups)
    started = client.get(reverse("handler_bulk_job", args=[connection.pk, job.pk])).text
    assert re.search(r"started by \w+ on <time datetime=", started)
