"""Refused requests are logged once per reason per interval, with a count, so a flood cannot fill the disk.

The first refusal for a reason is logged at once, so a misconfiguration (a wrong skill ID, a clock
off by minutes) shows up with the first request it breaks; further ones within the interval are
counted and reported by a timer when it ends. Reasons are fixed phrases that never quote the
request, and only ``MAX_REASONS`` are tracked at a time: any others share one "other reasons" line.
The window logic is the runtime's `ThrottledLog`; this only names the entries.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from skill.runtime.throttle import INTERVAL_SECONDS, Scheduler, ThrottledLog, daemon_timer

MAX_REASONS = 64
OTHER_REASONS = "other reasons"


class RefusalLog:
    """Counts refusals by ``(kind, reason)`` and logs at most one WARNING line for each per interval.

    ``monotonic`` and ``schedule`` exist so tests can move time and flush by hand (``schedule=None``).
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        interval: float = INTERVAL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        schedule: Scheduler | None = daemon_timer,
    ) -> None:
        self._log = ThrottledLog(
            logger, interval=interval, clock=monotonic, schedule=schedule, max_keys=MAX_REASONS
        )

    def record(self, kind: str, reason: str) -> None:
        """Note one refusal: logged now if it opens an interval for its reason, else counted."""
        self._log.log("%s: %s", kind, reason, key=(kind, reason), overflow=(kind, OTHER_REASONS))

    def flush(self) -> None:
        """Report every reason whose interval has ended (the timer calls this; so can tests)."""
        self._log.flush()
