"""The loop of the commands started once beside the workers (`jobs_housekeeping`,
`check_handlers`): a round once, for cron, or again every so many seconds for the life of the
process."""

from __future__ import annotations

import logging
from collections.abc import Callable
from time import sleep

from django.db import close_old_connections

__all__ = ["rounds_run"]


def rounds_run(
    one_round: Callable[[], None], *, every: int | None, logger: logging.Logger, what: str
) -> None:
    """Run `one_round` once, or (with `every`) forever, a round every `every` seconds. A round
    that fails (the database restarting, say) is logged as "`what` failed", and the next one
    tries again: the process is started once, beside the workers."""
    if every is None:
        one_round()
        return
    while True:
        close_old_connections()
        try:
            one_round()
        except Exception:
            logger.exception("%s failed; trying again in %d s.", what, every)
        sleep(every)
