"""Log lines a flood of requests could repeat, written at most once per interval each.

The first occurrence is logged at once, so a problem shows up with the first request it touches.
Repeats within the interval are only counted. When the interval ends the count is reported, and a
new interval begins: by a timer if the log has a scheduler (the web service), else by the next
occurrence, since a Lambda container is frozen between requests and a timer thread would not run.
An entry that stays quiet for a whole interval is forgotten, so its next occurrence is again logged
at once. The one mechanism for the runtime and the web service alike (the runtime cannot import the
web, the web may import the runtime).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

Scheduler = Callable[[float, Callable[[], None]], None]
"""Calls the function after the delay in seconds (`daemon_timer` in a long-running process)."""

INTERVAL_SECONDS = 60.0
HELD_BACK = " (%d more since it was last logged)"
_OVERFLOW = object()
"""Marks the shared entry of the keys beyond `ThrottledLog.max_keys`."""


def daemon_timer(delay: float, function: Callable[[], None]) -> None:
    """Run `function` after `delay` seconds on a thread that never keeps the process alive."""
    timer = threading.Timer(delay, function)
    timer.daemon = True
    timer.start()


@dataclass
class _Window:
    ends: float
    message: str
    args: tuple[object, ...]  # those the window was opened with: its count is reported with them
    held: int = 0


_Line = tuple[str, tuple[object, ...], int]  # message, args, held back


class ThrottledLog:
    """Writes each entry at most once per `interval` seconds, with how many were held back.

    An entry is told apart by `key`, by default its format string alone, so the arguments never make
    a new entry: the memory stays bounded by the code's own messages, whatever the requests carry.
    When keys come from elsewhere, `max_keys` bounds them: further keys share one entry per format
    string (logged with the call's `overflow` arguments if given). `clock` and `schedule` exist so
    tests can move time and flush by hand.
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        level: int = logging.WARNING,
        interval: float = INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        schedule: Scheduler | None = None,
        max_keys: int | None = None,
    ) -> None:
        self.logger = logger
        self.level = level
        self.interval = interval
        self.clock = clock
        self.schedule = schedule
        self.max_keys = max_keys
        self._lock = threading.Lock()
        self._windows: dict[Hashable, _Window] = {}
        self._flush_pending = False

    def log(
        self,
        message: str,
        *args: object,
        key: Hashable | None = None,
        overflow: tuple[object, ...] | None = None,
    ) -> bool:
        """Log `message % args` unless its entry was logged less than an interval ago; True if it was."""
        now = self.clock()
        key = message if key is None else key
        with self._lock:
            if key not in self._windows and self.max_keys is not None and len(self._windows) >= self.max_keys:
                key = (_OVERFLOW, message, overflow)
                args = args if overflow is None else overflow
            window = self._windows.get(key)
            lines = self._close_windows(now, skip=key)
            if window is not None and now < window.ends:
                window.held += 1
                self._schedule_flush(window.ends - now)
                logged = False
            else:
                self._windows[key] = _Window(now + self.interval, message, args)
                lines.append((message, args, window.held if window is not None else 0))
                logged = True
        self._emit(lines)
        return logged

    def flush(self) -> None:
        """Report every entry whose interval has ended (the timer calls this; so can tests)."""
        with self._lock:
            self._flush_pending = False
            now = self.clock()
            lines = self._close_windows(now)
            pending = [window.ends - now for window in self._windows.values() if window.held]
            if pending:
                self._schedule_flush(min(pending))
        self._emit(lines)

    def _close_windows(self, now: float, skip: Hashable = None) -> list[_Line]:
        """Ended intervals but `skip`'s: report counted ones (opening the next), forget quiet ones."""
        lines: list[_Line] = []
        for key, window in list(self._windows.items()):
            if now < window.ends or key == skip:
                continue
            if window.held:
                lines.append((window.message, window.args, window.held))
                self._windows[key] = _Window(now + self.interval, window.message, window.args)
            else:
                del self._windows[key]
        return lines

    def _schedule_flush(self, delay: float) -> None:
        if self.schedule is not None and not self._flush_pending:
            self._flush_pending = True
            self.schedule(max(delay, 0.0) + 0.01, self.flush)

    def _emit(self, lines: list[_Line]) -> None:
        for message, args, held in lines:
            if held:
                self.logger.log(self.level, message + HELD_BACK, *args, held)
            else:
                self.logger.log(self.level, message, *args)
