"""What every source comes down to: counts per window, each label checked against the skill's closed sets.

Every source's labels pass through `label_allowed`, so a tampered log or page cannot put words in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from skill.runtime import usage

Labels = tuple[str, ...]
Key = tuple[str, Labels]
"""(family, label values): a family of `usage.FAMILIES`, or the web's Alexa outcomes (`WEB_ALEXA`)."""
Counts = dict[Key, float]


def _add(into: Counts, more: Iterable[tuple[Key, float]]) -> None:
    for key, value in more:
        into[key] = into.get(key, 0.0) + value


WEB_ALEXA = "web_alexa_requests"
WEB_RESULTS = frozenset({"accepted", "refused", "bad_request", "too_large", "other"})


class InsightsError(Exception):
    """A source could not be read: the message says which and why, in one line."""


def label_allowed(family: str, label: str, value: str) -> bool:
    """Whether `value` is one the skill can produce for this label (anything else is shown as "other")."""
    vocab = usage.vocabulary()
    allowed: dict[str, Iterable[str]] = {
        "request": (*usage.REQUEST_KINDS.values(), usage.OTHER),
        "locale": vocab.locales,
        "answer": vocab.answers,
        "intent": vocab.intents,
        "slot": vocab.slot_intents.values(),
        "outcome": usage.SLOT_OUTCOMES,
        "direction": usage.RATE_CHANGES.values(),
        "error": (*usage.SESSION_ERRORS, "none"),
        "verdict": usage.CAN_FULFILL_VERDICTS,
        "result": WEB_RESULTS,
    }
    if label == "reason":
        from skill.web.metrics import NO_REASON, OTHER_REASON, REASON_CLASSES

        if family == "session_ends":
            return value in usage.SESSION_END_REASONS
        return value in {NO_REASON, OTHER_REASON, *(name for name, _ in REASON_CLASSES)}
    return value in set(allowed.get(label, ()))


@dataclass
class Window:
    """Counts over one stretch of time (`start` is None for "since the service started")."""

    start: dt.datetime | None
    end: dt.datetime
    counts: Counts = field(default_factory=dict)


@dataclass
class Usage:
    """Everything read from the sources: counts per window, and the web's latency buckets."""

    source: str
    windows: list[Window]
    latency: dict[float, float] = field(default_factory=dict)
    """Cumulative count of Alexa requests answered within each bucket's bound (seconds), when known."""

    @property
    def totals(self) -> Counts:
        total: Counts = {}
        for window in self.windows:
            _add(total, window.counts.items())
        return total
