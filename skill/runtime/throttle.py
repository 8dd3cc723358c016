"""Log lines a flood of requests could repeat, written at most once per interval each.

The first occurrence is logged at once, so a problem shows up with the first request it touches.
Repeats within the interval are only counted; the first one after it is logged with that count, and a
new interval begins. Nothing waits on a timer: a Lambda container is frozen between requests, so
the count is reported by the next occurrence, not by a thread. The same idea as the web service's
refusal log (`skill.web.verification.refusals`), kept here because the runtime cannot import the web.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

INTERVAL_SECONDS = 60.0


class ThrottledLog:
    """Writes each message (a format string fixed in the code) at most once per `interval` seconds.

    Messages are told apart by their format string alone, so the arguments never make a new entry:
    the memory stays bounded by the code's own messages, whatever the requests carry.
    `clock` exists so tests can move time.
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        level: int = logging.WARNING,
        interval: float = INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.level = level
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # message: (when its interval ends, held back)

    def log(self, message: str, *args: object) -> bool:
        """Log `message % args` unless it was logged less than an interval ago; True if it was logged."""
        now = self.clock()
        with self._lock:
            ends, held = self._windows.get(message, (now, 0))
            if now < ends:
                self._windows[message] = (ends, held + 1)
                return False
            self._windows[message] = (now + self.interval, 0)
        if held:
            self.logger.log(self.level, f"{message} (%d more since it was last logged)", *args, held)
        else:
            self.logger.log(self.level, message, *args)
        return True
