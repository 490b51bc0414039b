from __future__ import annotations

import logging
from argparse import ArgumentParser
from time import sleep
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from handlers_app.batches import jobs_sweep

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Housekeeping of the background jobs (imports, bulk actions, copies): throw away import "
        "previews nobody confirmed within an hour, secrets and all; give up jobs no worker "
        "picked up within a day; queue again the jobs whose worker went away. Once, for cron; "
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
        if every is None:
            self._sweep()
            return
        if every < 1:
            raise CommandError("--every takes a number of seconds, 1 or more.")
        while True:
            # A round that fails (the database restarting, say) is logged, and the next one
            # tries again: the process is started once, beside the workers.
            close_old_connections()
            try:
                self._sweep()
            except Exception:
                logger.exception("Job housekeeping failed; trying again in %d s.", every)
            sleep(every)

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
