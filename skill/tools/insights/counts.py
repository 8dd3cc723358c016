"""What every source comes down to: counts per window, each label checked against the skill's closed sets.

Every source's labels pass through `label_allowed`, so a tampered log or page cannot put words in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from skill.runtime import usage
from skill.web.metrics import (
    ALEXA_LABELS,
    ALEXA_REQUESTS,
    ALEXA_RESULTS,
    NO_REASON,
    OTHER_REASON,
    REASON_CLASSES,
)

Labels = tuple[str, ...]
Key = tuple[str, Labels]
"""(family, label values): a family of `usage.FAMILIES`, or the web's Alexa outcomes (`WEB_ALEXA`)."""
Counts = dict[Key, float]


def _add(into: Counts, more: Iterable[tuple[Key, float]]) -> None:
    for key, value in more:
        into[key] = into.get(key, 0.0) + value


WEB_ALEXA = ALEXA_REQUESTS.removeprefix("tpi_")
"""The web's Alexa outcomes, as a family name here (the counter's name without the `tpi_` prefix)."""


class InsightsError(Exception):
    """A source could not be read: the message says which and why, in one line."""


def label_names(family: str) -> tuple[str, ...] | None:
    """The labels of `family` (a usage family or `WEB_ALEXA`), in order; None for a family not ours."""
    if family == WEB_ALEXA:
        return ALEXA_LABELS
    found = usage.FAMILIES.get(family)
    return found[0] if found is not None else None


_allowed: tuple[object, dict[str, frozenset[str]]] | None = None


def _allowed_values() -> dict[str, frozenset[str]]:
    """Each label's closed set, built once per vocabulary (a label check runs for every count read)."""
    global _allowed
    vocab = usage.vocabulary()
    if _allowed is None or _allowed[0] is not vocab:
        table: dict[str, Iterable[str]] = {
            "request": (*usage.REQUEST_KINDS.values(), usage.OTHER),
            "locale": vocab.locales,
            "answer": vocab.answers,
            "intent": vocab.intents,
            "slot": vocab.slot_intents.values(),
            "outcome": usage.SLOT_OUTCOMES,
            "direction": usage.RATE_CHANGES.values(),
            "error": (*usage.SESSION_ERRORS, "none"),
            "verdict": usage.CAN_FULFILL_VERDICTS,
            "result": ALEXA_RESULTS,
            "reason": (NO_REASON, OTHER_REASON, *(name for name, _ in REASON_CLASSES)),
            "session_ends:reason": usage.SESSION_END_REASONS,
        }
        _allowed = (vocab, {label: frozenset(values) for label, values in table.items()})
    return _allowed[1]


def label_allowed(family: str, label: str, value: str) -> bool:
    """Whether `value` is one the skill can produce for this label (anything else is shown as "other")."""
    if label == "reason" and family == "session_ends":
        label = "session_ends:reason"
    return value in _allowed_values().get(label, frozenset())


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
