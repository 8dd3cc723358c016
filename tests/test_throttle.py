"""A line a flood could repeat is written at most once a minute, and what was held back is never lost."""

from __future__ import annotations

import logging

import pytest

from skill.runtime.throttle import ThrottledLog
from tests.fakes import Clock

LOGGER = "tests.throttle"


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == LOGGER]


def test_a_burst_is_one_line_then_one_line_with_its_count(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    log = ThrottledLog(logging.getLogger(LOGGER), interval=60.0, clock=clock)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for _ in range(50):
            log.log("request type %s unreadable", "X")
        clock.now += 61
        log.log("request type %s unreadable", "X")
    assert lines(caplog) == [
        "request type X unreadable",
        "request type X unreadable (49 more since it was last logged)",
    ]


def test_without_a_timer_a_held_count_comes_out_with_the_next_line_of_any_kind(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """On Lambda nothing runs between requests: the count a quiet message held back must not wait for
    that same message to come back, which it may never do."""
    clock = Clock()
    log = ThrottledLog(logging.getLogger(LOGGER), interval=60.0, clock=clock)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for _ in range(5):
            log.log("sink failed")
        clock.now += 61
        log.log("something else")
    assert lines(caplog) == ["sink failed", "sink failed (4 more since it was last logged)", "something else"]
