from __future__ import annotations

import logging
import re
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand

from handlers_app.health.runs import check_round
from handlers_app.management.rounds import rounds_run

logger = logging.getLogger(__name__)

_DURATION_RE = re.compile(r"^(\d+)\s*([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}


def duration(text: str) -> int:
    """ "24h", "30m", "90s", "1d" or a number of seconds, as seconds (1 or more)."""
    found = _DURATION_RE.match(text.strip().lower())
    seconds = int(found[1]) * _UNIT_SECONDS[found[2]] if found else 0
    if seconds < 1:
        raise ArgumentTypeError(
            f"{text!r} is not a duration: write it as 24h, 30m, 90s, 1d or a number of seconds."
        )
    return seconds


class Command(BaseCommand):
    help = (
        "Check every handler of every connection without sending anything (silent checks), "
        "within each connection's request budget and the destinations' limits, and e-mail the "
        "owners once about handlers that turned to “needs attention”. Once, for cron; or with "
        "--every (24h, 30m, ...), again and again, as make run and make prod start it beside "
        "the housekeeping."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--every",
            type=duration,
            metavar="DURATION",
            help="Keep running, a round every DURATION (24h, 30m, 90s, 1d or seconds).",
        )

    def handle(self, *args: Any, every: int | None = None, **options: Any) -> None:
        rounds_run(self._round, every=every, logger=logger, what="Health checks")

    def _round(self) -> None:
        rounds = check_round()
        checked = sum(found.checked for found in rounds.values())
        turned = sum(len(found.turned) for found in rounds.values())
        left = sum(1 for found in rounds.values() if found.failed)
        logger.info(
            "Health checks: %d handler(s) of %d connection(s) checked, %d newly needing "
            "attention, %d connection(s) left for the next round.",
            checked,
            len(rounds),
            turned,
            left,
        )
