from __future__ import annotations

import logging
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from handlers_app.batches import jobs_sweep
from handlers_app.management.rounds import rounds_run
from handlers_app.snooze.service import snoozes_wake_due

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Housekeeping of the background jobs (imports, bulk actions, copies): throw away import "
        "previews nobody confirmed within an hour, secrets and all; give up jobs no worker "
        "picked up within a day; queue again the jobs whose worker went away; switch back on the "
        "snoozed handlers whose time has come. Once, for cron; "
        "or with --every, again and again, as make run, make demo and make prod start it "
        "beside the workers."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--every",
            type=int,
            metavar="SECONDS",
            help="Keep running, sweeping every SECONDS seconds.",
        )

    def handle(self, *args: Any, every: int | None = None, **options: Any) -> None:
        if every is not None and every < 1:
            raise CommandError("--every takes a number of seconds, 1 or more.")
        rounds_run(self._sweep, every=every, logger=logger, what="Job housekeeping")

    def _sweep(self) -> None:
        previews, given_up, resumed = jobs_sweep()
        if previews or given_up or resumed:
            logger.info(
                "Job housekeeping: %d old preview(s) thrown away, %d job(s) never started "
                "given up, %d interrupted job(s) queued again.",
                previews,
                given_up,
                resumed,
            )
        woken = snoozes_wake_due()
        if woken:
            logger.info("Housekeeping: %d snoozed handler(s) due to switch back on.", woken)
