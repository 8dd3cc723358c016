"""Refused requests are logged once per reason per interval, with a count, so a flood cannot fill the disk.

The first refusal for a reason is logged at once, so a misconfiguration (a wrong skill ID, a clock
off by minutes) shows up with the first request it breaks. Further refusals for that reason within
the interval are only counted; when the interval ends one line reports how many there were, and a
new interval begins. A reason that stays quiet for a whole interval is forgotten, so its next
refusal is again logged at once. Reasons are fixed phrases that never quote the request, and only
``MAX_REASONS`` are tracked at a time: any others share one "other reasons" line.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

Monotonic = Callable[[], float]
Scheduler = Callable[[float, Callable[[], None]], None]
"""Calls the function after the delay in seconds (a daemon timer in production)."""

INTERVAL_SECONDS = 60.0
MAX_REASONS = 64
OTHER_REASONS = "other reasons"


@dataclass
class _Window:
    ends: float
    suppressed: int = 0


def _daemon_timer(delay: float, function: Callable[[], None]) -> None:
    timer = threading.Timer(delay, function)
    timer.daemon = True
    timer.start()


class RefusalLog:
    """Counts refusals by ``(kind, reason)`` and logs at most one WARNING line for each per interval.

    ``monotonic`` and ``schedule`` exist so tests can move time and flush by hand (``schedule=None``).
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        interval: float = INTERVAL_SECONDS,
        monotonic: Monotonic = time.monotonic,
        schedule: Scheduler | None = _daemon_timer,
    ) -> None:
        self._logger = logger
        self._interval = interval
        self._monotonic = monotonic
        self._schedule = schedule
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], _Window] = {}
        self._flush_pending = False

    def record(self, kind: str, reason: str) -> None:
        """Note one refusal: logged now if it opens a window for its reason, else counted."""
        now = self._monotonic()
        with self._lock:
            summaries = self._close_windows(now)
            key = (kind, reason)
            if key not in self._windows and len(self._windows) >= MAX_REASONS:
                key = (kind, OTHER_REASONS)
            window = self._windows.get(key)
            if window is None:
                self._windows[key] = _Window(now + self._interval)
            else:
                window.suppressed += 1
                self._schedule_flush(window.ends - now)
        self._emit(summaries)
        if window is None:
            self._logger.warning("%s: %s", *key)

    def flush(self) -> None:
        """Report every window that has ended (the timer calls this; so can tests)."""
        with self._lock:
            self._flush_pending = False
            now = self._monotonic()
            summaries = self._close_windows(now)
            pending = [window.ends - now for window in self._windows.values() if window.suppressed]
            if pending:
                self._schedule_flush(min(pending))
        self._emit(summaries)

    def _close_windows(self, now: float) -> list[tuple[str, str, int]]:
        """Windows past their end: report counted ones (opening the next window), forget quiet ones."""
        summaries = []
        for key, window in list(self._windows.items()):
            if now < window.ends:
                continue
            if window.suppressed:
                summaries.append((*key, window.suppressed))
                self._windows[key] = _Window(now + self._interval)
            else:
                del self._windows[key]
        return summaries

    def _schedule_flush(self, delay: float) -> None:
        if self._schedule is not None and not self._flush_pending:
            self._flush_pending = True
            self._schedule(max(delay, 0.0) + 0.01, self.flush)

    def _emit(self, summaries: list[tuple[str, str, int]]) -> None:
        for kind, reason, count in summaries:
            self._logger.warning("%s: %s (%d more since it was last logged)", kind, reason, count)
