"""The numbers on the page, computed once from the counts, and how a number or a window is written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from skill.runtime import usage
from skill.runtime.content import Content
from skill.runtime.mentions import NOT_COVERED, UNKNOWN_PART
from skill.tools.insights.counts import WEB_ALEXA, Counts, Usage, Window, label_names


def _sum(counts: Counts, family: str, **match: str) -> float:
    """The sum of a family's counts whose labels equal `match`."""
    names = label_names(family) or ()
    positions = {names.index(label): value for label, value in match.items()}
    return sum(
        value
        for (name, values), value in counts.items()
        if name == family and all(values[index] == wanted for index, wanted in positions.items())
    )


def _rate(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def is_leaflet_answer(answer: str) -> bool:
    return answer.split(":", 1)[0] in ("topic", "more", "fact", "part")


def describe(answer: str, content: Content) -> str:
    """What an answer key means, in the clinic's words (from the content, never from a request)."""
    kind, _, ident = answer.partition(":")
    if kind == "topic" and ident in content.topic_by_id:
        return content.topic_by_id[ident].label.capitalize()
    if kind == "more" and ident in content.topic_by_id:
        return f"More on {content.topic_by_id[ident].label}"
    if kind == "fact" and ident in content.fact_by_id:
        return content.fact_by_id[ident].title
    if kind == "part":
        return f"Body part: {ident.replace('_', ' ')}"
    if kind == NOT_COVERED and ident in content.not_covered.subjects:
        return content.not_covered.subjects[ident].capitalize()
    if answer == NOT_COVERED:
        return "Other questions the leaflet does not answer"
    if answer == UNKNOWN_PART:
        return "A body part the leaflet does not mention"
    return answer.replace("_", " ").capitalize()


@dataclass
class Figures:
    """The numbers on the page, each computed once from the counts."""

    requests: float
    by_request: dict[str, float]
    by_locale: dict[str, float]
    asked: list[tuple[str, float]]
    """Leaflet answers, most given first (repeats not included)."""
    not_covered: list[tuple[str, float]]
    intents: float
    fallbacks: float
    slots: float
    unresolved: float
    empty: float
    repeats: float
    rate_changes: dict[str, float]
    session_ends: dict[str, float]
    errors: float
    alexa: dict[str, float]
    latency_p50: float | None
    latency_p95: float | None
    over_time: list[tuple[Window, float | None, float | None, float, float]]
    """(window, fallback rate, unresolved-slot rate, voice requests, touches) per window."""

    @property
    def voice(self) -> float:
        return self.by_request.get("launch", 0.0) + self.by_request.get("intent", 0.0)

    @property
    def touch(self) -> float:
        return self.by_request.get("touch", 0.0)


def _by(counts: Counts, family: str, position: int = 0) -> dict[str, float]:
    result: dict[str, float] = {}
    for (name, values), value in counts.items():
        if name == family:
            result[values[position]] = result.get(values[position], 0.0) + value
    return result


def _quantile(buckets: dict[float, float], q: float) -> float | None:
    """A quantile from Prometheus' cumulative buckets, interpolating inside the bucket it falls in."""
    bounds = sorted(buckets)
    if not bounds or buckets[bounds[-1]] <= 0:
        return None
    wanted = q * buckets[bounds[-1]]
    lower_bound, lower_count = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= wanted:
            if bound == float("inf"):
                return lower_bound
            share = (wanted - lower_count) / (count - lower_count) if count > lower_count else 1.0
            return lower_bound + (bound - lower_bound) * share
        lower_bound, lower_count = bound, count
    return None


def figures(data: Usage) -> Figures:
    totals = data.totals
    answers = _by(totals, "answers")
    asked = sorted(
        ((key, n) for key, n in answers.items() if is_leaflet_answer(key)), key=lambda kv: (-kv[1], kv[0])
    )
    not_covered = sorted(
        ((key, n) for key, n in answers.items() if usage.is_not_covered(key)), key=lambda kv: (-kv[1], kv[0])
    )
    over_time = []
    for window in data.windows:
        counts = window.counts
        intents = _sum(counts, "intents")
        slots = _sum(counts, "slots")
        voice = _sum(counts, "requests", request="launch") + _sum(counts, "requests", request="intent")
        over_time.append(
            (
                window,
                _rate(_sum(counts, "answers", answer=usage.FALLBACK), intents),
                _rate(_sum(counts, "slots", outcome="unresolved"), slots),
                voice,
                _sum(counts, "requests", request="touch"),
            )
        )
    session_ends = _by(totals, "session_ends")
    return Figures(
        requests=_sum(totals, "requests"),
        by_request=_by(totals, "requests"),
        by_locale=_by(totals, "requests", 1),
        asked=asked,
        not_covered=not_covered,
        intents=_sum(totals, "intents"),
        fallbacks=_sum(totals, "answers", answer=usage.FALLBACK),
        slots=_sum(totals, "slots"),
        unresolved=_sum(totals, "slots", outcome="unresolved"),
        empty=_sum(totals, "slots", outcome="empty"),
        repeats=_sum(totals, "repeats"),
        rate_changes=_by(totals, "speech_rate_changes"),
        session_ends=session_ends,
        errors=_sum(totals, "errors"),
        alexa={
            labels[0] if labels[1] == "none" else f"{labels[0]}: {labels[1]}": n
            for (family, labels), n in sorted(totals.items())
            if family == WEB_ALEXA
        },
        latency_p50=_quantile(data.latency, 0.5),
        latency_p95=_quantile(data.latency, 0.95),
        over_time=over_time,
    )


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _window_label(window: Window) -> str:
    if window.start is None:
        return f"until {window.end:%Y-%m-%d %H:%M}"
    if window.end - window.start >= dt.timedelta(days=1):
        return f"{window.start:%Y-%m-%d}"
    return f"{window.start:%m-%d %H:%M}"
