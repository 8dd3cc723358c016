"""The HTML page: the picture, then every number behind it in plain tables, in one self-contained file."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable

from skill.runtime.content import Content
from skill.tools.insights.counts import Usage
from skill.tools.insights.summary import Figures, _number, _rate, _window_label, describe


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1%}"


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
