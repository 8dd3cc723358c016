"""Fakes several test files share: a clock the test moves, timers it fires by hand."""

from __future__ import annotations

from collections.abc import Callable


class Clock:
    """Stands in for time.monotonic: returns `now`, which the test sets or advances."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Timers:
    """Records what a log asks to be called later, and calls it when told."""

    def __init__(self) -> None:
        self.pending: list[tuple[float, Callable[[], None]]] = []

    def __call__(self, delay: float, function: Callable[[], None]) -> None:
        self.pending.append((delay, function))

    def fire(self) -> None:
        pending, self.pending = self.pending, []
        for _, function in pending:
            function()
