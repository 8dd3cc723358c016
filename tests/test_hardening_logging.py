"""Refused requests are logged once per reason per interval, with counts: a flood cannot fill the disk."""

from __future__ import annotations

import logging

import pytest

from skill.web.service import create_app
from skill.web.verification import RefusalLog
from skill.web.verification.refusals import MAX_REASONS, OTHER_REASONS
from tests import pki
from tests.fakes import Clock, Timers
from tests.pki import OTHER_SKILL_ID, envelope, make_verifier, signed_headers

FLOOD = 2000
LOGGER = "tests.refusals"


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == LOGGER]


def test_a_flood_of_refusals_writes_one_line_per_reason_then_one_count_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    clock, timers = Clock(0.0), Timers()
    log = RefusalLog(logging.getLogger(LOGGER), interval=60.0, monotonic=clock, schedule=timers)
    reasons = ["signature does not match", "timestamp is stale", "URL host is wrong"]
    for index in range(FLOOD):
        clock.now = index * 0.01  # 2,000 refusals in 20 s
        log.record("Alexa request refused", reasons[index % 3])
    assert lines(caplog) == [f"Alexa request refused: {reason}" for reason in reasons]
    assert timers.pending, "the counts must be reported even if no refusal follows"

    clock.now = 60.5
    timers.fire()
    counts = sorted(lines(caplog)[3:])
    sent = [FLOOD // 3 + (index < FLOOD % 3) for index in range(3)]
    assert counts == sorted(
        f"Alexa request refused: {reason} ({count - 1} more since it was last logged)"
        for reason, count in zip(reasons, sent, strict=True)
    )

    # The flood goes on for another interval: one more line per reason, not one per request.
    for index in range(FLOOD):
        clock.now = 61 + index * 0.01
        log.record("Alexa request refused", reasons[index % 3])
    assert len(lines(caplog)) == 6
    clock.now = 200.0
    timers.fire()
    assert len(lines(caplog)) == 9


def test_a_quiet_reason_is_logged_at_once_when_it_comes_back(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    clock = Clock(0.0)
    log = RefusalLog(logging.getLogger(LOGGER), interval=60.0, monotonic=clock, schedule=None)
    log.record("Bad request body", "body is not JSON")
    clock.now = 61.0
    log.record("Bad request body", "body is not JSON")
    assert lines(caplog) == ["Bad request body: body is not JSON"] * 2


def test_reasons_beyond_the_limit_share_one_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    log = RefusalLog(logging.getLogger(LOGGER), monotonic=Clock(0.0), schedule=None)
    for index in range(MAX_REASONS + 50):
        log.record("Alexa request refused", f"reason {index}")
    assert len(lines(caplog)) == MAX_REASONS + 1
    assert lines(caplog)[-1] == f"Alexa request refused: {OTHER_REASONS}"


def test_the_web_app_logs_a_flood_of_refused_requests_in_a_few_lines(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What the issue measured: every refusal wrote a WARNING line (2,000 in a 20,000-request run)."""
    caplog.set_level(logging.INFO)
    client = create_app(skill_id=pki.SKILL_ID, verifier=make_verifier()).test_client()
    good = envelope()
    other = envelope(app_id=OTHER_SKILL_ID)
    kinds = [
        (good, {"Content-Type": "application/json"}),  # unsigned
        (other, signed_headers(other)),  # another skill's
        (b"{not json", {"Content-Type": "application/json"}),
        (good, {**signed_headers(good), "Signature-256": pki.unknown_root_chain().sign(good)}),  # forged
    ]
    for index in range(FLOOD):
        body, headers = kinds[index % len(kinds)]
        assert client.post("/", data=body, headers=headers).status_code == 400
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    # One line per kind, at its first occurrence; the counts come a minute later, from a timer.
    assert warnings == [
        "Alexa request refused: SignatureCertChainUrl header is missing",
        "Alexa request refused: request application ID is not this skill's",
        "Bad request body: body is not JSON",
        "Alexa request refused: Signature-256 does not match the body",
    ]
