"""`tpi-skill insights`: the usage figures as a one-page report for the clinic.

Reads either the web service's `/metrics` (a URL, or a page saved from it) or the Lambda function's log
lines exported from CloudWatch (the Embedded Metric Format lines `skill.runtime.usage` writes), and
writes one page: what patients asked most, what the leaflet did not cover, how often the skill fell
back or could not resolve a slot over time, and voice against touch. An `.html` page (the plots and
every number behind them, in one self-contained file) or just the plots as a `.png`.

Every label on the page comes from the skill's closed sets (see `skill.runtime.usage`), checked again
here, so even a tampered log or page cannot put words into the report. What was asked is shown only as
totals over the whole period, never by hour, so a busy waiting room cannot be matched to a question.

The package, one module per concern: `counts` (what sources come down to), `sources` (reading logs and
/metrics), `summary` (the numbers), `drawing` (the picture), `page` (the HTML); here, the command.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from skill.runtime.content import load_content
from skill.tools.insights.counts import InsightsError, Usage
from skill.tools.insights.drawing import build_figure, png_bytes
from skill.tools.insights.page import render_html
from skill.tools.insights.sources import Snapshot, from_snapshots, read_sources
from skill.tools.insights.summary import figures

__all__ = [
    "InsightsError",
    "Snapshot",
    "Usage",
    "build_figure",
    "figures",
    "from_snapshots",
    "read_sources",
    "run",
    "write_report",
]


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
