"""`tpi-skill insights`: the usage figures as a one-page report for the clinic.

Reads either the web service's `/metrics` (a URL, or a page saved from it) or the Lambda function's log
lines exported from CloudWatch (the Embedded Metric Format lines `skill.runtime.usage` writes), and
writes one page: what patients asked most, what the leaflet did not cover, how often the skill fell
back or could not resolve a slot over time, and voice against touch. An `.html` page (the plots and
every number behind them, in one self-contained file) or just the plots as a `.png`.

Every label on the page comes from the skill's closed sets (see `skill.runtime.usage`), checked again
here, so even a tampered log or page cannot put words into the report. What was asked is shown only as
totals over the whole period, never by hour, so a busy waiting room cannot be matched to a question.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import itertools
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skill.runtime import usage
from skill.runtime.content import Content, load_content
from skill.runtime.mentions import NOT_COVERED, UNKNOWN_PART

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Labels = tuple[str, ...]
Key = tuple[str, Labels]
"""(family, label values): a family of `usage.FAMILIES`, or the web's Alexa outcomes (`WEB_ALEXA`)."""
Counts = dict[Key, float]


def _add(into: Counts, more: Iterable[tuple[Key, float]]) -> None:
    for key, value in more:
        into[key] = into.get(key, 0.0) + value


SKILL_PREFIX = "tpi_skill_"
WEB_ALEXA = "web_alexa_requests"
WEB_LATENCY = "web_request_duration_seconds"
WEB_RESULTS = frozenset({"accepted", "refused", "bad_request", "too_large", "other"})
TOP = 12
"""Bars in each "what was asked" chart; the rest are added up as "everything else"."""


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


# --- reading log lines (Lambda) ----------------------------------------------------------------------


def _json_objects(text: str) -> Iterator[dict[str, Any]]:
    """Every JSON object in an export: one per line (maybe after a time stamp), CloudWatch's
    `filter-log-events` JSON (`events[].message`), or Logs Insights' (`@message`)."""
    stripped = text.lstrip()
    if stripped.startswith("{") and '"events"' in stripped[:2000]:
        try:
            whole = json.loads(stripped)
        except ValueError:
            whole = None
        if isinstance(whole, dict) and isinstance(whole.get("events"), list):
            for event in whole["events"]:
                if isinstance(event, dict) and isinstance(event.get("message"), str):
                    yield from _json_objects(event["message"])
            return
    for line in text.splitlines():
        start = line.find("{")
        if start < 0:
            continue
        try:
            found = json.loads(line[start:])
        except ValueError:
            continue
        if isinstance(found, dict):
            message = found.get("message", found.get("@message"))
            if "_aws" not in found and isinstance(message, str):
                yield from _json_objects(message)
            else:
                yield found


def _bucket_start(moment: dt.datetime, bucket: str) -> dt.datetime:
    moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if bucket == "day" else moment


def read_emf(text: str, bucket: str = "auto") -> Usage:
    """Counts from EMF log lines, in windows of an hour or a day (`auto`: hours up to three days)."""
    turns: list[tuple[dt.datetime, usage.TurnKey]] = []
    for found in _json_objects(text):
        meta = found.get("_aws")
        stamp = meta.get("Timestamp") if isinstance(meta, dict) else None
        key = usage.key_from_emf(found)
        if key is None or not isinstance(stamp, int | float) or isinstance(stamp, bool):
            continue
        try:
            moment = dt.datetime.fromtimestamp(stamp / 1000, dt.UTC)
        except (OverflowError, OSError, ValueError):
            continue
        turns.append((moment, key))
    if not turns:
        raise InsightsError(
            "no usage lines found (expected the skill's CloudWatch Embedded Metric Format lines)"
        )
    first, last = min(moment for moment, _ in turns), max(moment for moment, _ in turns)
    if bucket == "auto":
        bucket = "hour" if last - first <= dt.timedelta(days=3) else "day"
    step = dt.timedelta(hours=1) if bucket == "hour" else dt.timedelta(days=1)
    windows: dict[dt.datetime, Window] = {}
    moment = _bucket_start(first, bucket)
    while moment <= last:  # every window, quiet ones too, so a chart's time axis has no gaps
        windows[moment] = Window(moment, moment + step)
        moment += step
    for moment, key in turns:
        window = windows[_bucket_start(moment, bucket)]
        _add(window.counts, ((increment, 1.0) for increment in usage.Turn(key).increments()))
    return Usage(f"{len(turns)} log lines", list(windows.values()))


# --- reading /metrics (web service) ------------------------------------------------------------------


Snapshot = tuple[dt.datetime, Counts, dict[float, float]]


def parse_metrics(text: str) -> tuple[Counts, dict[float, float]]:
    """The skill's and the web's counts in a /metrics page, and the Alexa endpoint's latency buckets."""
    from prometheus_client.parser import text_string_to_metric_families

    counts: Counts = {}
    latency: dict[float, float] = {}
    try:
        families = list(text_string_to_metric_families(text))
    except (ValueError, IndexError, TypeError) as exc:
        raise InsightsError(f"not a Prometheus /metrics page ({type(exc).__name__})") from None
    for family in families:
        name = family.name.removeprefix("tpi_")
        if family.name.startswith(SKILL_PREFIX):
            name = family.name.removeprefix(SKILL_PREFIX)
            if name not in usage.FAMILIES:
                continue
            label_names = usage.FAMILIES[name][0]
        elif name == WEB_ALEXA:
            label_names = ("result", "reason")
        elif name == WEB_LATENCY:
            for sample in family.samples:
                if sample.name.endswith("_bucket") and sample.labels.get("route") == "alexa":
                    bound = float(sample.labels.get("le", "nan"))
                    latency[bound] = latency.get(bound, 0.0) + sample.value
            continue
        else:
            continue
        for sample in family.samples:
            if not sample.name.endswith("_total"):
                continue
            values = tuple(
                value if label_allowed(name, label, value := sample.labels.get(label, "")) else usage.OTHER
                for label in label_names
            )
            _add(counts, [((name, values), float(sample.value))])
    if not counts:
        raise InsightsError("no usage figures in this /metrics page (is it the skill's?)")
    return counts, latency


def fetch_metrics(url: str, token: str | None, timeout: float = 10.0) -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as reply:
            body: bytes = reply.read()
    except urllib.error.HTTPError as exc:
        hint = " (set METRICS_TOKEN to the server's token)" if exc.code in (401, 403) else ""
        raise InsightsError(f"{url} answered HTTP {exc.code}{hint}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InsightsError(f"cannot read {url}: {reason}") from None
    return body.decode("utf-8", "replace")


def _save_snapshot(history: Path, snapshot: Snapshot) -> None:
    moment, counts, latency = snapshot
    record = {
        "time": moment.isoformat(),
        "counts": [[family, list(values), value] for (family, values), value in sorted(counts.items())],
        "latency": [[bound, value] for bound, value in sorted(latency.items())],
    }
    with history.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


def _load_history(history: Path) -> list[Snapshot]:
    snapshots: list[Snapshot] = []
    if not history.exists():
        return snapshots
    for number, line in enumerate(history.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            counts: Counts = {}
            for family, values, value in record["counts"]:
                labels = usage.FAMILIES[family][0] if family in usage.FAMILIES else ("result", "reason")
                if family not in usage.FAMILIES and family != WEB_ALEXA:
                    continue
                checked = tuple(
                    v if label_allowed(family, n, v) else usage.OTHER
                    for n, v in zip(labels, values, strict=True)
                )
                _add(counts, [((family, checked), float(value))])
            latency = {float(bound): float(value) for bound, value in record.get("latency", [])}
            snapshots.append((dt.datetime.fromisoformat(record["time"]), counts, latency))
        except (ValueError, KeyError, TypeError) as exc:
            raise InsightsError(
                f"history line {number} is not a saved reading ({type(exc).__name__})"
            ) from None
    return snapshots


def from_snapshots(snapshots: Sequence[Snapshot]) -> Usage:
    """Windows between consecutive readings (a counter that went down restarted with its server); the
    first reading alone is everything since the service started."""
    ordered = sorted(snapshots, key=lambda snapshot: snapshot[0])
    first_time, first_counts, _ = ordered[0]
    windows = [Window(None, first_time, dict(first_counts))]
    for (before_time, before, _), (after_time, after, _) in itertools.pairwise(ordered):
        delta: Counts = {}
        for key, value in after.items():
            grown = value - before.get(key, 0.0)
            if grown or value:
                delta[key] = value if grown < 0 else grown
        windows.append(Window(before_time, after_time, {key: n for key, n in delta.items() if n}))
    readings = len(ordered)
    return Usage(f"{readings} /metrics reading{'s' if readings > 1 else ''}", windows, ordered[-1][2])


# --- the figures -------------------------------------------------------------------------------------


def _sum(counts: Counts, family: str, **match: str) -> float:
    """The sum of a family's counts whose labels equal `match`."""
    names = usage.FAMILIES[family][0] if family in usage.FAMILIES else ("result", "reason")
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


# --- the page ----------------------------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1%}"


def _window_label(window: Window) -> str:
    if window.start is None:
        return f"until {window.end:%Y-%m-%d %H:%M}"
    if window.end - window.start >= dt.timedelta(days=1):
        return f"{window.start:%Y-%m-%d}"
    return f"{window.start:%m-%d %H:%M}"


def _bars(axes: Axes, items: list[tuple[str, float]], content: Content, title: str, colour: str) -> None:
    from matplotlib.ticker import MaxNLocator

    shown = items[:TOP]
    rest = sum(n for _, n in items[TOP:])
    labels = [describe(key, content) for key, _ in shown] + (["Everything else"] if rest else [])
    values = [n for _, n in shown] + ([rest] if rest else [])
    axes.set_title(title, loc="left", fontsize=11, fontweight="bold")
    if not values:
        axes.text(0.5, 0.5, "none in this period", ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
        return
    positions = list(range(len(values)))[::-1]
    axes.barh(positions, values, color=colour)
    axes.set_yticks(positions, labels, fontsize=8)
    for position, value in zip(positions, values, strict=True):
        axes.text(value, position, f" {_number(value)}", va="center", fontsize=8)
    axes.set_xlim(0, max(values) * 1.18)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(axis="x", labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)


def build_figure(data: Usage, numbers: Figures, content: Content) -> Figure:
    """The one-page picture: four panels, every label from the content or the skill's closed sets."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(11.7, 8.3), dpi=100, layout="constrained")  # A4 landscape
    figure.suptitle(f"Trigger Point Guide: how patients used it ({data.source})", fontsize=13)
    (asked_axes, gaps_axes), (rates_axes, input_axes) = figure.subplots(2, 2)
    _bars(asked_axes, numbers.asked, content, "What patients asked most", "#2b6cb0")
    _bars(gaps_axes, numbers.not_covered, content, "What the leaflet did not cover", "#c05621")

    labels = [_window_label(window) for window, *_ in numbers.over_time]
    positions = list(range(len(labels)))
    rates_axes.set_title("Fallback and unresolved-slot rates", loc="left", fontsize=11, fontweight="bold")
    for index, name, colour in (
        (1, "fallback (not understood)", "#c53030"),
        (2, "slot not resolved", "#6b46c1"),
    ):
        series = [row[index] for row in numbers.over_time]
        points = [(x, 100 * y) for x, y in zip(positions, series, strict=True) if isinstance(y, float)]
        if points:
            rates_axes.plot(
                [x for x, _ in points], [y for _, y in points], marker="o", color=colour, label=name
            )
    highest = max(
        (100 * y for row in numbers.over_time for y in row[1:3] if isinstance(y, float)), default=0.0
    )
    rates_axes.set_ylabel("% of questions (of slots)", fontsize=8)
    rates_axes.set_ylim(0, max(10.0, highest * 1.3))
    if rates_axes.get_legend_handles_labels()[0]:  # an empty legend makes matplotlib warn on every cron run
        rates_axes.legend(fontsize=8, loc="upper right")

    voice = [row[3] for row in numbers.over_time]
    touch = [row[4] for row in numbers.over_time]
    input_axes.set_title("Voice and touch", loc="left", fontsize=11, fontweight="bold")
    input_axes.bar(positions, voice, color="#2f855a", label=f"voice ({_number(numbers.voice)})")
    input_axes.bar(positions, touch, bottom=voice, color="#d69e2e", label=f"touch ({_number(numbers.touch)})")
    input_axes.set_ylabel("requests", fontsize=8)
    input_axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    input_axes.legend(fontsize=8, loc="upper right")

    step = max(1, len(labels) // 12)
    for axes in (rates_axes, input_axes):
        axes.set_xticks(positions[::step], labels[::step], rotation=45, ha="right", fontsize=7)
        axes.tick_params(axis="y", labelsize=8)
        axes.spines[["top", "right"]].set_visible(False)
    return figure


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _table(title: str, rows: Iterable[tuple[str, str]], note: str = "") -> str:
    cells = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>" for name, value in rows
    )
    caption = f"<p class=note>{html.escape(note)}</p>" if note else ""
    return f"<section><h2>{html.escape(title)}</h2>{caption}<table>{cells}</table></section>"


def render_html(data: Usage, numbers: Figures, content: Content, png: bytes) -> str:
    """The page: the picture, then every number in it and a few more, in plain tables."""
    period = [window for window in data.windows]
    starts = [window.start for window in period if window.start is not None]
    span = (
        f"{min(starts):%Y-%m-%d %H:%M} to {max(w.end for w in period):%Y-%m-%d %H:%M} UTC"
        if starts
        else f"from the service's start to {period[-1].end:%Y-%m-%d %H:%M} UTC"
    )
    summary = [
        ("Period", span),
        ("Requests", _number(numbers.requests)),
        ("Questions spoken (intent requests)", _number(numbers.intents)),
        (
            "Fallback rate (not understood)",
            f"{_percent(_rate(numbers.fallbacks, numbers.intents))}"
            f" ({_number(numbers.fallbacks)} of {_number(numbers.intents)})",
        ),
        (
            "Slot not resolved",
            f"{_percent(_rate(numbers.unresolved, numbers.slots))}"
            f" ({_number(numbers.unresolved)} of {_number(numbers.slots)})",
        ),
        (
            "Slot empty (asked again)",
            f"{_percent(_rate(numbers.empty, numbers.slots))}"
            f" ({_number(numbers.empty)} of {_number(numbers.slots)})",
        ),
        ("Voice requests", _number(numbers.voice)),
        (
            "Screen touches",
            f"{_number(numbers.touch)} ({_percent(_rate(numbers.touch, numbers.voice + numbers.touch))})",
        ),
        ("Repeats asked for", _number(numbers.repeats)),
        ("Failed answers (apology heard)", _number(numbers.errors)),
    ]
    sections = [
        _table("Summary", summary),
        _table(
            "What patients asked most",
            ((describe(k, content), _number(n)) for k, n in numbers.asked),
            "Answers from the leaflet, repeats not included, over the whole period.",
        ),
        _table(
            "What the leaflet did not cover",
            ((describe(k, content), _number(n)) for k, n in numbers.not_covered),
            "Honest 'the leaflet does not cover that' answers: candidates for the next leaflet.",
        ),
        _table(
            "Rates over time",
            (
                (
                    _window_label(w),
                    f"fallback {_percent(f)}, slot not resolved {_percent(u)}, voice {_number(v)},"
                    f" touch {_number(t)}",
                )
                for w, f, u, v, t in numbers.over_time
            ),
        ),
        _table("Speech rate changes", ((k, _number(n)) for k, n in sorted(numbers.rate_changes.items()))),
        _table(
            "Sessions ended, by Alexa's reason",
            ((k, _number(n)) for k, n in sorted(numbers.session_ends.items())),
        ),
        _table("Requests by locale", ((k, _number(n)) for k, n in sorted(numbers.by_locale.items()))),
        _table("Requests by type", ((k, _number(n)) for k, n in sorted(numbers.by_request.items()))),
    ]
    if numbers.alexa:
        web = [(k, _number(n)) for k, n in numbers.alexa.items()]
        if numbers.latency_p50 is not None and numbers.latency_p95 is not None:
            web += [
                ("Latency p50 (in the app)", f"{numbers.latency_p50 * 1000:.1f} ms"),
                ("Latency p95 (in the app)", f"{numbers.latency_p95 * 1000:.1f} ms"),
            ]
        sections.append(_table("Web service: Alexa requests", web))
    picture = base64.b64encode(png).decode("ascii")
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<title>Trigger Point Guide: usage report</title><style>"
        "body{font-family:sans-serif;max-width:1200px;margin:1em auto;color:#1a202c}"
        "img{width:100%}section{display:inline-block;vertical-align:top;margin:0 2em 1em 0}"
        "th{text-align:left;font-weight:normal;padding-right:1.5em}td{text-align:right}"
        ".note{color:#4a5568;font-size:.9em;max-width:34em}</style></head><body>"
        f"<h1>Trigger Point Guide: usage report</h1><p>{html.escape(data.source)}; counts of requests,"
        " never of people: no user, device or session is known to these figures, and no word a patient"
        " said.</p>"
        f'<img alt="What patients asked most, what the leaflet did not cover, fallback and unresolved-slot'
        f' rates over time, voice and touch" src="data:image/png;base64,{picture}">'
        + "".join(sections)
        + "</body></html>\n"
    )


# --- the command -------------------------------------------------------------------------------------


def read_sources(
    sources: Sequence[str], *, history: Path | None = None, bucket: str = "auto", token: str | None = None
) -> Usage:
    """The usage in `sources`: /metrics URLs and saved pages, or log files (not both kinds at once)."""
    snapshots: list[Snapshot] = []
    logs: list[str] = []
    for source in sources:
        if source.startswith(("http://", "https://")):
            snapshots.append((dt.datetime.now(dt.UTC), *parse_metrics(fetch_metrics(source, token))))
            continue
        path = Path(source)
        try:
            text = path.read_text("utf-8", errors="replace")
        except OSError as exc:
            raise InsightsError(f"cannot read {source}: {exc.strerror or type(exc).__name__}") from None
        if "# TYPE tpi_" in text or text.lstrip().startswith("tpi_"):
            moment = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
            snapshots.append((moment, *parse_metrics(text)))
        else:
            logs.append(text)
    if snapshots and logs:
        raise InsightsError("give either /metrics readings or log files, not both")
    if logs:
        return read_emf("\n".join(logs), bucket)
    if history is not None:
        earlier = _load_history(history)
        for snapshot in snapshots:
            _save_snapshot(history, snapshot)
        snapshots = earlier + snapshots
    return from_snapshots(snapshots)


def write_report(data: Usage, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    content = load_content()
    numbers = figures(data)
    png = png_bytes(build_figure(data, numbers, content))
    if out.suffix.lower() == ".png":
        out.write_bytes(png)
    else:
        out.write_text(render_html(data, numbers, content, png), "utf-8")


def run(sources: Sequence[str], out: Path, *, history: Path | None = None, bucket: str = "auto") -> Usage:
    """Read, then write the page; the token for a /metrics URL comes from METRICS_TOKEN, never argv."""
    data = read_sources(
        sources, history=history, bucket=bucket, token=os.environ.get("METRICS_TOKEN") or None
    )
    write_report(data, out)
    return data
