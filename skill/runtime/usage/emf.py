"""The CloudWatch Embedded Metric Format sink (Lambda), and reading its lines back for the report.

On Lambda a log line is the cheapest way to a metric: CloudWatch turns it into figures without any AWS
call from the function.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Container, Iterable
from typing import Any

from skill.runtime.usage.labels import (
    CAN_FULFILL_VERDICTS,
    FALLBACK,
    INPUTS,
    OTHER,
    SESSION_END_REASONS,
    SESSION_ERRORS,
    SLOT_OUTCOMES,
    is_not_covered,
    vocabulary,
)
from skill.runtime.usage.turns import Emit, Turn, TurnKey

NAMESPACE = "TriggerPointGuide"
"""The CloudWatch namespace of the figures (template.yaml's dashboard reads it)."""

_TOTALS = (
    "Requests",
    "Touch",
    "Answers",
    "Fallback",
    "NotCovered",
    "Repeats",
    "SlotUnresolved",
    "SlotEmpty",
    "SpeechRateChanges",
    "SessionEnds",
    "Errors",
)
"""Metrics published with the Service dimension alone. The 0/1 metrics (Touch on what patients asked,
Fallback and NotCovered on what they said, SlotUnresolved and SlotEmpty on slot intents) are present
only where they apply, so their Average is the rate."""
_BREAKDOWNS = (
    ("Answer", "Answers"),
    ("Locale", "Requests"),
    ("Request", "Requests"),
    ("SessionEndReason", "SessionEnds"),
    ("SpeechRate", "SpeechRateChanges"),
)
"""(dimension, metric): a metric also published per value of one dimension (with Service). Intent,
Slot, SlotOutcome, SessionError and CanFulfill stay properties of the line: in the log for the report
and Logs Insights, without a CloudWatch metric (and its cost) each."""


def emf_fields(turn: Turn, service: str) -> dict[str, object]:
    """The root members of the turn's EMF line: closed-set properties and metric values."""
    fields: dict[str, object] = {"Service": service, "Request": turn.request, "Locale": turn.locale}
    fields["Requests"] = 1
    spoken = turn.input
    if spoken is not None:
        fields["Input"] = spoken
        fields["Touch"] = int(spoken == "touch")
    if turn.intent is not None:
        fields["Intent"] = turn.intent
    if turn.answer is not None:
        fields["Answer"] = turn.answer
        fields["Repeats" if turn.repeat else "Answers"] = 1
        if turn.request == "intent":  # of what patients said: the Average is the rate
            fields["Fallback"] = int(turn.answer == FALLBACK)
            fields["NotCovered"] = int(is_not_covered(turn.answer))
    if turn.slot is not None:
        fields["Slot"] = turn.slot
        fields["SlotOutcome"] = turn.slot_outcome
        fields["SlotUnresolved"] = int(turn.slot_outcome == "unresolved")
        fields["SlotEmpty"] = int(turn.slot_outcome == "empty")
    if turn.rate is not None:
        fields["SpeechRate"] = turn.rate
        fields["SpeechRateChanges"] = 1
    if turn.session_end is not None:
        fields["SessionEndReason"] = turn.session_end
        fields["SessionEnds"] = 1
        if turn.session_error is not None:
            fields["SessionError"] = turn.session_error
    if turn.can_fulfill is not None:
        fields["CanFulfill"] = turn.can_fulfill
    if turn.failed:
        fields["Errors"] = 1
    return fields


def emf_directives(namespace: str, present: Iterable[str]) -> list[dict[str, Any]]:
    """The `CloudWatchMetrics` array for a line whose root has the `present` members."""
    present = frozenset(present)

    def metrics(*names: str) -> list[dict[str, str]]:
        return [{"Name": name, "Unit": "Count"} for name in names]

    totals = metrics(*(name for name in _TOTALS if name in present))
    directives: list[dict[str, Any]] = [
        {"Namespace": namespace, "Dimensions": [["Service"]], "Metrics": totals}
    ]
    by_metric: dict[str, list[list[str]]] = {}
    for dimension, metric in _BREAKDOWNS:
        if dimension in present and metric in present:
            by_metric.setdefault(metric, []).append(["Service", dimension])
    directives += [
        {"Namespace": namespace, "Dimensions": dimensions, "Metrics": metrics(metric)}
        for metric, dimensions in by_metric.items()
    ]
    return directives


MAX_CACHED_LINES = 2048
"""Distinct turns whose line is kept ready: far more than real traffic makes (every value is from a
closed set), a bound on memory whatever requests arrive."""


class EmfWriter:
    """A sink writing one CloudWatch Embedded Metric Format line per turn to a file descriptor.

    On Lambda, the function's stdout goes to its CloudWatch log group, where each line becomes metrics in
    `NAMESPACE` without any AWS call. A line's time is the minute it falls in: CloudWatch keeps these
    metrics per minute anyway, and the line then says no more about when someone asked than that. So
    each distinct turn's line is made once a minute and kept, and a request pays for a look-up and one
    unbuffered `os.write`: nothing waits in a buffer when the container is frozen, and lines from
    several threads never interleave.
    """

    def __init__(
        self,
        fd: int = 1,
        *,
        namespace: str = NAMESPACE,
        service: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.fd = fd
        self.namespace = namespace
        # The function's name tells deployments apart in one account; it is configuration, not a person.
        self.service = service or os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or "tpi-skill"
        self.clock = clock
        self._parts: dict[TurnKey, tuple[str, str]] = {}
        self._lines: dict[TurnKey, tuple[int, bytes]] = {}

    def _line(self, key: TurnKey, minute: int) -> tuple[int, bytes]:
        """The line for `key` in `minute`, kept for the next request in that minute."""
        parts = self._parts.get(key)
        if parts is None:
            fields = emf_fields(Turn(key), self.service)
            directives = json.dumps(emf_directives(self.namespace, fields), separators=(",", ":"))
            body = json.dumps(fields, separators=(",", ":"))  # ASCII: json escapes anything else
            parts = ('{"_aws":{"Timestamp":', f',"CloudWatchMetrics":{directives}}},{body[1:]}\n')
            if len(self._parts) < MAX_CACHED_LINES:
                self._parts[key] = parts
        line = (minute, f"{parts[0]}{minute * 60_000}{parts[1]}".encode())
        if len(self._lines) < MAX_CACHED_LINES:
            self._lines[key] = line
        return line

    def line(self, key: TurnKey) -> bytes:
        minute = int(self.clock()) // 60
        kept = self._lines.get(key)
        return (kept if kept is not None and kept[0] == minute else self._line(key, minute))[1]

    def __call__(self, key: TurnKey) -> None:
        os.write(self.fd, self.line(key))

    def prepare(self, key: TurnKey) -> Emit:
        """Writes `key`'s line: on every request's path, so it does no more than that."""
        clock, write, fd = self.clock, os.write, self.fd
        kept = self._line(key, int(clock()) // 60)

        def emit() -> None:
            nonlocal kept
            minute = int(clock()) // 60
            if minute != kept[0]:
                kept = self._line(key, minute)
            write(fd, kept[1])

        return emit


def key_from_emf(fields: dict[str, Any]) -> TurnKey | None:
    """The TurnKey of an EMF line's root members (for the report); None for any other line.

    Every value is checked against its closed set again, so a tampered log cannot bring words in."""
    vocab = vocabulary()
    kind = fields.get("Request")
    if kind not in INPUTS and kind not in ("session_ended", "can_fulfill", OTHER):
        return None

    def pick(name: str, allowed: Container[str]) -> str | None:
        value = fields.get(name)
        if value is None:
            return None
        return value if type(value) is str and value in allowed else OTHER

    return (
        str(kind),
        pick("Locale", vocab.locales) or OTHER,
        pick("Intent", vocab.intents),
        pick("Answer", vocab.answers),
        pick("SlotOutcome", SLOT_OUTCOMES),
        pick("SessionEndReason", SESSION_END_REASONS),
        pick("SessionError", SESSION_ERRORS),
        pick("CanFulfill", CAN_FULFILL_VERDICTS),
        bool(fields.get("Errors")),
    )
